"""API token pages: the owners of each scope create, rotate and delete; read-only members get 403, outsiders 404;
the secret is shown exactly once."""

import re

import pytest
from django.urls import reverse

from accounts.models import ApiToken, AuditEvent
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import BindingFactory, MembershipFactory, UserFactory
from accounts.tests.page_helpers import HTMX, text
from accounts.tokens import services as tokens
from deployments.tests.factories import make_deployment

pytestmark = pytest.mark.django_db

PLAINTEXT = re.compile(r"aero_[a-z0-9]{8}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def deployment(tenancy):
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Sales pipelines")


@pytest.fixture
def workspace_owner(tenancy):
    user = UserFactory(email="wsowner@acme.test")
    MembershipFactory(organization=tenancy.org, user=user, role=OrgRole.MEMBER)
    BindingFactory(workspace=tenancy.workspace, user=user, role=WorkspaceRole.OWNER)
    return user


@pytest.fixture
def pages(tenancy, deployment):
    """scope -> (page URL, the create target for the service, a valid role)."""
    return {
        "organization": (reverse("organization_tokens", args=["acme"]), {"organization": tenancy.org}, "MEMBER"),
        "workspace": (
            reverse("workspace_tokens", args=["acme", tenancy.workspace.pk]),
            {"workspace": tenancy.workspace},
            "OPERATOR",
        ),
        "deployment": (
            reverse("deployment_tokens", args=["acme", deployment.pk]),
            {"deployment": deployment},
            "OPERATOR",
        ),
    }


SCOPES = ["organization", "workspace", "deployment"]


def make(tenancy, target, role="MEMBER", name="ci-deployer"):
    return tokens.token_create(actor=tenancy.owner, role=role, name=name, **target)


def secrets_in(response) -> list[str]:
    return PLAINTEXT.findall(text(response))


def form(role, name="ci-deployer", **extra):
    return {"name": name, "description": "Deploys from main", "role": role, "expires": "90", **extra}


# ---------------------------------------------------------------------------------------------------- viewing


@pytest.mark.parametrize("scope", SCOPES)
def test_owner_sees_the_tokens_of_the_scope(login, tenancy, pages, scope):
    url, target, role = pages[scope]
    token, plaintext = make(tenancy, target, role)
    tokens.authenticate(plaintext, ip="203.0.113.5")
    response = login(tenancy.owner).get(url)
    assert response.status_code == 200
    body = text(response)
    for shown in ("ci-deployer", token.prefix, "Olive Owner", "203.0.113.5", "Create token"):
        assert shown in body, shown
    assert plaintext not in body
    assert not secrets_in(response)


@pytest.mark.parametrize("scope", SCOPES)
def test_empty_state_says_what_tokens_are_for(login, tenancy, pages, scope):
    response = login(tenancy.owner).get(pages[scope][0])
    assert response.status_code == 200
    assert "No API tokens yet" in text(response)


@pytest.mark.parametrize("scope", SCOPES)
def test_read_only_member_gets_403(login, tenancy, pages, scope):
    url, _, role = pages[scope]
    client = login(tenancy.member)
    assert client.get(url).status_code == 403
    assert client.post(url, form(role)).status_code == 403
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("scope", SCOPES)
def test_outsider_gets_404(login, tenancy, pages, scope):
    url, _, role = pages[scope]
    client = login(tenancy.outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, form(role)).status_code == 404
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("scope", SCOPES)
def test_anonymous_visitor_is_sent_to_login(client, tenancy, pages, scope):
    response = client.get(pages[scope][0])
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_organisation_page_lists_every_token_of_the_organisation_only(login, tenancy, pages):
    make(tenancy, pages["workspace"][1], name="ws-token")
    make(tenancy, pages["deployment"][1], name="dep-token")
    theirs, _ = tokens.token_create(actor=tenancy.outsider, organization=tenancy.other_org, role="OWNER", name="globex")
    body = text(login(tenancy.owner).get(pages["organization"][0]))
    assert "ws-token" in body and "dep-token" in body
    assert theirs.prefix not in body


def test_workspace_owner_manages_workspace_tokens_but_not_the_organisations(login, tenancy, pages, workspace_owner):
    client = login(workspace_owner)
    assert client.get(pages["workspace"][0]).status_code == 200
    assert client.get(pages["deployment"][0]).status_code == 200
    assert client.get(pages["organization"][0]).status_code == 403
    org_token, _ = make(tenancy, pages["organization"][1])
    assert client.post(reverse("token_rotate", args=["acme", org_token.pk])).status_code == 403
    assert client.post(reverse("token_delete", args=["acme", org_token.pk])).status_code == 403


# ----------------------------------------------------------------------------------------------------- create


@pytest.mark.parametrize("scope", SCOPES)
def test_owner_creates_a_token_and_sees_its_secret_exactly_once(login, tenancy, pages, scope):
    url, _, role = pages[scope]
    client = login(tenancy.owner)
    response = client.post(url, form(role), **HTMX)
    assert response.status_code == 200
    shown = secrets_in(response)
    assert len(shown) == 1, shown
    token = ApiToken.objects.get()
    assert (token.name, token.role, token.scope, token.created_by) == (
        "ci-deployer",
        role,
        scope.upper(),
        tenancy.owner,
    )
    assert tokens.authenticate(shown[0]).pk == token.pk
    body = text(response)
    assert re.search(r'<template>\s*<div class="card" id="tokens-card" hx-swap-oob="true"', body)  # the new list
    assert token.prefix in body
    assert "only time it is shown" in body
    assert "no-store" in response["Cache-Control"]
    # Never again: not on the page, not in the audit log.
    assert shown[0] not in text(client.get(url))
    assert shown[0] not in text(client.get(reverse("audit_log", args=["acme"])))
    assert AuditEvent.objects.filter(action="token.create", actor=tenancy.owner).count() == 1


def test_create_without_htmx_answers_the_page_with_the_secret(login, tenancy, pages):
    response = login(tenancy.owner).post(pages["organization"][0], form("OWNER"))
    assert response.status_code == 200
    assert len(secrets_in(response)) == 1
    assert "No API tokens yet" not in text(response)


def test_expiry_presets_and_dates(login, tenancy, pages):
    client = login(tenancy.owner)
    url = pages["organization"][0]
    client.post(url, form("MEMBER", name="never", expires="never"), **HTMX)
    client.post(url, form("MEMBER", name="dated", expires="date", expires_on="2099-01-31"), **HTMX)
    assert ApiToken.objects.get(name="never").expires_at is None
    assert ApiToken.objects.get(name="dated").expires_at.isoformat() == "2099-01-31T00:00:00+00:00"
    assert ApiToken.objects.filter(name="ci-deployer").count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (form("MEMBER", name=""), "This field is required"),
        (form("MEMBER", name="x" * 101), "at most 100"),
        (form("OPERATOR"), "Select a valid choice"),  # a workspace role on the organisation's page
        (form("MEMBER", expires="date"), "Choose the day it expires"),
        (form("MEMBER", expires="date", expires_on="2001-01-01"), "in the future"),
    ],
)
def test_bad_input_is_shown_inline_and_keeps_what_was_typed(login, tenancy, pages, data, message):
    client = login(tenancy.owner)
    url = pages["organization"][0]
    response = client.post(url, data, **HTMX)
    assert response.status_code == 200
    body = text(response)
    assert message in body
    assert 'id="create-token-form"' in body and "<html" not in body
    assert "Deploys from main" in body
    assert not secrets_in(response)
    full = client.post(url, data)
    assert full.status_code == 400
    assert not ApiToken.objects.exists()


