"""Helpers shared by the SSO tests: an SSO-enabled Acme and a login driven over HTTP (test client + test IdP)."""

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone

from accounts.models import SSOConnection, SSOGroupMapping, Team
from accounts.sso.domains import sync_claims
from accounts.tests.factories import TeamFactory
from accounts.tests.sso.oidc_harness import CLIENT_ID, CLIENT_SECRET


@dataclass
class SSOSetup:
    connection: SSOConnection
    data_team: Team  # mapped from the IdP group "data-engineers"
    platform_team: Team  # mapped from "platform"
    unmapped_team: Team  # managed by hand, never touched by SSO


def configure_sso(org, issuer: str, *, verified: bool = True, **fields) -> SSOSetup:
    """Acme's connection to the test IdP for acme.test, a domain it has verified unless `verified=False`."""
    fields.setdefault("domains", ["acme.test"])
    connection = SSOConnection.objects.create(
        organization=org, issuer_url=issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **fields
    )
    sync_claims(connection)
    if verified:
        connection.domain_claims.update(verified_at=timezone.now(), checked_at=timezone.now())
    data_team = TeamFactory(organization=org, name="Data Engineering")
    platform_team = TeamFactory(organization=org, name="Platform")
    unmapped_team = TeamFactory(organization=org, name="Hand-picked")
    SSOGroupMapping.objects.create(connection=connection, group="data-engineers", team=data_team)
    SSOGroupMapping.objects.create(connection=connection, group="platform", team=platform_team)
    return SSOSetup(connection, data_team, platform_team, unmapped_team)


def start_sso_login(client, email: str, **extra) -> str:
    """Submits the email-first login form; returns the IdP authorization URL it redirects to."""
    response = client.post("/accounts/login/", {"login": email, **extra})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    assert parts.netloc == "testserver", url
    return f"{parts.path}?{parts.query}"


def sso_login(client, idp, email: str, *, as_email: str | None = None, **extra):
    """A whole SSO login: the login form, the IdP's form (signing in as `as_email`, default `email`), the
    callback. Returns the callback's response."""
    authorize_url = start_sso_login(client, email, **extra)
    return client.get(callback_path(idp.sign_in(authorize_url, as_email or email)))


def query(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
