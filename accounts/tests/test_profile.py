"""People set their own name on the profile page; lists then show "Name <email>", and someone without a name by
their address once."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import services
from accounts.models import AuditEvent
from accounts.tests.factories import BindingFactory, MembershipFactory, TeamFactory, TeamMembershipFactory, UserFactory
from accounts.tests.page_helpers import HTMX, text
from accounts.tokens.services import token_create

pytestmark = pytest.mark.django_db

PROFILE = "/profile/"


@pytest.fixture
def nameless(tenancy):
    """Someone who joined through an invitation and never gave a name."""
    user = UserFactory(email="invitee@acme.test", full_name="")
    MembershipFactory(organization=tenancy.org, user=user)
    return user


def test_a_person_sets_their_name_and_it_is_audited(login, nameless):
    response = login(nameless).post(PROFILE, {"full_name": "  Ada Lovelace  "})
    assert response.status_code == 302 and response["Location"] == PROFILE
    nameless.refresh_from_db()
    assert nameless.full_name == "Ada Lovelace"
    event = AuditEvent.objects.get(action="user.update")
    assert (event.actor, event.target_id, event.organization) == (nameless, str(nameless.pk), None)
    assert event.changes == {"full_name": ["", "Ada Lovelace"]}
    page = text(login(nameless).get(PROFILE))
    assert "Your name is saved." in page
    assert 'value="Ada Lovelace"' in page


def test_a_name_can_be_cleared(login, tenancy):
    login(tenancy.member).post(PROFILE, {"full_name": ""})
    tenancy.member.refresh_from_db()
    assert tenancy.member.full_name == ""
    assert AuditEvent.objects.get(action="user.update").changes == {"full_name": ["Mo Member", ""]}


def test_saving_the_same_name_changes_nothing(login, tenancy):
    response = login(tenancy.member).post(PROFILE, {"full_name": "Mo Member"})
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="user.update").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Ada\nLovelace", "The name cannot contain control characters such as line breaks or tabs."),
        ("Ada\x1b[31mLovelace", "The name cannot contain control characters such as line breaks or tabs."),
        ("x" * 151, "The name can be at most 150 characters long (it has 151)."),
    ],
)
def test_a_bad_name_is_refused_next_to_the_field_keeping_what_was_typed(login, tenancy, name, message):
    response = login(tenancy.member).post(PROFILE, {"full_name": name})
    assert response.status_code == 400
    body = text(response)
    field = body[body.index('id="profile-name-form"') :]
    assert f'<div class="invalid-feedback d-block">{message}</div>' in field
    assert 'class="form-control is-invalid"' in field
    assert name[:3] in re.search(r'name="full_name"[^>]*value="([^"]*)"', field).group(1)
    tenancy.member.refresh_from_db()
    assert tenancy.member.full_name == "Mo Member"
    assert not AuditEvent.objects.filter(action="user.update").exists()


def test_over_htmx_a_saved_name_reloads_the_page_and_a_bad_one_answers_the_form(login, tenancy):
    client = login(tenancy.member)
    saved = client.post(PROFILE, {"full_name": "Maud"}, **HTMX)
    assert saved.status_code == 204 and saved["HX-Location"] == PROFILE
    refused = client.post(PROFILE, {"full_name": "Ma\tud"}, **HTMX)
    assert refused.status_code == 200
    assert text(refused).lstrip().startswith('<form class="card mb-3" id="profile-name-form"')


def test_the_profile_needs_a_login(client, tenancy):
    response = client.post(PROFILE, {"full_name": "Mallory"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    tenancy.member.refresh_from_db()
    assert tenancy.member.full_name == "Mo Member"


def test_only_the_person_may_change_their_name(tenancy):
    with pytest.raises(PermissionDenied):
        services.user_update(actor=tenancy.owner, user=tenancy.member, full_name="Renamed by the owner")
    token, _ = token_create(actor=tenancy.owner, organization=tenancy.org, name="ci", role="OWNER")
    with pytest.raises(PermissionDenied):
        services.user_update(actor=token, user=tenancy.owner, full_name="Renamed by a token")
    tenancy.member.refresh_from_db()
    assert tenancy.member.full_name == "Mo Member"


def person_cells(body: str, email: str) -> str:
    """The table row that shows `email`."""
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*" + re.escape(email) + r"(?:(?!</tr>).)*</tr>", body, re.S)
    assert row, f"no row for {email}"
    return row.group(0)


def test_lists_show_someone_without_a_name_by_their_address_once(login, tenancy, nameless):
    team = TeamFactory(organization=tenancy.org)
    TeamMembershipFactory(team=team, user=nameless)
    BindingFactory(workspace=tenancy.workspace, user=nameless)
    client = login(tenancy.owner)
    pages = [
        reverse("organization_members", args=["acme"]),
        reverse("team_detail", args=["acme", team.pk]),
        reverse("workspace_detail", args=["acme", tenancy.workspace.pk]),
    ]
    for url in pages:
        body = text(client.get(url))
        person = person_cells(body, nameless.email).split("<td")[1]  # the first cell: who it is
        assert person.count(nameless.email) == 1, url
    owner = person_cells(body, tenancy.owner.email).split("<td")[1]
    assert "Olive Owner" in owner and owner.count(tenancy.owner.email) == 1


def test_member_pickers_show_name_and_address(login, tenancy):
    team = TeamFactory(organization=tenancy.org)
    body = text(login(tenancy.owner).get(reverse("team_member_search", args=["acme", team.pk]) + "?q=mo"))
    assert 'data-pick-label="Mo Member <member@acme.test>"' in body
