"""The organisation's single sign-on page (/orgs/<slug>/sso/): owners only (members 403, outsiders 404), the secret
write-only, inline errors that keep the input, group → team mappings, one-time bypass links shown once."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, SSOBypassLink, SSOConnection, SSOGroupMapping
from accounts.tests.factories import TeamFactory
from accounts.tests.page_helpers import HTMX, text
from accounts.tests.sso.oidc_harness import CLIENT_ID, CLIENT_SECRET
from accounts.tests.sso.sso_helpers import configure_sso

pytestmark = pytest.mark.django_db

ISSUER = "http://127.0.0.1:9"  # never contacted by these tests unless they save through discovery (`idp`)


def sso_state() -> dict:
    """Every SSO row and audit entry, to prove a refused request changed nothing."""
    models = (SSOConnection, SSOGroupMapping, SSOBypassLink, AuditEvent)
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


@pytest.fixture
def setup(tenancy):
    return configure_sso(tenancy.org, ISSUER)


def url(name, *args, org="acme"):
    return reverse(name, args=[org, *args])


def form_data(issuer, **changes):
    data = {
        "issuer_url": issuer,
        "client_id": CLIENT_ID,
        "client_secret": "",
        "domains": "acme.test",
        "default_role": "MEMBER",
        "enabled": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def mutations(setup):
    mapping = SSOGroupMapping.objects.filter(connection=setup.connection).first()
    return {
        "save": (url("sso_settings"), form_data(ISSUER, enabled=None)),
        "delete": (url("sso_delete"), {}),
        "mapping_add": (url("sso_mapping_add"), {"group": "ops", "team": setup.unmapped_team.pk}),
        "mapping_remove": (url("sso_mapping_remove", mapping.pk), {}),
        "bypass_create": (url("sso_bypass_create"), {}),
    }


MUTATIONS = ["save", "delete", "mapping_add", "mapping_remove", "bypass_create"]


# Personas


def test_anonymous_user_is_sent_to_login(client, setup):
    response = client.get(url("sso_settings"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url('sso_settings')}"


def test_member_is_forbidden_from_the_sso_page(login, tenancy, setup):
    assert login(tenancy.member).get(url("sso_settings")).status_code == 403


def test_outsider_gets_404_for_another_organisations_sso_page(login, tenancy, setup):
    assert login(tenancy.outsider).get(url("sso_settings")).status_code == 404


@pytest.mark.parametrize("which", MUTATIONS)
def test_member_cannot_change_sso(login, tenancy, setup, which):
    target, data = mutations(setup)[which]
    before = sso_state()
    assert login(tenancy.member).post(target, data).status_code == 403
    assert sso_state() == before


@pytest.mark.parametrize("which", MUTATIONS)
def test_outsider_cannot_change_another_organisations_sso(login, tenancy, setup, which):
    target, data = mutations(setup)[which]
    before = sso_state()
    assert login(tenancy.outsider).post(target, data).status_code == 404
    assert sso_state() == before


@pytest.mark.parametrize("which", MUTATIONS)
def test_anonymous_cannot_change_sso(client, setup, which):
    target, data = mutations(setup)[which]
    before = sso_state()
    response = client.post(target, data)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert sso_state() == before


def test_an_owner_cannot_reach_another_organisations_mapping_through_their_own(login, tenancy, setup):
    mapping = SSOGroupMapping.objects.first()
    before = sso_state()
    response = login(tenancy.outsider).post(url("sso_mapping_remove", mapping.pk, org="globex"))
    assert response.status_code == 404
    assert sso_state() == before


def test_the_navigation_shows_sso_to_owners_only(login, tenancy, setup):
    assert url("sso_settings") in text(login(tenancy.owner).get(reverse("team_list", args=["acme"])))
    assert url("sso_settings") not in text(login(tenancy.member).get(reverse("team_list", args=["acme"])))


# The page


def test_owner_sees_the_connection_without_its_secret(login, tenancy, setup):
    response = login(tenancy.owner).get(url("sso_settings"))
    assert response.status_code == 200
    body = text(response)
    assert CLIENT_SECRET not in body
    assert "A secret is stored" in body
    assert ISSUER in body and CLIENT_ID in body and "acme.test" in body
    assert "http://testserver/accounts/oidc/org-acme/login/callback/" in body
    assert "data-engineers" in body and "Data Engineering" in body


def test_owner_without_a_connection_gets_an_empty_form(login, tenancy):
    response = login(tenancy.owner).get(url("sso_settings"))
    assert response.status_code == 200
    body = text(response)
    assert "Not configured" in body and 'id="sso-connection-form"' in body
    assert 'id="sso-mappings"' not in body and 'id="sso-bypass"' not in body


def test_owner_configures_sso_through_the_page(login, tenancy, idp):
    client = login(tenancy.owner)
    response = client.post(
        url("sso_settings"), form_data(idp.issuer, client_secret=CLIENT_SECRET, domains="acme.test, acme.example")
    )
    assert response.status_code == 302
    connection = SSOConnection.objects.get()
    assert (connection.issuer_url, connection.client_secret, connection.domains) == (
        idp.issuer,
        CLIENT_SECRET,
        ["acme.test", "acme.example"],
    )
    assert "Single sign-on settings saved." in text(client.get(url("sso_settings")))
    assert AuditEvent.objects.filter(action="sso.create").exists()


def test_a_rejected_save_shows_errors_inline_and_keeps_the_input_but_not_the_secret(login, tenancy):
    client = login(tenancy.owner)
    data = form_data(ISSUER, client_secret="typed-secret", domains="gmail.com")
    response = client.post(url("sso_settings"), data)
    assert response.status_code == 400
    body = text(response)
    assert "gmail.com is a public email service" in body
    assert ISSUER in body and 'value="gmail.com"' not in body and ">gmail.com</textarea>" in body
    assert "typed-secret" not in body
    assert not SSOConnection.objects.exists()

    response = client.post(url("sso_settings"), data, **HTMX)
    assert response.status_code == 200
    assert text(response).lstrip().startswith('<form class="card mb-3" id="sso-connection-form"')


def test_an_unreachable_issuer_is_reported_on_its_field(login, tenancy):
    response = login(tenancy.owner).post(url("sso_settings"), form_data(ISSUER, client_secret="s"))
    assert response.status_code == 400
    assert "Could not connect to 127.0.0.1:9" in text(response)


def test_owner_maps_a_group_to_a_team_and_removes_it(login, tenancy, setup):
    client = login(tenancy.owner)
    response = client.post(url("sso_mapping_add"), {"group": "ops", "team": setup.unmapped_team.pk})
    assert response.status_code == 302
    mapping = SSOGroupMapping.objects.get(group="ops")
    assert mapping.team == setup.unmapped_team
    response = client.post(url("sso_mapping_remove", mapping.pk), **HTMX)
    assert response.status_code == 204 and response["HX-Location"] == url("sso_settings")
    assert not SSOGroupMapping.objects.filter(group="ops").exists()


def test_a_mapping_to_another_organisations_team_or_a_duplicate_group_is_refused(login, tenancy, setup):
    client = login(tenancy.owner)
    foreign = TeamFactory(organization=tenancy.other_org)
    response = client.post(url("sso_mapping_add"), {"group": "ops", "team": foreign.pk}, **HTMX)
    assert "Select a valid choice" in text(response)
    response = client.post(url("sso_mapping_add"), {"group": "platform", "team": setup.unmapped_team.pk}, **HTMX)
    assert "already mapped to the team Platform" in text(response)
    assert 'value="platform"' in text(response)
    assert SSOGroupMapping.objects.count() == 2


def test_a_bypass_link_is_shown_once(login, tenancy, setup):
    client = login(tenancy.owner)
    response = client.post(url("sso_bypass_create"), **HTMX)
    assert response.status_code == 200
    body = text(response)
    assert "it is shown only once" in body
    link_url = body.split('aria-label="Bypass link" onfocus="this.select()">')[1].split("<")[0]
    assert link_url.startswith("http://testserver/accounts/sso/bypass/")
    token = link_url.rstrip("/").rsplit("/", 1)[1]
    page = text(client.get(url("sso_settings")))
    assert token not in page and "Unused" in page
    assert SSOBypassLink.objects.get().created_by == tenancy.owner


def test_owner_removes_sso(login, tenancy, setup):
    response = login(tenancy.owner).post(url("sso_delete"))
    assert response.status_code == 302
    assert not SSOConnection.objects.exists() and not SSOGroupMapping.objects.exists()
    assert AuditEvent.objects.get(action="sso.delete").changes == {"domains": ["acme.test", None]}


@pytest.mark.parametrize("email", ["ada@acme%00.test", "ada@" + "x" * 300 + ".test", "ada@acmé.test"])
def test_the_realm_check_answers_password_for_odd_addresses_and_never_fails(client, setup, email):
    response = client.get(f"/accounts/login/realm/?email={email}")
    assert response.status_code == 200
    assert response.json() == {"sso": False, "password": True}


@pytest.mark.parametrize("provider_id", ["%00", "org-%00", "org-acme%00"])
def test_a_callback_for_a_provider_id_with_a_nul_byte_is_not_found(client, setup, provider_id):
    client.raise_request_exception = False
    response = client.get(f"/accounts/oidc/{provider_id}/login/callback/?state=x&code=y")
    assert response.status_code == 404
    response = client.post(f"/accounts/oidc/{provider_id}/login/")
    assert response.status_code == 404