# ----------------------------------------------------------------------------------------------------- rotate


@pytest.mark.parametrize("scope", SCOPES)
def test_owner_rotates_a_token_and_sees_the_new_secret_once(login, tenancy, pages, scope):
    url, target, role = pages[scope]
    token, old = make(tenancy, target, role)
    old_prefix = token.prefix
    client = login(tenancy.owner)
    response = client.post(reverse("token_rotate", args=["acme", token.pk]), **HTMX)
    assert response.status_code == 200
    shown = secrets_in(response)
    assert len(shown) == 1 and shown[0] != old
    token.refresh_from_db()
    assert token.prefix != old_prefix
    # The row with the new prefix, out of band, in a <template> (a bare <tr> would not survive HTML parsing).
    assert re.search(
        rf'<template>\s*<tr id="token-{token.pk}" hx-swap-oob="true"[^>]*>.*?</tr>\s*</template>', text(response), re.S
    )
    assert re.search(rf"<template>.*{token.prefix}.*</template>", text(response), re.S)
    assert tokens.authenticate(shown[0]).pk == token.pk
    with pytest.raises(tokens.InvalidToken):
        tokens.authenticate(old)
    assert shown[0] not in text(client.get(url))
    assert AuditEvent.objects.filter(action="token.rotate", actor=tenancy.owner).count() == 1


def test_rotate_and_delete_ask_for_confirmation(login, tenancy, pages):
    make(tenancy, pages["organization"][1])
    body = text(login(tenancy.owner).get(pages["organization"][0]))
    assert body.count("hx-confirm=") == 2
    assert "stops working at once" in body


