"""Single sign-on through each organisation's OpenID Connect identity provider (IdP).

- Services owners use on /orgs/<slug>/sso/: the connection (checked against the IdP's discovery document, client
  secret write-only), group → team mappings and one-time bypass links. Each checks `sso.manage` and is audited.
- Home realm discovery: which enabled connection holds an email address's domain verified (accounts/sso/domains.py);
  for a domain not verified yet, the connection of the organisation this browser is signing in to (its invitation,
  or its SSO sign-in link).
- Password login for verified domains with "enforce SSO" is refused unless a one-time bypass link is in the session.
- What every SSO login does once allauth has verified the IdP's answer (called by `accounts.sso.adapter`): refuse
  addresses outside the connection's domains (and, for a domain not verified, anyone but the organisation's members
  and invitees), link an existing member's account, provision new users into the organisation (just in time, with
  their invitation's role or the default one) and sync team memberships from the connection's groups claim.
"""

import hashlib
import logging
import re
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts import audit
from accounts.models import (
    Invitation,
    Organization,
    OrganizationMembership,
    SSOBypassLink,
    SSOConnection,
    SSOGroupMapping,
    Team,
    TeamMembership,
    User,
)
from accounts.permissions import forget_roles, require
from accounts.roles import OrgRole
from accounts.sso import domains as sso_domains
from accounts.sso import http
from aerodrome.validation import ErrorCollector, clean_role, has_control_characters

logger = logging.getLogger(__name__)

PROVIDER_ID_PREFIX = "org-"  # allauth provider id of an organisation's IdP: org-<slug>
SCOPES = ["openid", "email", "profile", "groups"]
DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_TIMEOUT = 5  # seconds
BYPASS_SESSION_KEY = "sso_bypass_link"
ORG_HINT_SESSION_KEY = "sso_organization"  # set by an organisation's SSO sign-in link (/accounts/sso/<slug>/)
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
# Nobody can claim the world's mailboxes for their organisation's IdP.
PUBLIC_EMAIL_DOMAINS = frozenset(
    {
        *("gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com"),
        *("ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.com"),
        *("gmx.de", "gmx.net", "web.de", "mail.com", "yandex.com", "yandex.ru", "zoho.com", "fastmail.com"),
        *("hey.com", "qq.com", "163.com"),
    }
)
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")


# ------------------------------------------------------------------------------------------------ lookups


def provider_id_for(organization: Organization) -> str:
    return f"{PROVIDER_ID_PREFIX}{organization.slug}"


def connection_for_provider_id(provider_id: str) -> SSOConnection | None:
    if not provider_id or not provider_id.startswith(PROVIDER_ID_PREFIX):
        return None
    slug = provider_id.removeprefix(PROVIDER_ID_PREFIX)
    if not _SLUG.match(slug):
        return None  # not an organisation's slug (nor safe to query: it comes from the URL)
    return SSOConnection.objects.select_related("organization").filter(organization__slug=slug).first()


def email_domain(email: str) -> str:
    return (email or "").strip().rpartition("@")[2].lower()


def connections_claiming(domain: str):
    """Connections whose domains include `domain` (several may claim it; one at most holds it verified)."""
    # A text match narrows the rows on every database backend; the exact check is done in Python.
    candidates = SSOConnection.objects.select_related("organization").filter(domains__icontains=f'"{domain}"')
    return [c for c in candidates if domain in c.domains]


def connection_for_email(email: str) -> SSOConnection | None:
    """The enabled connection that holds the address's domain verified, if any (home realm discovery; enforcement)."""
    domain = email_domain(email)
    if not _DOMAIN.match(domain):
        return None  # no connection manages what is not a domain (and a NUL byte must not reach the database)
    claim = sso_domains.verified_claim(domain)
    if claim is None or not claim.connection.enabled or domain not in claim.connection.domains:
        return None
    return claim.connection


