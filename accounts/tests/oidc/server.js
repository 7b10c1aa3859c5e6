// A real OpenID Connect provider (the npm package `oidc-provider`) for Aerodrome's single sign-on tests.
//
// Started by the pytest fixture in accounts/tests/oidc_harness.py:
//   OIDC_CONFIG='{"clients": [...], "users": [...]}' PORT=0 node server.js
// It prints `READY <issuer>` once it listens on 127.0.0.1. Interactions are a tiny login form (email only, prefilled
// from `login_hint`) that Playwright or the HTTP test helper submits; consent is granted automatically.
//
// Test-only control endpoints (never part of a real IdP):
//   POST /__test__/config  {"users": [...], "mode": "..."}  replace the users and/or the mode
//   GET  /__test__/config                                 read them back
// Modes make the token endpoint misbehave for negative tests:
//   normal          as specified
//   wrong-audience  the ID token is re-signed (with the provider's own key) for another audience
//   wrong-nonce     the ID token is re-signed with a nonce the relying party never sent
//   token-error     the token endpoint answers 500 with an HTML page
import http from 'node:http';
import { randomUUID } from 'node:crypto';

import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_CONFIG || '{}');
const state = {
  users: config.users || [],
  mode: config.mode || 'normal',
};

function findUser(email) {
  const wanted = String(email || '').trim().toLowerCase();
  return state.users.find((user) => user.email.toLowerCase() === wanted);
}

function userBySub(sub) {
  return state.users.find((user) => (user.sub || user.email) === sub);
}

const escapeHtml = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:28rem;margin:4rem auto}label,input,button{display:block;margin:.5rem 0}
.error{color:#b00}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

function loginForm(uid, hint, error) {
  return page('Test IdP sign-in', `
    ${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
    <form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
      <label for="email">Email</label>
      <input id="email" name="email" type="email" value="${escapeHtml(hint)}" required>
      <button type="submit">Sign in to the test IdP</button>
    </form>
    <form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Cancel</button></form>`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

// One RSA key: the provider signs with it, and the misbehaving modes re-sign with it, so a token they alter is
// still validly signed and only its claims are wrong.
const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), kid: 'aerodrome-test', alg: 'RS256', use: 'sig' };

async function resign(idToken, changes) {
  const claims = { ...decodeJwt(idToken), ...changes };
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid, typ: 'JWT' }).sign(privateKey);
}

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(process.env.PORT || 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: (config.clients || []).map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    ...client,
  })),
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['aerodrome-test-idp-cookie-key'] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    groups: ['groups'],
  },
  // Put the user's claims in the ID token as well as at userinfo (many enterprise IdPs do).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const user = userBySub(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      async claims() {
        const current = userBySub(sub) || user; // groups may have changed since the session started
        const [given, ...family] = (current.name || '').split(' ');
        return {
          sub,
          email: current.email,
          email_verified: current.email_verified ?? true,
          name: current.name,
          given_name: given,
          family_name: family.join(' '),
          groups: current.groups || [],
        };
      },
    };
  },
  // First-party test client: grant whatever it asks for, no consent screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Test IdP error', `<p class="error">${escapeHtml(out.error)}: ${escapeHtml(out.error_description)}</p>`);
  },
});
provider.proxy = false;

provider.use(async (ctx, next) => {
  if (ctx.path === '/token' && state.mode === 'token-error') {
    ctx.status = 500;
    ctx.type = 'html';
    ctx.body = '<h1>Internal Server Error</h1>';
    return;
  }
  await next();
  if (ctx.path !== '/token' || ctx.status !== 200 || !ctx.body?.id_token) return;
  if (state.mode === 'wrong-audience') {
    ctx.body = { ...ctx.body, id_token: await resign(ctx.body.id_token, { aud: 'some-other-application' }) };
  } else if (state.mode === 'wrong-nonce') {
    ctx.body = { ...ctx.body, id_token: await resign(ctx.body.id_token, { nonce: randomUUID() }) };
  }
});

const providerCallback = provider.callback();

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (action === 'abort') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'The user cancelled the sign-in.',
    }, { mergeWithLastSubmission: false });
    return;
  }
  if (action === 'login' && req.method === 'POST') {
    const form = await readForm(req);
    const user = findUser(form.get('email'));
    if (!user) {
      send(res, 200, 'text/html', loginForm(uid, form.get('email'), 'No such user at the test IdP.'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: user.sub || user.email } }, {
      mergeWithLastSubmission: false,
    });
    return;
  }
  if (details.prompt.name === 'login') {
    send(res, 200, 'text/html', loginForm(uid, details.params.login_hint || '', ''));
    return;
  }
  // Any other prompt (consent is pre-granted by loadExistingGrant): carry on.
  await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
}

server.on('request', async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname === '/__test__/config') {
      if (req.method === 'POST') {
        const body = await readJson(req);
        if (body.users) state.users = body.users;
        if (body.mode) state.mode = body.mode;
      }
      send(res, 200, 'application/json', JSON.stringify(state));
      return;
    }
    const match = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login|abort))?$/);
    if (match) {
      await interaction(req, res, match[1], match[2]);
      return;
    }
    providerCallback(req, res);
  } catch (error) {
    console.error(error);
    if (!res.headersSent) send(res, 500, 'text/html', page('Test IdP error', `<p class="error">${escapeHtml(error.message)}</p>`));
  }
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
console.log(`READY ${issuer}`);
