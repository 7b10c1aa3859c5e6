"""Single sign-on through each organisation's OpenID Connect provider: `services` (connections, mappings, bypass
links, what every SSO login does), `domains` (verified domains: DNS TXT records, re-checks), `tokens` (ID token
signatures against the provider's JWKS), `adapter` (allauth's social account adapter), `forms`, `views` and `urls` (the
routes under /accounts/; the owners' pages are mounted with the organisation's in `accounts.urls`)."""