def connection_for_login(request, email: str) -> SSOConnection | None:
    """Where a login for `email` goes: the connection holding its domain verified, else (a domain claimed but not
    verified yet) the connection of the organisation this browser signs in to, named by the invitation it is
    accepting or by the organisation's SSO sign-in link. Nothing here depends on whether the address has an account."""
    connection = connection_for_email(email)
    if connection is not None or not _DOMAIN.match(email_domain(email)):
        return connection
    for organization_id in _hinted_organizations(request, email):
        hinted = SSOConnection.objects.select_related("organization").filter(organization_id=organization_id).first()
        if hinted is not None and hinted.enabled and email_domain(email) in hinted.domains:
            return hinted
    return None


def _hinted_organizations(request, email: str) -> list[int]:
    from accounts.invitations import services as invitations

    session = getattr(request, "session", None)
    if session is None:
        return []
    hinted = []
    invitation = invitations.invitation_for_hash(session.get(invitations.SESSION_KEY))
    if invitation is not None and invitation.status == "PENDING" and invitation.email.lower() == email.strip().lower():
        hinted.append(invitation.organization_id)
    if session.get(ORG_HINT_SESSION_KEY):
        hinted.append(session[ORG_HINT_SESSION_KEY])
    return hinted


def callback_url(request, organization: Organization) -> str:
    """The redirect URI to register at the IdP."""
    return request.build_absolute_uri(
        reverse("openid_connect_callback", kwargs={"provider_id": provider_id_for(organization)})
    )


def nonce_for(state_id: str) -> str:
    """The OpenID `nonce` sent with a login: bound to allauth's single-use state (kept in the session) and to
    SECRET_KEY, so an ID token only fits the login attempt that asked for it."""
    return salted_hmac("aerodrome.sso.nonce", state_id, algorithm="sha256").hexdigest()


# ------------------------------------------------------------------------------------------------ discovery