@pytest.mark.parametrize("scope", SCOPES)
def test_member_cannot_rotate_or_delete(login, tenancy, pages, scope):
    token, plaintext = make(tenancy, pages[scope][1])
    client = login(tenancy.member)
    assert client.post(reverse("token_rotate", args=["acme", token.pk])).status_code == 403
    assert client.post(reverse("token_delete", args=["acme", token.pk])).status_code == 403
    assert tokens.authenticate(plaintext).pk == token.pk


@pytest.mark.parametrize("scope", SCOPES)
def test_outsider_cannot_rotate_or_delete(login, tenancy, pages, scope):
    token, plaintext = make(tenancy, pages[scope][1])
    client = login(tenancy.outsider)
    for org in ("acme", "globex"):  # neither through the token's organisation nor through their own
        assert client.post(reverse("token_rotate", args=[org, token.pk])).status_code == 404
        assert client.post(reverse("token_delete", args=[org, token.pk])).status_code == 404
    assert tokens.authenticate(plaintext).pk == token.pk


def test_member_without_a_role_on_the_tokens_workspace_gets_404(login, tenancy, pages):
    unbound = UserFactory()
    MembershipFactory(organization=tenancy.org, user=unbound, role=OrgRole.MEMBER)
    token, _ = make(tenancy, pages["deployment"][1])
    client = login(unbound)
    assert client.post(reverse("token_rotate", args=["acme", token.pk])).status_code == 404
    assert client.get(pages["workspace"][0]).status_code == 404


def test_rotate_without_htmx_answers_the_page_with_the_secret(login, tenancy, pages):
    token, _ = make(tenancy, pages["workspace"][1])
    response = login(tenancy.owner).post(reverse("token_rotate", args=["acme", token.pk]))
    assert response.status_code == 200
    assert len(secrets_in(response)) == 1
    assert "The token was rotated" in text(response)


# ----------------------------------------------------------------------------------------------------- delete


@pytest.mark.parametrize("scope", SCOPES)
def test_owner_deletes_a_token(login, tenancy, pages, scope):
    url, target, _ = pages[scope]
    token, plaintext = make(tenancy, target)
    response = login(tenancy.owner).post(reverse("token_delete", args=["acme", token.pk]), {"next": url}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == url
    assert not ApiToken.objects.exists()
    with pytest.raises(tokens.InvalidToken):
        tokens.authenticate(plaintext)
    assert AuditEvent.objects.filter(action="token.delete", actor=tenancy.owner).count() == 1


def test_delete_ignores_a_next_address_elsewhere(login, tenancy, pages):
    token, _ = make(tenancy, pages["organization"][1])
    response = login(tenancy.owner).post(
        reverse("token_delete", args=["acme", token.pk]), {"next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response.url == pages["organization"][0]


def test_get_is_not_allowed_on_actions(login, tenancy, pages):
    token, _ = make(tenancy, pages["organization"][1])
    client = login(tenancy.owner)
    assert client.get(reverse("token_rotate", args=["acme", token.pk])).status_code == 405
    assert client.get(reverse("token_delete", args=["acme", token.pk])).status_code == 405


# ------------------------------------------------------------------------------------------------- navigation


def test_links_to_the_token_pages_are_shown_to_their_owners_only(login, tenancy, pages, deployment):
    overview = reverse("deployment_overview", args=["acme", deployment.pk])
    workspace_page = reverse("workspace_detail", args=["acme", tenancy.workspace.pk])
    owner = login(tenancy.owner)
    assert pages["organization"][0] in text(owner.get(workspace_page))  # the navigation bar
    assert pages["workspace"][0] in text(owner.get(workspace_page))
    assert pages["deployment"][0] in text(owner.get(overview))
    member = login(tenancy.member)
    for page in (workspace_page, overview):
        body = text(member.get(page))
        assert not any(url in body for url, _, _ in pages.values()), page


def test_deployment_tab_is_marked_current(login, tenancy, pages):
    body = text(login(tenancy.owner).get(pages["deployment"][0]))
    assert re.search(r'class="nav-link active" href="[^"]+/tokens/" aria-current="page"', body)


def test_a_bearer_token_does_not_sign_in_to_pages(client, tenancy, pages):
    _, plaintext = make(tenancy, pages["organization"][1], role="OWNER")
    for url, _, _ in pages.values():
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    assert client.get(reverse("organization_list"), HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 302
    assert ApiToken.objects.get().last_used_at is None  # pages never even look at it
