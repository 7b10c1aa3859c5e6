"""Single sign-on: the SSO services, home realm discovery, and whole logins over HTTP against a real OpenID Connect
provider (the npm package oidc-provider, started by the `idp` fixture), including the ways a login must fail."""

import hashlib
import socket
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection as db_connection
from django.utils import timezone

from accounts.models import (
    AuditEvent,
    Invitation,
    OrganizationMembership,
    SSOBypassLink,
    SSOConnection,
    SSODomain,
    TeamMembership,
    User,
)
from accounts.roles import OrgRole
from accounts.sso import services as sso
from accounts.sso.adapter import SocialAccountAdapter
from accounts.tests.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory
from accounts.tests.page_helpers import text
from accounts.tests.sso.oidc_harness import CLIENT_ID, CLIENT_SECRET
from accounts.tests.sso.sso_helpers import callback_path, configure_sso, query, sso_login, start_sso_login

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def team_names(user) -> set[str]:
    return set(TeamMembership.objects.filter(user=user).values_list("team__name", flat=True))


def logged_in_as(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def assert_nobody_created(email: str) -> None:
    assert not User.objects.filter(email=email).exists()
    assert not SocialAccount.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["sso.provision", "sso.link", "sso.team_sync"]).exists()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # allauth counts login attempts in the cache; these tests log in a lot


@pytest.fixture
def acme_sso(tenancy, idp):
    return configure_sso(tenancy.org, idp.issuer)


# --------------------------------------------------------------------------------------------- configuration


def save(actor, org, **fields):
    values = {
        "issuer_url": fields.pop("issuer_url"),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "domains": "acme.test",
        "default_role": OrgRole.MEMBER,
        "enabled": True,
        "enforce_sso": False,
    }
    values.update(fields)
    return sso.sso_connection_save(actor=actor, organization=org, **values)


def test_owner_saves_a_connection_checked_by_discovery_with_the_secret_encrypted_and_not_audited(tenancy, idp):
    connection = save(tenancy.owner, tenancy.org, issuer_url=idp.issuer, domains="Acme.test, @acme.example")
    assert connection.domains == ["acme.test", "acme.example"]
    assert SSOConnection.objects.get().client_secret == CLIENT_SECRET
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM accounts_ssoconnection")
        assert CLIENT_SECRET not in cursor.fetchone()[0]  # encrypted at rest
    event = AuditEvent.objects.get(action="sso.create")
    assert event.actor == tenancy.owner and event.organization == tenancy.org
    assert event.changes["client_secret"] == "set"
    assert CLIENT_SECRET not in str(event.changes)


def test_a_blank_secret_keeps_the_stored_one_and_a_new_one_is_audited_without_its_value(tenancy, idp):
    save(tenancy.owner, tenancy.org, issuer_url=idp.issuer)
    save(tenancy.owner, tenancy.org, issuer_url=idp.issuer, client_secret="", default_role=OrgRole.OWNER)
    assert SSOConnection.objects.get().client_secret == CLIENT_SECRET
    assert AuditEvent.objects.get(action="sso.update").changes == {"default_role": ["MEMBER", "OWNER"]}
    save(tenancy.owner, tenancy.org, issuer_url=idp.issuer, client_secret="brand-new", default_role=OrgRole.OWNER)
    assert SSOConnection.objects.get().client_secret == "brand-new"
    latest = AuditEvent.objects.filter(action="sso.update").first()
    assert latest.changes == {"client_secret": "replaced"}


def test_a_new_connection_needs_a_client_secret(tenancy, idp):
    with pytest.raises(ValidationError) as error:
        save(tenancy.owner, tenancy.org, issuer_url=idp.issuer, client_secret="")
    assert "client_secret" in error.value.message_dict


@pytest.mark.parametrize("field", ["client_id", "client_secret"])
def test_control_characters_in_the_client_credentials_are_refused_next_to_the_field(tenancy, idp, field):
    """A pasted ID or secret carrying a line break inside would be sent to the IdP as is and fail every login."""
    with pytest.raises(ValidationError) as caught:
        save(tenancy.owner, tenancy.org, issuer_url=idp.issuer, **{field: "aero\ndrome"})
    assert "control characters" in caught.value.message_dict[field][0]
    assert not SSOConnection.objects.exists()