def clean_issuer_url(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({"issuer_url": "Enter the issuer URL of your identity provider."})
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError({"issuer_url": "Enter the issuer as a full URL, e.g. https://login.example.com."})
    if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValidationError({"issuer_url": "The issuer URL must use https (tokens travel over it)."})
    if parts.query or parts.fragment:
        raise ValidationError({"issuer_url": "The issuer URL has no query string or fragment."})
    if DISCOVERY_PATH in value:
        value = value.split(DISCOVERY_PATH)[0]
    return value


def discover(issuer_url: str, *, timeout: float = DISCOVERY_TIMEOUT) -> dict:
    """The IdP's OpenID configuration, or a ValidationError on `issuer_url` that says what went wrong."""
    url = issuer_url.rstrip("/") + DISCOVERY_PATH

    def error(message):
        return ValidationError({"issuer_url": message})

    try:
        with http.session() as session:
            response = session.get(url, timeout=timeout, headers={"Accept": "application/json"})
    except requests.Timeout:
        raise error(f"{url} did not answer within {timeout:g} seconds.") from None
    except requests.ConnectionError:
        raise error(
            f"Could not connect to {urlsplit(url).netloc}: check the issuer URL, and that Aerodrome can reach it."
        ) from None
    except requests.RequestException as exc:
        raise error(f"Could not fetch {url} ({exc.__class__.__name__}).") from None
    if response.status_code != 200:
        raise error(f"{url} answered HTTP {response.status_code}, not an OpenID configuration. Check the issuer URL.")
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise error(f"{url} did not return an OpenID configuration (JSON).")
    required = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [key for key in required if not document.get(key)]
    if missing:
        raise error(f"The OpenID configuration at {url} lacks {', '.join(missing)}.")
    if str(document["issuer"]).rstrip("/") != issuer_url.rstrip("/"):
        raise error(f"The identity provider calls itself {document['issuer']}; use exactly that as the issuer URL.")
    return document


# ------------------------------------------------------------------------------------------------ services


def clean_domains(value, *, connection: SSOConnection | None = None) -> list[str]:
    """Lower-case domains from a list or a comma/space/newline separated text; none verified by another organisation
    (claims are pending until verified, so nobody can lock a domain away by claiming it first)."""
    items = value if isinstance(value, list | tuple) else re.split(r"[\s,;]+", value or "")
    domains = []
    for item in items:
        domain = str(item).strip().lower().lstrip("@").rstrip(".")
        if domain and domain not in domains:
            domains.append(domain)
    if not domains:
        raise ValidationError({"domains": "Enter at least one email domain, e.g. example.com."})
    for domain in domains:
        if not _DOMAIN.match(domain):
            raise ValidationError({"domains": f"“{domain}” is not an email domain (e.g. example.com)."})
        if domain in PUBLIC_EMAIL_DOMAINS:
            raise ValidationError({"domains": f"{domain} is a public email service; manage only your own domains."})
        if sso_domains.verified_elsewhere(domain, connection):
            # Which organisation it is stays private.
            raise ValidationError(
                {"domains": f"{domain} is already verified by another organisation's single sign-on."}
            )
    return domains


def _summary(connection: SSOConnection) -> dict:
    return {
        "issuer_url": connection.issuer_url,
        "client_id": connection.client_id,
        "domains": ", ".join(connection.domains),
        "default_role": connection.default_role,
        "enabled": connection.enabled,
        "enforce_sso": connection.enforce_sso,
        "groups_claim": connection.groups_claim,
    }


@transaction.atomic
def sso_connection_save(
    *,
    actor: User,
    organization: Organization,
    issuer_url: str,
    client_id: str,
    client_secret: str = "",
    domains,
    default_role: str = OrgRole.MEMBER,
    enabled: bool = True,
    enforce_sso: bool = False,
    groups_claim: str = "groups",
) -> SSOConnection:
    """Creates or updates the organisation's connection. A blank secret keeps the stored one. The issuer is
    checked through OpenID discovery whenever it changes or the connection is switched on."""
    require(actor, "sso.manage", organization)
    connection = SSOConnection.objects.select_for_update().filter(organization=organization).first()
    creating = connection is None
    errors = ErrorCollector()
    issuer_url = errors.check(clean_issuer_url, issuer_url)
    client_id = (client_id or "").strip()
    if not client_id:
        errors.add("client_id", "Enter the client ID your identity provider issued for Aerodrome.")
    elif len(client_id) > 255:
        errors.add("client_id", "The client ID can be at most 255 characters long.")
    elif has_control_characters(client_id):
        errors.add("client_id", "The client ID cannot contain control characters such as line breaks.")
    client_secret = (client_secret or "").strip()
    if has_control_characters(client_secret):
        errors.add("client_secret", "The client secret cannot contain control characters such as line breaks.")
    if creating and not client_secret:
        errors.add("client_secret", "Enter the client secret your identity provider issued for Aerodrome.")
    domains = errors.check(clean_domains, domains, connection=connection)
    default_role = errors.check(clean_role, OrgRole, default_role, field="default_role")
    groups_claim = (groups_claim or "").strip() or "groups"
    if len(groups_claim) > 255 or any(ord(c) < 32 or ord(c) == 127 for c in groups_claim):
        errors.add("groups_claim", "Enter the claim's name as your identity provider sends it, e.g. groups or roles.")
    if enforce_sso and not enabled:
        errors.add("enforce_sso", "Single sign-on can only be enforced while the connection is enabled.")
    errors.raise_if_any()
    if enabled and (creating or issuer_url != connection.issuer_url or not connection.enabled):
        discover(issuer_url)

    before = {} if creating else _summary(connection)
    if not creating and issuer_url != connection.issuer_url:
        forget_identities(organization)  # another IdP may reuse the old one's subject ids
    connection = connection or SSOConnection(organization=organization)
    connection.issuer_url, connection.client_id, connection.domains = issuer_url, client_id, domains
    connection.default_role, connection.enabled, connection.enforce_sso = default_role, enabled, enforce_sso
    connection.groups_claim = groups_claim
    if client_secret:
        connection.client_secret = client_secret
    connection.save()
    sso_domains.sync_claims(connection)
    changes = audit.diff(before, _summary(connection))
    if client_secret:
        changes["client_secret"] = "set" if creating else "replaced"  # never the value
    if creating or changes:
        audit.record(
            actor=actor,
            action="sso.create" if creating else "sso.update",
            target=connection,
            organization=organization,
            changes=changes,
        )
    return connection


def forget_identities(organization: Organization) -> int:
    """Unlinks every account from the organisation's IdP. Links are keyed by provider id (`org-<slug>`) and the
    IdP's subject id, so they must not survive the IdP they came from: a new IdP, or a new organisation taking
    the slug, could otherwise send the same subject ids and log in as those people."""
    from allauth.socialaccount.models import SocialAccount

    count, _ = SocialAccount.objects.filter(provider=provider_id_for(organization)).delete()
    return count


@transaction.atomic
def sso_connection_delete(*, actor: User, connection: SSOConnection) -> None:
    require(actor, "sso.manage", connection.organization)
    audit.record(
        actor=actor,
        action="sso.delete",
        target=connection,
        organization=connection.organization,
        changes={"domains": [", ".join(connection.domains), None]},
    )
    connection.delete()


@transaction.atomic
def sso_group_mapping_add(*, actor: User, connection: SSOConnection, group: str, team: Team) -> SSOGroupMapping:
    require(actor, "sso.manage", connection.organization)
    group = (group or "").strip()
    if not group:
        raise ValidationError({"group": "Enter the group's name (or ID) as your identity provider sends it."})
    if len(group) > 255:
        raise ValidationError({"group": "The group can be at most 255 characters long."})
    if team.organization_id != connection.organization_id:
        raise ValidationError({"team": "Choose a team of this organisation."})
    existing = connection.group_mappings.select_related("team").filter(group=group).first()
    if existing:
        raise ValidationError({"group": f"The group “{group}” is already mapped to the team {existing.team.name}."})
    mapping = SSOGroupMapping.objects.create(connection=connection, group=group, team=team)
    audit.record(
        actor=actor,
        action="sso.mapping_add",
        target=connection,
        organization=connection.organization,
        changes={"mapping": [None, f"{group} → {team.name}"]},
    )
    return mapping


@transaction.atomic
def sso_group_mapping_remove(*, actor: User, mapping: SSOGroupMapping) -> None:
    connection = mapping.connection
    require(actor, "sso.manage", connection.organization)
    audit.record(
        actor=actor,
        action="sso.mapping_remove",
        target=connection,
        organization=connection.organization,
        changes={"mapping": [f"{mapping.group} → {mapping.team.name}", None]},
    )
    mapping.delete()


# ------------------------------------------------------------------------------------------------ bypass links


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def sso_bypass_link_create(*, actor: User, organization: Organization) -> tuple[SSOBypassLink, str]:
    """A link that lets one password login through while SSO is enforced. Returns the link and its secret,
    which is shown once: only its hash is stored."""
    require(actor, "sso.manage", organization)
    token = secrets.token_urlsafe(32)
    link = SSOBypassLink.objects.create(
        organization=organization,
        token_hash=_hash(token),
        created_by=actor,
        expires_at=timezone.now() + timedelta(hours=settings.SSO_BYPASS_LINK_HOURS),
    )
    audit.record(
        actor=actor,
        action="sso.bypass_create",
        target=link,
        organization=organization,
        changes={"expires_at": [None, link.expires_at.isoformat(timespec="minutes")]},
    )
    return link, token


def bypass_link_for_token(token: str) -> SSOBypassLink | None:
    return SSOBypassLink.objects.select_related("organization").filter(token_hash=_hash(token or "")).first()


def bypass_link_usable(link: SSOBypassLink | None) -> bool:
    return link is not None and link.used_at is None and link.expires_at > timezone.now()


def session_bypass_link(request, organization) -> SSOBypassLink | None:
    """The unused bypass link for `organization` this browser opened, if any."""
    link_id = request.session.get(BYPASS_SESSION_KEY) if hasattr(request, "session") else None
    if not link_id:
        return None
    link = SSOBypassLink.objects.filter(pk=link_id, organization=organization).first()
    return link if bypass_link_usable(link) else None


def password_login_gate(request, email: str) -> SSOBypassLink | None:
    """Refuses (ValidationError) a password login for an address whose organisation enforces SSO, unless this
    browser opened an unused bypass link of that organisation: then returns the link, to redeem on success."""
    connection = connection_for_email(email)
    if connection is None or not connection.enforce_sso:
        return None
    link = session_bypass_link(request, connection.organization)
    if link is not None:
        return link
    raise ValidationError(
        f"{connection.organization.name} requires single sign-on for @{email_domain(email)} addresses: "
        "leave the password empty and continue to your organisation's sign-in page. "
        "If it is unavailable, ask an owner for a one-time bypass link.",
        code="sso_enforced",
    )


def linked_password_login_gate(request, user: User) -> SSOBypassLink | None:
    """The same rule for a person whose account is linked to an enforcing IdP, whatever address they now use:
    moving to a personal address must not turn SSO off for them. Checked after the password, so it reveals
    nothing to someone who does not know it."""
    from allauth.socialaccount.models import SocialAccount

    providers = SocialAccount.objects.filter(user=user, provider__startswith=PROVIDER_ID_PREFIX).values("provider")
    slugs = [row["provider"][len(PROVIDER_ID_PREFIX) :] for row in providers]
    enforcing = SSOConnection.objects.filter(
        organization__slug__in=slugs, enabled=True, enforce_sso=True, domain_claims__verified_at__isnull=False
    ).distinct()
    for connection in enforcing.select_related("organization"):
        link = session_bypass_link(request, connection.organization)
        if link is not None:
            return link
        raise ValidationError(
            f"{connection.organization.name} requires single sign-on for your account: continue to your "
            "organisation's sign-in page. If it is unavailable, ask an owner for a one-time bypass link.",
            code="sso_enforced",
        )
    return None


def refuse_enforced_signup(email: str) -> None:
    """No password accounts for addresses whose organisation enforces SSO."""
    connection = connection_for_email(email)
    if connection is not None and connection.enforce_sso:
        raise ValidationError(
            f"{connection.organization.name} signs in @{email_domain(email)} addresses through single sign-on. "
            "Sign in with this address instead: your account is created the first time.",
            code="sso_enforced",
        )


def sso_bypass_link_redeem(*, request, link: SSOBypassLink, user: User) -> None:
    """Marks the link used by `user` (once, even under concurrent logins) and audits it."""
    with transaction.atomic():
        now = timezone.now()
        taken = SSOBypassLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(
            used_at=now, used_by=user
        )
        if not taken:
            raise ValidationError(
                "This one-time bypass link has already been used or has expired. Ask an owner for a new one.",
                code="sso_bypass_used",
            )
        audit.record(actor=user, action="sso.bypass_used", target=link, organization=link.organization)
    request.session.pop(BYPASS_SESSION_KEY, None)


# ------------------------------------------------------------------------------------------------ SSO logins


class Refusal(Exception):
    """An SSO login we turn down, with words for the person it happened to."""

    def __init__(self, title: str, message: str):
        super().__init__(message)
        self.title, self.message = title, message


def claims_of(extra_data: dict) -> dict:
    """The user's claims from allauth's `extra_data` ({"id_token": ..., "userinfo": ...}): the verified ID token,
    completed by the userinfo answer for claims the IdP only serves there."""
    claims = dict(extra_data.get("id_token") or {})
    claims.update({k: v for k, v in (extra_data.get("userinfo") or {}).items() if k not in ("iss", "aud", "nonce")})
    return claims


def groups_of(claims: dict, claim: str = "groups") -> set[str]:
    groups = claims.get(claim) or []
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list | tuple):
        return set()
    return {str(g).strip() for g in groups if isinstance(g, str | int) and str(g).strip()}


