"""Hardened SSO logins: the ID token's signature is checked against the provider's keys (JWKS, cached, fetched
again once for a rotated key), with iss, aud, exp and azp; subjects longer than allauth's uid column; other provider
breakage is a readable page; the groups claim is named per connection, and owners see the claim names logins carry.

The real test IdP (oidc-provider) shows the normal path; a small fake (fake_idp.py) sends what it cannot."""

import json
import time
from urllib.parse import urlsplit

import jwt
import pytest
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache

from accounts.models import AuditEvent, OrganizationMembership, TeamMembership, User
from accounts.sso import tokens
from accounts.tests.sso.fake_idp import SigningKey
from accounts.tests.sso.oidc_harness import CLIENT_ID
from accounts.tests.sso.sso_helpers import configure_sso, query, sso_login, start_sso_login

pytestmark = pytest.mark.django_db
EMAIL = "ada@acme.test"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # login rate limits and cached JWKS


def fake_login(client, fake_idp, *, email=EMAIL, **claims):
    """A login through the fake IdP whose ID token holds `claims` on top of valid ones; the callback's response."""
    authorize_url = start_sso_login(client, email)
    assert authorize_url.startswith(fake_idp.issuer), authorize_url
    params = query(authorize_url)
    fake_idp.next_claims = fake_idp.claims_for(nonce=params["nonce"], email=email, **claims)
    callback = urlsplit(params["redirect_uri"]).path
    return client.get(callback, {"code": "fake-code", "state": params["state"]})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def assert_refused(response, title="Invalid sign-in token"):
    assert response.status_code in (401, 403), response.status_code
    assert title in response.content.decode()
    assert not User.objects.filter(email=EMAIL).exists()


@pytest.fixture
def acme_fake(tenancy, fake_idp):
    return configure_sso(tenancy.org, fake_idp.issuer)


# ------------------------------------------------------------------------------------------- signatures


def test_an_es256_token_from_the_published_key_signs_in_and_the_keys_are_fetched_once(client, fake_idp, acme_fake):
    assert signed_in_after(fake_login(client, fake_idp), client)
    client.logout()
    assert signed_in_after(fake_login(client, fake_idp), client)
    assert fake_idp.jwks_requests == 1  # cached


def signed_in_after(response, client) -> bool:
    assert response.status_code == 302, response.content.decode()[:3000]
    return signed_in(client)


def test_a_rotated_key_is_fetched_once_and_accepted(client, fake_idp, acme_fake):
    assert signed_in_after(fake_login(client, fake_idp), client)
    client.logout()
    fake_idp.rotate()
    assert signed_in_after(fake_login(client, fake_idp), client)
    assert fake_idp.jwks_requests == 2


def test_an_unknown_key_id_is_refused_after_fetching_the_keys_once_more(client, fake_idp, acme_fake):
    assert signed_in_after(fake_login(client, fake_idp), client)
    client.logout()
    User.objects.all().delete()
    fake_idp.header = {"kid": "never-published"}
    assert_refused(fake_login(client, fake_idp))
    assert fake_idp.jwks_requests == 2  # one refetch for the unknown kid, no more


def test_a_token_signed_with_a_key_outside_the_jwks_is_refused(client, fake_idp, acme_fake):
    fake_idp.signing_key = SigningKey("key-1")  # the published kid, another private key
    assert_refused(fake_login(client, fake_idp))


def test_alg_none_is_refused(client, fake_idp, acme_fake):
    fake_idp.algorithm = "none"
    assert_refused(fake_login(client, fake_idp))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the test client's secret is short
def test_a_token_signed_with_the_client_secret_is_refused(client, fake_idp, acme_fake):
    fake_idp.algorithm = "HS256"
    assert_refused(fake_login(client, fake_idp))


@pytest.mark.parametrize(
    ("claims", "title"),
    [
        ({"iss": "https://evil.example"}, "Token from another issuer"),
        ({"aud": "another-client"}, "Token for another application"),
        ({"aud": [CLIENT_ID, "another-client"]}, "Token for another application"),  # several audiences, no azp
        ({"aud": [CLIENT_ID, "another-client"], "azp": "another-client"}, "Token for another application"),
        ({"exp": int(time.time()) - 3600}, "Expired sign-in token"),
    ],
)
def test_claims_are_checked(client, fake_idp, acme_fake, claims, title):
    assert_refused(fake_login(client, fake_idp, **claims), title)


def test_several_audiences_are_accepted_when_we_are_the_authorized_party(client, fake_idp, acme_fake):
    response = fake_login(client, fake_idp, aud=[CLIENT_ID, "another-client"], azp=CLIENT_ID)
    assert signed_in_after(response, client)