def test_an_unreachable_issuer_is_refused_with_a_clear_error(tenancy):
    with pytest.raises(ValidationError) as error:
        save(tenancy.owner, tenancy.org, issuer_url=f"http://127.0.0.1:{closed_port()}")
    assert "Could not connect to 127.0.0.1" in error.value.message_dict["issuer_url"][0]
    assert not SSOConnection.objects.exists()


def test_an_issuer_without_an_openid_configuration_is_refused(tenancy, idp):
    with pytest.raises(ValidationError) as error:
        save(tenancy.owner, tenancy.org, issuer_url=f"{idp.issuer}/not-here")
    assert "answered HTTP 404" in error.value.message_dict["issuer_url"][0]


def test_an_issuer_that_calls_itself_otherwise_is_refused(tenancy, idp):
    other_spelling = idp.issuer.replace("127.0.0.1", "localhost")
    with pytest.raises(ValidationError) as error:
        save(tenancy.owner, tenancy.org, issuer_url=other_spelling)
    assert f"calls itself {idp.issuer}" in error.value.message_dict["issuer_url"][0]


def test_the_issuer_must_use_https_except_on_loopback(tenancy):
    with pytest.raises(ValidationError) as error:
        save(tenancy.owner, tenancy.org, issuer_url="http://login.example.com")
    assert "must use https" in error.value.message_dict["issuer_url"][0]


def test_disabling_a_connection_needs_no_reachable_issuer(tenancy, idp):
    save(tenancy.owner, tenancy.org, issuer_url=idp.issuer)
    idp.stop()
    connection = save(tenancy.owner, tenancy.org, issuer_url=idp.issuer, client_secret="", enabled=False)
    assert connection.enabled is False


def test_a_domain_verified_by_one_organisation_cannot_be_claimed_by_another_without_naming_it(tenancy, idp):
    save(tenancy.owner, tenancy.org, issuer_url=idp.issuer)
    SSODomain.objects.filter(domain="acme.test").update(verified_at=timezone.now())
    with pytest.raises(ValidationError) as error:
        save(tenancy.outsider, tenancy.other_org, issuer_url=idp.issuer, domains="globex.test, ACME.test")
    message = error.value.message_dict["domains"][0]
    assert "acme.test is already verified by another organisation" in message
    assert "Acme" not in message
    assert SSOConnection.objects.count() == 1


@pytest.mark.parametrize(
    ("domains", "message"),
    [("", "at least one"), ("not a domain", "“not” is not an email domain"), ("gmail.com", "public email service")],
)
def test_bad_domains_are_refused(tenancy, idp, domains, message):
    with pytest.raises(ValidationError) as error:
        save(tenancy.owner, tenancy.org, issuer_url=idp.issuer, domains=domains)
    assert message in error.value.message_dict["domains"][0]


def test_enforcing_needs_the_connection_enabled(tenancy, idp):
    with pytest.raises(ValidationError) as error:
        save(tenancy.owner, tenancy.org, issuer_url=idp.issuer, enabled=False, enforce_sso=True)
    assert "enforce_sso" in error.value.message_dict


def test_a_member_cannot_configure_sso(tenancy, idp):
    with pytest.raises(PermissionDenied):
        save(tenancy.member, tenancy.org, issuer_url=idp.issuer)
    assert not SSOConnection.objects.exists()


def test_group_mappings_take_teams_of_the_organisation_once_each(tenancy, idp):
    setup = configure_sso(tenancy.org, idp.issuer)
    foreign_team = TeamFactory(organization=tenancy.other_org)
    with pytest.raises(ValidationError, match="team of this organisation"):
        sso.sso_group_mapping_add(actor=tenancy.owner, connection=setup.connection, group="x", team=foreign_team)
    with pytest.raises(ValidationError, match="already mapped to the team Data Engineering"):
        sso.sso_group_mapping_add(
            actor=tenancy.owner, connection=setup.connection, group="data-engineers", team=setup.unmapped_team
        )
    mapping = sso.sso_group_mapping_add(
        actor=tenancy.owner, connection=setup.connection, group="ops", team=setup.unmapped_team
    )
    assert AuditEvent.objects.get(action="sso.mapping_add").changes == {"mapping": [None, "ops → Hand-picked"]}
    sso.sso_group_mapping_remove(actor=tenancy.owner, mapping=mapping)
    assert AuditEvent.objects.get(action="sso.mapping_remove").changes == {"mapping": ["ops → Hand-picked", None]}