def check_sso_login(*, connection: SSOConnection | None, claims: dict) -> str:
    """The login's (lower-case) email address, or a Refusal."""
    if connection is None or not connection.enabled:
        raise Refusal(
            "Single sign-on is switched off",
            "This organisation no longer signs in through this identity provider. Sign in with your password, "
            "or ask an owner of your organisation.",
        )
    organization = connection.organization.name
    email = str(claims.get("email") or "").strip().lower()
    if not email or "@" not in email:
        raise Refusal(
            "No email address from your identity provider",
            f"{organization}'s identity provider did not share your email address, so Aerodrome cannot tell who "
            "you are. Ask your administrator to release the email claim to Aerodrome.",
        )
    if claims.get("email_verified") in (False, "false"):
        raise Refusal(
            "Email address not verified",
            f"{organization}'s identity provider says {email} is not verified. Verify it there, then try again.",
        )
    if email_domain(email) not in connection.domains:
        raise Refusal(
            "This address is not managed here",
            f"{email} is not in a domain {organization} manages through single sign-on "
            f"({', '.join(connection.domains)}). No account was created. Sign in with your organisation's address, "
            f"or ask an owner of {organization} to add your domain.",
        )
    return email


def may_sign_in_unverified(*, connection: SSOConnection, user: User | None, email: str) -> bool:
    """Until its domain is verified, a connection serves only the organisation's members and the people it invited
    (no just-in-time provisioning: anyone could claim a domain)."""
    members = OrganizationMembership.objects.filter(organization=connection.organization)
    if user is not None and members.filter(user=user).exists():
        return True
    return pending_invitation(organization=connection.organization, email=email) is not None


