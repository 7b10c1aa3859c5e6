"""An organisation's identity provider under the outbound policy: discovery when the connection is saved, and every
call allauth makes during a login (discovery, token, userinfo, JWKS), refuse an issuer that resolves to loopback,
link-local, private or Aerodrome's own addresses, before any request leaves."""

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.exceptions import ValidationError

from accounts.models import SSOConnection, User
from accounts.roles import OrgRole
from accounts.sso import services as sso
from accounts.sso.adapter import SocialAccountAdapter
from accounts.tests.page_helpers import text
from accounts.tests.sso.oidc_harness import CLIENT_ID, CLIENT_SECRET
from accounts.tests.sso.sso_helpers import callback_path, configure_sso, start_sso_login
from aerodrome.tests.http_stub import StubServer

pytestmark = pytest.mark.django_db


def assert_unreachable_page(response):
    assert response.status_code in (401, 403), response.status_code
    assert "Your identity provider is unreachable" in text(response)


def test_an_issuer_that_resolves_to_a_refused_address_is_refused_on_save(tenancy, strict_outbound):
    with StubServer() as idp, pytest.raises(ValidationError) as refused:
        sso.sso_connection_save(
            actor=tenancy.owner,
            organization=tenancy.org,
            issuer_url=f"http://localhost:{idp.port}",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            domains="acme.test",
            default_role=OrgRole.MEMBER,
        )
    assert refused.value.message_dict["issuer_url"]
    assert idp.seen == []
    assert not SSOConnection.objects.exists()


def test_a_login_does_not_call_an_issuer_on_a_refused_address(client, tenancy, strict_outbound):
    with StubServer() as idp:
        configure_sso(tenancy.org, f"http://localhost:{idp.port}")  # saved before the policy, say

        response = client.post("/accounts/login/", {"login": "ada@acme.test"})

    assert_unreachable_page(response)
    assert idp.seen == []


def test_the_token_exchange_does_not_reach_an_issuer_on_a_refused_address(client, tenancy, idp, settings):
    configure_sso(tenancy.org, idp.issuer)
    callback = callback_path(idp.sign_in(start_sso_login(client, "ada@acme.test"), "ada@acme.test"))
    settings.OUTBOUND_ALLOWED_NETWORKS = []  # from here on the IdP's loopback address is refused

    response = client.get(callback)

    assert_unreachable_page(response)
    assert not User.objects.filter(email="ada@acme.test").exists() and not SocialAccount.objects.exists()


def test_every_request_allauth_makes_goes_through_the_policy(strict_outbound):
    refused = pytest.raises(OSError, match="a loopback address")
    with StubServer() as idp, SocialAccountAdapter().get_requests_session() as session, refused:
        session.post(f"http://localhost:{idp.port}/token", data={"code": "x"})
    assert idp.seen == []