def test_a_bypass_link_is_stored_hashed_and_expires_in_a_day(tenancy, acme_sso):
    link, token = sso.sso_bypass_link_create(actor=tenancy.owner, organization=tenancy.org)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not SSOBypassLink.objects.filter(token_hash=token).exists()
    assert timezone.timedelta(hours=23) < link.expires_at - timezone.now() <= timezone.timedelta(hours=24)
    event = AuditEvent.objects.get(action="sso.bypass_create")
    assert token not in str(event.changes) and event.actor == tenancy.owner


# --------------------------------------------------------------------------------------------- allauth apps


def test_each_connection_is_an_openid_connect_app_built_from_it_and_never_listed(tenancy, acme_sso):
    adapter = SocialAccountAdapter()
    (app,) = adapter.list_apps(None)
    assert (app.provider, app.provider_id, app.client_id, app.secret) == (
        "openid_connect",
        "org-acme",
        CLIENT_ID,
        CLIENT_SECRET,
    )
    assert app.settings["server_url"] == acme_sso.connection.issuer_url
    assert app.settings["scope"] == ["openid", "email", "profile", "groups"]
    assert app.settings["oauth_pkce_enabled"] is True
    assert adapter.list_apps(None, provider="org-globex") == []
    assert adapter.list_providers(None) == []


def test_the_login_page_lists_no_identity_provider(client, acme_sso):
    assert "Acme Data" not in text(client.get("/accounts/login/"))


# --------------------------------------------------------------------------------------------- home realm discovery


def test_an_address_of_a_managed_domain_goes_to_its_idp_with_pkce_nonce_login_hint_and_groups_scope(client, acme_sso):
    url = start_sso_login(client, "Ada@Acme.test", next="/orgs/")
    assert url.startswith(acme_sso.connection.issuer_url + "/auth?")
    params = query(url)
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "http://testserver/accounts/oidc/org-acme/login/callback/"
    assert set(params["scope"].split()) == {"openid", "email", "profile", "groups"}
    assert params["code_challenge_method"] == "S256" and params["code_challenge"]
    assert params["login_hint"] == "ada@acme.test"
    assert params["nonce"] == sso.nonce_for(params["state"])


def test_other_addresses_get_the_password_step_without_an_error(client, acme_sso):
    response = client.post("/accounts/login/", {"login": "someone@example.com"})
    assert response.status_code == 200
    body = text(response)
    assert 'data-step="password"' in body and 'value="someone@example.com"' in body
    assert "is-invalid" not in body and "invalid-feedback" not in body  # the next step, not a mistake
    assert "_auth_user_id" not in client.session