def pending_invitation(*, organization: Organization, email: str) -> Invitation | None:
    return Invitation.objects.pending().filter(organization=organization, email__iexact=email).order_by("pk").first()


def refuse_unverified(*, connection: SSOConnection, email: str) -> Refusal:
    organization = connection.organization.name
    return Refusal(
        "This domain is not verified yet",
        f"{organization} has not verified @{email_domain(email)} for single sign-on yet, so only its members and the "
        f"people it invited sign in through it. No account was created. Ask an owner of {organization} for an "
        "invitation.",
    )


def may_link(*, connection: SSOConnection, user: User) -> bool:
    """An account that predates SSO is only taken over by the organisation's IdP if it already belongs to the
    organisation: a domain claim alone proves nothing about other tenants' accounts, and neither does a pending
    invitation (the organisation's owners make those; the invitee joins through the link, then SSO links)."""
    return OrganizationMembership.objects.filter(organization=connection.organization, user=user).exists()


def refuse_link(*, connection: SSOConnection, email: str) -> Refusal:
    organization = connection.organization.name
    return Refusal(
        "An account with this address already exists",
        f"{email} already has an Aerodrome account that is not a member of {organization}, so single sign-on "
        f"cannot take it over. Sign in with your password, and ask an owner of {organization} to invite you.",
    )