def test_the_real_idps_tokens_are_verified_against_its_keys(client, tenancy, idp):
    configure_sso(tenancy.org, idp.issuer)
    jwks_uri = f"{idp.issuer}/jwks"
    # The real IdP's published key id, bound to another RSA key: its tokens no longer verify.
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    impostor = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(other)), "kid": "aerodrome-test", "alg": "RS256"}
    cache.set(tokens._cache_key(jwks_uri), [impostor], 300)
    response = sso_login(client, idp, EMAIL)
    assert "Invalid sign-in token" in response.content.decode()
    assert not User.objects.filter(email=EMAIL).exists()
    cache.clear()
    response = sso_login(client, idp, EMAIL)
    assert response.status_code == 302 and signed_in(client)


def test_verify_id_token_refuses_none_without_fetching_keys(fake_idp):
    token = jwt.encode({"sub": "x"}, None, algorithm="none")
    with pytest.raises(tokens.TokenRejected):
        tokens.verify_id_token(token, jwks_uri=f"{fake_idp.issuer}/jwks", issuer=fake_idp.issuer, client_id=CLIENT_ID)
    assert fake_idp.jwks_requests == 0


# ------------------------------------------------------------------------------------------- subjects


def test_a_subject_of_255_characters_signs_in_and_finds_the_same_account_again(client, tenancy, idp):
    configure_sso(tenancy.org, idp.issuer)
    sub = "s" * 255
    idp.configure(users=[{"email": EMAIL, "name": "Ada Lovelace", "sub": sub, "groups": []}])
    response = sso_login(client, idp, EMAIL)
    assert response.status_code == 302 and signed_in(client)
    account = SocialAccount.objects.get()
    assert len(account.uid) <= 191 and account.uid != sub[:191]
    client.logout()
    response = sso_login(client, idp, EMAIL)
    assert response.status_code == 302 and signed_in(client)
    assert SocialAccount.objects.count() == 1 and User.objects.filter(email=EMAIL).count() == 1


def test_short_subjects_are_stored_as_they_are(client, tenancy, idp):
    configure_sso(tenancy.org, idp.issuer)
    sso_login(client, idp, EMAIL)
    assert SocialAccount.objects.get().uid == EMAIL  # the test IdP's subject for a user without one


def test_a_broken_userinfo_answer_is_a_readable_page_not_a_server_error(client, fake_idp, acme_fake):
    fake_idp.userinfo = ["not", "an", "object"]
    response = fake_login(client, fake_idp)
    assert response.status_code in (401, 403)
    assert "Back to sign in" in response.content.decode()
    assert not signed_in(client)


# ------------------------------------------------------------------------------------------- the groups claim


def test_teams_follow_the_claim_the_connection_names(client, tenancy, fake_idp):
    setup = configure_sso(tenancy.org, fake_idp.issuer, groups_claim="roles")
    response = fake_login(client, fake_idp, roles=["data-engineers"], groups=["platform"])
    assert signed_in_after(response, client)
    user = User.objects.get(email=EMAIL)
    assert set(TeamMembership.objects.filter(user=user).values_list("team", flat=True)) == {setup.data_team.pk}


def test_owners_see_the_claim_names_of_the_last_login_but_never_their_values(client, login, tenancy, fake_idp):
    configure_sso(tenancy.org, fake_idp.issuer)
    fake_login(client, fake_idp, roles=["secret-role-value"], tid="tenant-id-value")
    client.logout()
    login(tenancy.owner)
    page = client.get(f"/orgs/{tenancy.org.slug}/sso/").content.decode()
    assert "roles" in page and "tid" in page
    assert "secret-role-value" not in page and "tenant-id-value" not in page
    assert "no <code>groups</code> claim" in page  # the mapping matches nothing, and the page says why


def test_the_groups_claim_is_a_setting_and_its_change_is_audited(tenancy, idp):
    from accounts.sso import services as sso

    setup = configure_sso(tenancy.org, idp.issuer)
    sso.sso_connection_save(
        actor=tenancy.owner,
        organization=tenancy.org,
        issuer_url=idp.issuer,
        client_id=CLIENT_ID,
        domains="acme.test",
        groups_claim="roles",
    )
    setup.connection.refresh_from_db()
    assert setup.connection.groups_claim == "roles"
    assert AuditEvent.objects.get(action="sso.update").changes["groups_claim"] == ["groups", "roles"]
    assert OrganizationMembership.objects.filter(organization=tenancy.org).exists()