def test_a_disabled_connection_leaves_its_domain_to_passwords(client, tenancy, acme_sso):
    SSOConnection.objects.update(enabled=False)
    response = client.post("/accounts/login/", {"login": tenancy.owner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_as(client) == tenancy.owner


def test_the_realm_check_tells_the_login_page_how_to_continue(client, acme_sso):
    assert client.get("/accounts/login/realm/", {"email": "x@example.com"}).json() == {"sso": False, "password": True}
    assert client.get("/accounts/login/realm/", {"email": "x@acme.test"}).json() == {"sso": True, "password": True}
    SSOConnection.objects.update(enforce_sso=True)
    assert client.get("/accounts/login/realm/", {"email": "x@ACME.test"}).json() == {"sso": True, "password": False}


# --------------------------------------------------------------------------------------------- SSO logins


def test_first_login_creates_the_user_in_the_organisation_and_its_mapped_teams(client, tenancy, idp, acme_sso):
    response = sso_login(client, idp, "ada@acme.test", next="/orgs/acme/teams/")
    assert response.status_code == 302
    assert response["Location"] == "/orgs/acme/teams/"  # where the login started from
    ada = User.objects.get(email="ada@acme.test")
    assert logged_in_as(client) == ada
    assert ada.full_name == "Ada Lovelace"
    assert not ada.has_usable_password()
    assert OrganizationMembership.objects.get(user=ada).organization == tenancy.org
    assert OrganizationMembership.objects.get(user=ada).role == OrgRole.MEMBER
    assert team_names(ada) == {"Data Engineering"}
    assert EmailAddress.objects.get(user=ada).verified
    assert SocialAccount.objects.get(user=ada).provider == "org-acme"
    provision = AuditEvent.objects.get(action="sso.provision")
    assert (provision.actor, provision.organization) == (ada, tenancy.org)
    assert provision.changes == {"role": [None, "MEMBER"], "account": "created"}
    sync = AuditEvent.objects.get(action="sso.team_sync")
    assert sync.changes == {"teams_added": ["Data Engineering"], "teams_removed": []}


def test_new_users_get_the_default_role(client, idp, acme_sso):
    SSOConnection.objects.update(default_role=OrgRole.OWNER)
    sso_login(client, idp, "grace@acme.test")
    assert OrganizationMembership.objects.get(user__email="grace@acme.test").role == OrgRole.OWNER


def test_every_login_syncs_mapped_teams_from_the_groups_claim_and_leaves_other_teams_alone(client, idp, acme_sso):
    sso_login(client, idp, "grace@acme.test")
    grace = User.objects.get(email="grace@acme.test")
    assert team_names(grace) == {"Data Engineering", "Platform"}
    TeamMembership.objects.create(team=acme_sso.unmapped_team, user=grace)
    client.post("/accounts/logout/")

    idp.set_groups("grace@acme.test", ["platform", "unmapped-group"])
    sso_login(client, idp, "grace@acme.test")
    assert logged_in_as(client) == grace
    assert team_names(grace) == {"Platform", "Hand-picked"}
    latest = AuditEvent.objects.filter(action="sso.team_sync").first()
    assert latest.changes == {"teams_added": [], "teams_removed": ["Data Engineering"]}
    assert OrganizationMembership.objects.filter(user=grace).count() == 1

    client.post("/accounts/logout/")
    syncs = AuditEvent.objects.filter(action="sso.team_sync").count()
    sso_login(client, idp, "grace@acme.test")  # nothing changed: nothing audited
    assert AuditEvent.objects.filter(action="sso.team_sync").count() == syncs


def test_an_existing_members_password_account_is_linked_on_first_sso_login(client, tenancy, idp, acme_sso):
    idp.configure(users=[{"email": "member@acme.test", "name": "Mo Member", "groups": ["platform"]}])
    response = sso_login(client, idp, "member@acme.test")
    assert response.status_code == 302
    assert logged_in_as(client) == tenancy.member
    assert SocialAccount.objects.get().user == tenancy.member
    assert User.objects.filter(email="member@acme.test").count() == 1
    assert OrganizationMembership.objects.get(user=tenancy.member).role == OrgRole.MEMBER  # role kept
    assert team_names(tenancy.member) == {"Platform"}
    assert AuditEvent.objects.get(action="sso.link").actor == tenancy.member
    assert not AuditEvent.objects.filter(action="sso.provision").exists()


def test_an_existing_account_outside_the_organisation_is_not_taken_over(client, tenancy, idp, acme_sso):
    stranger = UserFactory(email="ada@acme.test")  # signed up before Acme claimed the domain; not a member
    response = sso_login(client, idp, "ada@acme.test")
    assert response.status_code == 403
    assert "already has an Aerodrome account that is not a member of Acme Data" in text(response)
    assert logged_in_as(client) is None
    assert not SocialAccount.objects.exists()
    assert not OrganizationMembership.objects.filter(user=stranger).exists()
    assert stranger.check_password(PASSWORD)


def test_an_address_outside_the_connections_domains_is_refused_and_no_account_is_created(client, idp, acme_sso):
    response = sso_login(client, idp, "ada@acme.test", as_email="mallory@elsewhere.test")
    assert response.status_code == 403
    body = text(response)
    assert "This address is not managed here" in body
    assert "mallory@elsewhere.test is not in a domain Acme Data manages" in body
    assert logged_in_as(client) is None
    assert_nobody_created("mallory@elsewhere.test")


def test_an_address_the_idp_has_not_verified_is_refused(client, idp, acme_sso):
    idp.configure(users=[{"email": "ada@acme.test", "name": "Ada", "email_verified": False, "groups": []}])
    response = sso_login(client, idp, "ada@acme.test")
    assert response.status_code == 403
    assert "not verified" in text(response)
    assert_nobody_created("ada@acme.test")


# --------------------------------------------------------------------------------------------- enforcement


def test_enforced_sso_refuses_password_logins_for_the_domain_with_a_clear_message(client, tenancy, acme_sso):
    SSOConnection.objects.update(enforce_sso=True)
    response = client.post("/accounts/login/", {"login": tenancy.owner.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Acme Data requires single sign-on for @acme.test addresses" in text(response)
    assert logged_in_as(client) is None
    # A wrong password gets the same answer: enforcement does not reveal whether the password was right.
    response = client.post("/accounts/login/", {"login": tenancy.owner.email, "password": "wrong"})
    assert "requires single sign-on" in text(response)
    # Other domains are unaffected.
    response = client.post("/accounts/login/", {"login": tenancy.outsider.email, "password": PASSWORD})
    assert logged_in_as(client) == tenancy.outsider


def test_enforced_sso_still_applies_after_the_user_moves_to_another_address(client, tenancy, acme_sso):
    SocialAccount.objects.create(user=tenancy.member, provider="org-acme", uid="subject-7")
    tenancy.member.email = "mo@personal.example"  # changed on the email page, out of the managed domain
    tenancy.member.save()
    SSOConnection.objects.update(enforce_sso=True)

    response = client.post("/accounts/login/", {"login": "mo@personal.example", "password": PASSWORD})

    assert logged_in_as(client) is None
    assert "Acme Data requires single sign-on" in text(response)


def test_enforced_sso_refuses_password_sign_up_for_the_domain(client, acme_sso):
    SSOConnection.objects.update(enforce_sso=True)
    response = client.post(
        "/accounts/signup/",
        {
            "email": "newbie@acme.test",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert "signs in @acme.test addresses through single sign-on" in text(response)
    assert not User.objects.filter(email="newbie@acme.test").exists()


def test_a_bypass_link_lets_one_password_login_through_once(client, tenancy, acme_sso):
    SSOConnection.objects.update(enforce_sso=True)
    link, token = sso.sso_bypass_link_create(actor=tenancy.owner, organization=tenancy.org)
    response = client.get(f"/accounts/sso/bypass/{token}/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?step=password"
    # With the link armed, the address is not sent to the IdP but asked for its password.
    assert client.get("/accounts/login/realm/", {"email": tenancy.member.email}).json()["sso"] is False
    assert client.post("/accounts/login/", {"login": tenancy.member.email}).status_code == 200
    # A wrong password does not use the link up.
    client.post("/accounts/login/", {"login": tenancy.member.email, "password": "wrong"})
    assert SSOBypassLink.objects.get().used_at is None

    response = client.post("/accounts/login/", {"login": tenancy.member.email, "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_as(client) == tenancy.member
    link.refresh_from_db()
    assert link.used_at is not None and link.used_by == tenancy.member
    event = AuditEvent.objects.get(action="sso.bypass_used")
    assert (event.actor, event.organization) == (tenancy.member, tenancy.org)

    client.post("/accounts/logout/")
    response = client.get(f"/accounts/sso/bypass/{token}/")
    assert response.status_code == 410
    assert "already been used" in text(response)
    response = client.post("/accounts/login/", {"login": tenancy.member.email, "password": PASSWORD})
    assert "requires single sign-on" in text(response)
    assert logged_in_as(client) is None


def test_an_expired_or_unknown_bypass_link_is_refused(client, tenancy, acme_sso):
    link, token = sso.sso_bypass_link_create(actor=tenancy.owner, organization=tenancy.org)
    SSOBypassLink.objects.update(expires_at=timezone.now() - timezone.timedelta(minutes=1))
    assert "expired" in text(client.get(f"/accounts/sso/bypass/{token}/"))
    assert client.get("/accounts/sso/bypass/not-a-token/").status_code == 404
    assert sso.BYPASS_SESSION_KEY not in client.session


def test_a_bypass_link_of_another_organisation_does_not_open_this_one(client, tenancy, idp, acme_sso):
    SSOConnection.objects.update(enforce_sso=True)
    sso.sso_connection_save(
        actor=tenancy.outsider,
        organization=tenancy.other_org,
        issuer_url=idp.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        domains="globex.test",
    )
    _, token = sso.sso_bypass_link_create(actor=tenancy.outsider, organization=tenancy.other_org)
    client.get(f"/accounts/sso/bypass/{token}/")
    response = client.post("/accounts/login/", {"login": tenancy.owner.email, "password": PASSWORD})
    assert "requires single sign-on" in text(response)
    assert SSOBypassLink.objects.get().used_at is None


# --------------------------------------------------------------------------------------------- failed logins


def assert_readable_failure(response, title: str):
    assert response.status_code in (401, 403), response.status_code
    body = text(response)
    assert title in body
    assert "Back to sign in" in body and "tabler.min.css" in body


def test_an_id_token_for_another_audience_is_rejected(client, idp, acme_sso):
    idp.set_mode("wrong-audience")
    response = sso_login(client, idp, "ada@acme.test")
    assert_readable_failure(response, "Token for another application")
    assert logged_in_as(client) is None
    assert_nobody_created("ada@acme.test")


def test_an_id_token_with_another_nonce_is_rejected(client, idp, acme_sso):
    idp.set_mode("wrong-nonce")
    response = sso_login(client, idp, "ada@acme.test")
    assert_readable_failure(response, "This sign-in answer is not yours")
    assert_nobody_created("ada@acme.test")


def test_a_failing_token_endpoint_is_a_readable_page(client, idp, acme_sso):
    idp.set_mode("token-error")
    response = sso_login(client, idp, "ada@acme.test")
    assert_readable_failure(response, "The identity provider did not complete the sign-in")
    assert_nobody_created("ada@acme.test")


def test_a_callback_with_a_state_this_browser_never_sent_is_rejected(client, idp, acme_sso):
    callback = idp.sign_in(start_sso_login(client, "ada@acme.test"), "ada@acme.test")
    forged = callback_path(callback).replace(f"state={query(callback)['state']}", "state=forged-state-value")
    response = client.get(forged)
    assert_readable_failure(response, "This sign-in attempt has expired")
    assert_nobody_created("ada@acme.test")


def test_a_callback_in_another_browser_is_rejected(client, idp, acme_sso, django_user_model):
    from django.test import Client

    callback = idp.sign_in(start_sso_login(client, "ada@acme.test"), "ada@acme.test")
    response = Client().get(callback_path(callback))  # e.g. a link with the code sent to someone else
    assert_readable_failure(response, "This sign-in attempt has expired")
    assert_nobody_created("ada@acme.test")


def test_an_expired_state_is_rejected(client, idp, acme_sso):
    authorize_url = start_sso_login(client, "ada@acme.test")
    session = client.session
    states = session["socialaccount_states"]
    for state_id, (state, started, provider_id) in list(states.items()):
        states[state_id] = [state, started - 3600, provider_id]  # started an hour ago (allauth allows 10 minutes)
    session["socialaccount_states"] = states
    session.save()
    response = client.get(callback_path(idp.sign_in(authorize_url, "ada@acme.test")))
    assert_readable_failure(response, "This sign-in attempt has expired")
    assert_nobody_created("ada@acme.test")


def test_a_state_is_used_once(client, idp, acme_sso):
    callback = callback_path(idp.sign_in(start_sso_login(client, "ada@acme.test"), "ada@acme.test"))
    assert client.get(callback).status_code == 302
    client.post("/accounts/logout/")
    assert_readable_failure(client.get(callback), "This sign-in attempt has expired")


def test_an_idp_that_is_down_when_the_login_starts_is_a_readable_page(client, tenancy):
    configure_sso(tenancy.org, f"http://127.0.0.1:{closed_port()}")
    response = client.post("/accounts/login/", {"login": "ada@acme.test"})
    assert_readable_failure(response, "Your identity provider is unreachable")
    assert "127.0.0.1" in text(response)
    assert_nobody_created("ada@acme.test")


def test_an_idp_that_goes_down_before_the_token_exchange_is_a_readable_page(client, idp, acme_sso):
    callback = callback_path(idp.sign_in(start_sso_login(client, "ada@acme.test"), "ada@acme.test"))
    idp.stop()  # connection refused from here on (the fixture starts it again for the next test)
    response = client.get(callback)
    assert_readable_failure(response, "Your identity provider is unreachable")
    assert_nobody_created("ada@acme.test")


def test_the_idp_cancelling_is_a_readable_page(client, idp, acme_sso):
    authorize_url = start_sso_login(client, "ada@acme.test")
    state = query(authorize_url)["state"]
    response = client.get(f"/accounts/oidc/org-acme/login/callback/?error=access_denied&state={state}", follow=True)
    assert "Sign-in cancelled" in text(response)
    response = client.get(
        "/accounts/oidc/org-acme/login/callback/?error=server_error&error_description=Directory+offline"
        f"&state={query(start_sso_login(client, 'ada@acme.test'))['state']}"
    )
    assert_readable_failure(response, "Your identity provider refused the sign-in")
    assert "Directory offline" in text(response)
    assert_nobody_created("ada@acme.test")


def test_a_login_through_a_connection_switched_off_meanwhile_is_refused(client, idp, acme_sso):
    callback = callback_path(idp.sign_in(start_sso_login(client, "ada@acme.test"), "ada@acme.test"))
    SSOConnection.objects.update(enabled=False)
    response = client.get(callback)
    assert_readable_failure(response, "Single sign-on is switched off")
    assert_nobody_created("ada@acme.test")


def test_unknown_identity_providers_are_not_found(client):
    assert client.post("/accounts/oidc/org-nope/login/").status_code == 404
    assert client.get("/accounts/oidc/org-nope/login/callback/?code=x&state=y").status_code == 404


# --------------------------------------------------------------------------------------------- sync rules


def test_sync_never_changes_the_role_of_an_existing_member(tenancy, idp, acme_sso):
    SSOConnection.objects.update(default_role=OrgRole.MEMBER)
    connection = SSOConnection.objects.get()
    sso.sso_login_sync(connection=connection, user=tenancy.owner, claims={"groups": "platform"})
    assert OrganizationMembership.objects.get(user=tenancy.owner, organization=tenancy.org).role == OrgRole.OWNER
    assert team_names(tenancy.owner) == {"Platform"}  # a single group as a string counts too


def test_a_missing_or_malformed_groups_claim_empties_mapped_teams_only(tenancy, acme_sso):
    connection = SSOConnection.objects.get()
    for team in (acme_sso.data_team, acme_sso.unmapped_team):
        TeamMembership.objects.create(team=team, user=tenancy.member)
    sso.sso_login_sync(connection=connection, user=tenancy.member, claims={"groups": {"not": "a list"}})
    assert team_names(tenancy.member) == {"Hand-picked"}


def test_a_user_removed_from_the_organisation_is_joined_again_at_the_next_sso_login(tenancy, idp, acme_sso):
    member = MembershipFactory(organization=tenancy.org, role=OrgRole.MEMBER).user
    OrganizationMembership.objects.filter(user=member).delete()
    sso.sso_login_sync(connection=SSOConnection.objects.get(), user=member, claims={})
    assert OrganizationMembership.objects.filter(user=member, organization=tenancy.org).exists()
    assert AuditEvent.objects.get(action="sso.provision").changes["account"] == "existing"


def test_the_callback_url_to_register_at_the_idp(rf, settings, tenancy):
    settings.ALLOWED_HOSTS = ["aerodrome.example.com"]
    request = rf.get("/", HTTP_HOST="aerodrome.example.com", secure=True)
    assert urlsplit(sso.callback_url(request, tenancy.org)).path == "/accounts/oidc/org-acme/login/callback/"
    assert sso.callback_url(request, tenancy.org).startswith("https://aerodrome.example.com/")


def test_the_connected_accounts_page_works_for_sso_users_even_after_the_connection_is_removed(client, idp, acme_sso):
    sso_login(client, idp, "ada@acme.test")
    assert client.get("/accounts/3rdparty/").status_code == 200
    SSOConnection.objects.all().delete()
    assert client.get("/accounts/3rdparty/").status_code == 200
    assert not SocialAccount.objects.exists()  # the links went with the connection
    client.post("/accounts/logout/")
    assert client.post("/accounts/oidc/org-acme/login/").status_code == 404


def test_an_sso_identity_is_never_connected_to_whoever_is_signed_in(client, tenancy, idp, acme_sso):
    client.force_login(tenancy.outsider)
    response = client.post("/accounts/oidc/org-acme/login/", {"process": "connect", "login_hint": "ada@acme.test"})
    assert query(response["Location"])["login_hint"] == "ada@acme.test"
    client.get(callback_path(idp.sign_in(response["Location"], "ada@acme.test")))
    assert logged_in_as(client) == User.objects.get(email="ada@acme.test")
    assert not SocialAccount.objects.filter(user=tenancy.outsider).exists()


def test_an_account_with_the_address_as_a_secondary_email_is_the_one_linked(client, tenancy, idp, acme_sso):
    EmailAddress.objects.create(user=tenancy.member, email="ada@acme.test", verified=True)
    response = sso_login(client, idp, "ada@acme.test")
    assert response.status_code == 302
    assert logged_in_as(client) == tenancy.member
    assert not User.objects.filter(email="ada@acme.test").exists()


def test_a_pending_invitation_does_not_let_the_organisations_idp_take_over_an_existing_account(
    client, tenancy, idp, acme_sso
):
    # Domains are claimed without proof and invitations are the inviting owner's to make: neither says the
    # IdP speaks for an account that is not a member yet. Joining goes through the invitation link.
    stranger = UserFactory(email="ada@acme.test")
    Invitation.objects.create(
        organization=tenancy.org,
        email="ada@acme.test",
        token_hash="0" * 64,
        invited_by=tenancy.owner,
        expires_at=timezone.now() + timezone.timedelta(days=7),
    )
    response = sso_login(client, idp, "ada@acme.test")
    assert response.status_code == 403
    assert logged_in_as(client) is None
    assert not SocialAccount.objects.exists()
    assert not OrganizationMembership.objects.filter(user=stranger).exists()


def test_an_unverified_secondary_address_does_not_get_someone_elses_sso_identity(client, tenancy, idp, acme_sso):
    # The member typed ada's address (say, as an email change still awaiting confirmation): it proves nothing.
    EmailAddress.objects.create(user=tenancy.member, email="ada@acme.test", verified=False)
    idp.configure(users=[{"email": "ada@acme.test", "name": "Ada", "groups": ["platform"]}])
    sso_login(client, idp, "ada@acme.test")
    assert logged_in_as(client) != tenancy.member  # (allauth asks ada to confirm her address on its sign-up form)
    assert not SocialAccount.objects.filter(user=tenancy.member).exists()
    assert not AuditEvent.objects.filter(action="sso.link").exists()
    assert team_names(tenancy.member) == set()


def test_links_to_an_idp_do_not_survive_a_new_issuer_or_the_connections_deletion(tenancy):
    setup = configure_sso(tenancy.org, "https://idp-one.acme.test", enabled=False)
    SocialAccount.objects.create(user=tenancy.member, provider="org-acme", uid="subject-1")
    SocialAccount.objects.create(user=tenancy.outsider, provider="org-globex", uid="subject-1")

    sso.sso_connection_save(
        actor=tenancy.owner,
        organization=tenancy.org,
        issuer_url="https://idp-two.acme.test",
        client_id="aerodrome",
        domains="acme.test",
        enabled=False,
    )
    assert not SocialAccount.objects.filter(provider="org-acme").exists()  # idp-two may reuse "subject-1"

    SocialAccount.objects.create(user=tenancy.member, provider="org-acme", uid="subject-2")
    tenancy.org.delete()  # cascades to the connection, however it goes
    assert not SocialAccount.objects.filter(provider="org-acme").exists()
    assert SocialAccount.objects.filter(provider="org-globex").count() == 1
    assert setup.connection.pk