@transaction.atomic
def sso_login_sync(
    *, connection: SSOConnection, user: User, claims: dict, created: bool = False, linked: bool = False
) -> None:
    """Joins the user to the organisation if needed (just-in-time provisioning: with the role of their pending
    invitation, which it accepts, or else the default role), makes their memberships of mapped teams match the
    connection's groups claim (unmapped teams are never touched), and notes which claims the login carried."""
    from accounts.invitations import services as invitations

    organization = connection.organization
    SSOConnection.objects.filter(pk=connection.pk).update(
        last_login_claims=sorted(str(name)[:255] for name in claims)[:100], last_login_at=timezone.now()
    )
    if linked:
        audit.record(actor=user, action="sso.link", target=user, organization=organization)
    invitation = None
    if not OrganizationMembership.objects.filter(organization=organization, user=user).exists():
        invitation = pending_invitation(organization=organization, email=user.email)
    if invitation is not None:
        invitations.invitation_accept(user=user, invitation=invitation)
        membership, joined = OrganizationMembership.objects.get(organization=organization, user=user), False
    else:
        membership, joined = OrganizationMembership.objects.get_or_create(
            organization=organization, user=user, defaults={"role": connection.default_role}
        )
    if joined:
        audit.record(
            actor=user,
            action="sso.provision",
            target=user,
            organization=organization,
            changes={"role": [None, membership.role], "account": "created" if created else "existing"},
        )

    groups = groups_of(claims, connection.groups_claim)
    mappings = list(connection.group_mappings.select_related("team"))
    mapped = {m.team_id: m.team for m in mappings}
    wanted = {m.team_id for m in mappings if m.group in groups}
    current = set(TeamMembership.objects.filter(user=user, team_id__in=mapped).values_list("team_id", flat=True))
    added, removed = wanted - current, current - wanted
    TeamMembership.objects.bulk_create([TeamMembership(team_id=team_id, user=user) for team_id in added])
    forget_roles()  # bulk_create sends no signal
    TeamMembership.objects.filter(user=user, team_id__in=removed).delete()
    if added or removed:
        audit.record(
            actor=user,
            action="sso.team_sync",
            target=user,
            organization=organization,
            changes={
                "teams_added": sorted(mapped[t].name for t in added),
                "teams_removed": sorted(mapped[t].name for t in removed),
            },
        )
