"""Organisation home and the workspace page: create, members, teams, inline roles, settings, delete."""

import re

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Team
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import (
    BindingFactory,
    MembershipFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
    WorkspaceFactory,
)
from accounts.tests.page_helpers import HTMX, assert_audited, db_state, text
from workspaces.models import Workspace, WorkspaceRoleBinding

pytestmark = pytest.mark.django_db


def ws_url(name, workspace, *extra):
    return reverse(name, args=[workspace.organization.slug, workspace.pk, *extra])


def home_url(slug="acme"):
    return reverse("organization_home", args=[slug])


@pytest.fixture
def unbound(tenancy):
    """An acme member with no role on any workspace."""
    user = UserFactory(email="unbound@acme.test")
    MembershipFactory(organization=tenancy.org, user=user, role=OrgRole.MEMBER)
    return user


@pytest.fixture
def team(tenancy):
    return TeamFactory(organization=tenancy.org, name="Data Engineering")


def member_binding(tenancy) -> WorkspaceRoleBinding:
    return WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, user=tenancy.member)


def mutations(tenancy, unbound, team):
    """Every workspace mutation endpoint as (url, POST data)."""
    ws, binding = tenancy.workspace, member_binding(tenancy)
    return {
        "create": (reverse("workspace_create", args=["acme"]), {"name": "Marketing"}),
        "member_add": (ws_url("workspace_member_add", ws), {"user": unbound.pk, "role": WorkspaceRole.AUTHOR}),
        "team_add": (ws_url("workspace_team_add", ws), {"team": team.pk, "role": WorkspaceRole.AUTHOR}),
        "binding_role": (ws_url("workspace_binding_role", ws, binding.pk), {"role": WorkspaceRole.OWNER}),
        "binding_remove": (ws_url("workspace_binding_remove", ws, binding.pk), {}),
        "update": (ws_url("workspace_update", ws), {"name": "Renamed", "description": ""}),
        "delete": (ws_url("workspace_delete", ws), {"confirm_name": "Analytics"}),
    }


MUTATION_NAMES = ["create", "member_add", "team_add", "binding_role", "binding_remove", "update", "delete"]
WORKSPACE_MUTATIONS = [name for name in MUTATION_NAMES if name != "create"]


# Anonymous visitors


def test_anonymous_user_is_redirected_to_login_from_workspace_pages(client, tenancy):
    for url in (home_url(), ws_url("workspace_detail", tenancy.workspace)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account_login')}?next={url}"


@pytest.mark.parametrize("which", MUTATION_NAMES)
def test_anonymous_user_posting_to_workspaces_is_redirected_to_login(client, tenancy, unbound, team, which):
    url, data = mutations(tenancy, unbound, team)[which]
    before = db_state()
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert db_state() == before


def test_anonymous_htmx_request_sends_the_whole_page_to_login(client, tenancy):
    # A 302 would make htmx swap the login page into the form; HX-Redirect navigates the browser instead.
    url = ws_url("workspace_update", tenancy.workspace)
    response = client.post(url, {"name": "Anon"}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{reverse('account_login')}?next={url}"
    tenancy.workspace.refresh_from_db()
    assert tenancy.workspace.name == "Analytics"


# Read-only member, member without a binding, outsider


@pytest.mark.parametrize("which", MUTATION_NAMES)
def test_member_cannot_change_workspaces(login, tenancy, unbound, team, which):
    url, data = mutations(tenancy, unbound, team)[which]
    before = db_state()
    response = login(tenancy.member).post(url, data)
    assert response.status_code == 403
    assert db_state() == before


def test_member_cannot_rename_workspace(login, tenancy):
    response = login(tenancy.member).post(ws_url("workspace_update", tenancy.workspace), {"name": "Mine now"})
    assert response.status_code == 403
    tenancy.workspace.refresh_from_db()
    assert tenancy.workspace.name == "Analytics"
    assert not AuditEvent.objects.exists()


def test_member_cannot_change_roles_over_htmx_either(login, tenancy):
    binding = member_binding(tenancy)
    response = login(tenancy.member).post(
        ws_url("workspace_binding_role", tenancy.workspace, binding.pk), {"role": WorkspaceRole.OWNER}, **HTMX
    )
    assert response.status_code == 403
    binding.refresh_from_db()
    assert binding.role == WorkspaceRole.MEMBER


@pytest.mark.parametrize("which", WORKSPACE_MUTATIONS)
def test_member_without_a_binding_gets_404_changing_the_workspace(login, tenancy, unbound, team, which):
    url, data = mutations(tenancy, unbound, team)[which]
    before = db_state()
    response = login(unbound).post(url, data)
    assert response.status_code == 404
    assert db_state() == before


def test_member_without_a_binding_cannot_create_workspaces(login, tenancy, unbound):
    response = login(unbound).post(reverse("workspace_create", args=["acme"]), {"name": "Shadow IT"})
    assert response.status_code == 403
    assert not Workspace.objects.filter(name="Shadow IT").exists()


@pytest.mark.parametrize("which", MUTATION_NAMES)
def test_outsider_gets_404_changing_another_organisations_workspaces(login, tenancy, unbound, team, which):
    url, data = mutations(tenancy, unbound, team)[which]
    before = db_state()
    response = login(tenancy.outsider).post(url, data)
    assert response.status_code == 404
    assert db_state() == before


def test_outsider_gets_404_on_another_organisations_pages(login, tenancy):
    client = login(tenancy.outsider)
    assert client.get(home_url()).status_code == 404
    assert client.get(ws_url("workspace_detail", tenancy.workspace)).status_code == 404
    # Even with their own organisation in the address, an acme workspace id is not found.
    assert client.get(reverse("workspace_detail", args=["globex", tenancy.workspace.pk])).status_code == 404


def test_owner_gets_404_for_another_organisations_workspace_under_their_own(login, tenancy):
    other = tenancy.other_workspace
    foreign = BindingFactory(workspace=other, user=tenancy.outsider, role=WorkspaceRole.MEMBER)
    client = login(tenancy.owner)
    before = db_state()
    assert client.get(reverse("workspace_detail", args=["acme", other.pk])).status_code == 404
    posts = [
        ("workspace_member_add", [], {"user": tenancy.member.pk, "role": "MEMBER"}),
        ("workspace_update", [], {"name": "Hijacked"}),
        ("workspace_delete", [], {"confirm_name": "Globex Ops"}),
        ("workspace_binding_role", [foreign.pk], {"role": "OWNER"}),
        ("workspace_binding_remove", [foreign.pk], {}),
    ]
    for name, extra, data in posts:
        assert client.post(reverse(name, args=["acme", other.pk, *extra]), data).status_code == 404, name
    assert db_state() == before


@pytest.mark.parametrize("name", ["workspace_binding_role", "workspace_binding_remove"])
def test_outsider_gets_404_for_an_acme_binding_under_their_own_workspace(login, tenancy, name):
    binding = member_binding(tenancy)
    before = db_state()
    response = login(tenancy.outsider).post(ws_url(name, tenancy.other_workspace, binding.pk), {"role": "OWNER"})
    assert response.status_code == 404
    assert db_state() == before


@pytest.mark.parametrize("name", ["workspace_binding_role", "workspace_binding_remove"])
def test_owner_gets_404_for_another_organisations_binding_under_their_own_workspace(login, tenancy, name):
    foreign = BindingFactory(workspace=tenancy.other_workspace, user=tenancy.outsider, role=WorkspaceRole.MEMBER)
    before = db_state()
    response = login(tenancy.owner).post(ws_url(name, tenancy.workspace, foreign.pk), {"role": "OWNER"}, **HTMX)
    assert response.status_code == 404
    assert db_state() == before


@pytest.mark.parametrize("name", ["workspace_binding_role", "workspace_binding_remove"])
def test_owner_gets_404_for_a_binding_of_another_workspace_in_the_same_organisation(login, tenancy, name):
    sibling = WorkspaceFactory(organization=tenancy.org, name="Sibling")
    binding = BindingFactory(workspace=sibling, user=tenancy.member, role=WorkspaceRole.MEMBER)
    before = db_state()
    response = login(tenancy.owner).post(ws_url(name, tenancy.workspace, binding.pk), {"role": "OWNER"})
    assert response.status_code == 404
    assert db_state() == before


# Organisation home


def test_owner_sees_every_workspace_and_the_create_form(login, tenancy):
    WorkspaceFactory(organization=tenancy.org, name="Marketing")
    response = login(tenancy.owner).get(home_url())
    assert response.status_code == 200
    body = text(response)
    assert "Analytics" in body and "Marketing" in body
    assert "Globex Ops" not in body
    assert 'id="create-workspace-form"' in body


def test_member_sees_the_workspaces_they_belong_to(login, tenancy):
    hidden = WorkspaceFactory(organization=tenancy.org, name="Finance")
    response = login(tenancy.member).get(home_url())
    assert response.status_code == 200
    body = text(response)
    assert ws_url("workspace_detail", tenancy.workspace) in body
    assert ws_url("workspace_detail", hidden) not in body and "Finance" not in body
    assert 'id="create-workspace-form"' not in body


def test_member_without_a_binding_does_not_see_the_workspace_listed(login, tenancy, unbound):
    response = login(unbound).get(home_url())
    assert response.status_code == 200
    body = text(response)
    assert ws_url("workspace_detail", tenancy.workspace) not in body
    assert "Analytics" not in body
    assert "No workspaces you can see" in body
    assert "An owner of Acme Data can add you to a workspace." in body


def test_member_without_a_binding_gets_404_on_the_workspace_page(login, tenancy, unbound):
    assert login(unbound).get(ws_url("workspace_detail", tenancy.workspace)).status_code == 404


def test_a_team_role_makes_the_workspace_visible(login, tenancy, unbound, team):
    TeamMembershipFactory(team=team, user=unbound)
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.MEMBER)
    client = login(unbound)
    assert ws_url("workspace_detail", tenancy.workspace) in text(client.get(home_url()))
    assert client.get(ws_url("workspace_detail", tenancy.workspace)).status_code == 200


def test_organisation_home_shows_member_and_team_counts(login, tenancy, team):
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.MEMBER)
    body = text(login(tenancy.owner).get(home_url()))
    assert "1 direct member</span>" in body
    assert "1 team</span>" in body


def test_organisation_home_invites_the_owner_to_create_the_first_workspace(login, tenancy):
    tenancy.workspace.delete()
    body = text(login(tenancy.owner).get(home_url()))
    assert "No workspaces yet" in body
    assert "Create the first workspace" in body


def test_visiting_an_organisation_remembers_it_for_home(login, tenancy):
    client = login(tenancy.owner)
    client.get(home_url())
    assert client.session["last_org"] == "acme"


# Create


def test_owner_can_create_a_workspace(login, tenancy):
    response = login(tenancy.owner).post(
        reverse("workspace_create", args=["acme"]), {"name": " Marketing ", "description": "Campaign DAGs"}
    )
    workspace = Workspace.objects.get(organization=tenancy.org, name="Marketing")
    assert workspace.description == "Campaign DAGs"
    assert response.status_code == 302
    assert response["Location"] == ws_url("workspace_detail", workspace)
    event = assert_audited("workspace.create", actor=tenancy.owner, organization=tenancy.org)
    assert event.target_id == str(workspace.pk)


def test_creating_a_workspace_over_htmx_answers_204_with_hx_location(login, tenancy):
    response = login(tenancy.owner).post(reverse("workspace_create", args=["acme"]), {"name": "Marketing"}, **HTMX)
    workspace = Workspace.objects.get(name="Marketing")
    assert response.status_code == 204
    assert response["HX-Location"] == ws_url("workspace_detail", workspace)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 101, "The name can be at most 100 characters long (it has 101)."),
        ("ANALYTICS", "A workspace named “ANALYTICS” already exists in this organisation."),
    ],
)
def test_creating_a_workspace_with_a_bad_name_shows_the_error(login, tenancy, name, message):
    before = db_state()
    response = login(tenancy.owner).post(reverse("workspace_create", args=["acme"]), {"name": name})
    assert response.status_code == 400
    body = text(response)
    assert message in body
    assert "show d-block" in body  # the dialog stays open on the error
    assert db_state() == before


def test_workspace_names_are_escaped_on_the_pages(login, tenancy):
    client = login(tenancy.owner)
    client.post(reverse("workspace_create", args=["acme"]), {"name": "<script>alert(1)</script>"})
    workspace = Workspace.objects.get(name="<script>alert(1)</script>")
    for url in (home_url(), ws_url("workspace_detail", workspace)):
        raw = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in raw
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw


def test_a_workspace_name_used_in_another_organisation_is_allowed(login, tenancy):
    login(tenancy.owner).post(reverse("workspace_create", args=["acme"]), {"name": "globex ops"})
    assert Workspace.objects.filter(organization=tenancy.org, name="globex ops").exists()


def test_invalid_htmx_workspace_create_answers_with_only_the_form(login, tenancy):
    response = login(tenancy.owner).post(
        reverse("workspace_create", args=["acme"]), {"name": "analytics", "description": "again"}, **HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<form id="create-workspace-form"')
    assert "A workspace named “analytics” already exists in this organisation." in body
    assert 'value="analytics"' in body
    assert Workspace.objects.filter(organization=tenancy.org).count() == 1


# Detail


def test_owner_sees_the_workspace_with_its_people_teams_and_forms(login, tenancy, team, unbound):
    TeamMembershipFactory(team=team, user=unbound)
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.OPERATOR)
    response = login(tenancy.owner).get(ws_url("workspace_detail", tenancy.workspace))
    assert response.status_code == 200
    body = text(response)
    assert "owner@acme.test" in body and "member@acme.test" in body and "unbound@acme.test" in body
    assert "Organisation owner" in body
    assert "Data Engineering · Operator" in body
    for form_id in ("add-member-form", "add-team-form", "workspace-settings-card", "delete-workspace-card"):
        assert f'id="{form_id}"' in body  # settings and delete forms load on demand (test_views_workspace_queries)
    assert ws_url("workspace_binding_role", tenancy.workspace, member_binding(tenancy).pk) in body
    assert "outsider@globex.test" not in body


def test_a_persons_teams_show_their_role_on_this_workspace_not_on_others(login, tenancy, team, unbound):
    """Team roles come with the team's name in one query: a team bound to two workspaces shows its role here."""
    TeamMembershipFactory(team=team, user=unbound)
    platform = TeamFactory(organization=tenancy.org, name="Platform")
    TeamMembershipFactory(team=platform, user=unbound)
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.AUTHOR)
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=platform, role=WorkspaceRole.MEMBER)
    elsewhere = WorkspaceFactory(organization=tenancy.org, name="Finance")
    WorkspaceRoleBinding.objects.create(workspace=elsewhere, team=team, role=WorkspaceRole.OWNER)
    body = text(login(tenancy.owner).get(ws_url("workspace_detail", tenancy.workspace)))
    row = body.split(f'<tr id="access-{unbound.pk}"')[1].split("</tr>")[0]
    assert "Data Engineering · Author" in row and "Platform · Member" in row
    assert "Owner" not in row and "—" in row  # no direct role; the effective one is the highest team role
    assert 'role-badge role-author">Author</span>' in row


def test_member_can_see_the_workspace_without_the_management_forms(login, tenancy):
    response = login(tenancy.member).get(ws_url("workspace_detail", tenancy.workspace))
    assert response.status_code == 200
    body = text(response)
    assert '<h2 class="page-title" id="workspace-name">Analytics</h2>' in body
    assert "member@acme.test" in body
    for form_id in ("add-member-form", "add-team-form", "workspace-settings-card", "delete-workspace-card"):
        assert f'id="{form_id}"' not in body
    assert "/bindings/" not in body


def test_unknown_workspace_is_404(login, tenancy):
    assert login(tenancy.owner).get(reverse("workspace_detail", args=["acme", 999999])).status_code == 404


# Add a member


def test_owner_can_add_a_workspace_member(login, tenancy, unbound):
    response = login(tenancy.owner).post(
        ws_url("workspace_member_add", tenancy.workspace),
        {"user": unbound.pk, "role": WorkspaceRole.AUTHOR},
        follow=True,
    )
    assert "unbound@acme.test added to Analytics." in text(response)
    binding = WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, user=unbound)
    assert binding.role == WorkspaceRole.AUTHOR
    event = assert_audited("workspace.member_add", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"member": "unbound@acme.test", "role": [None, "AUTHOR"]}
    assert login(unbound).get(ws_url("workspace_detail", tenancy.workspace)).status_code == 200


def test_adding_a_workspace_member_over_htmx_answers_204_with_hx_location(login, tenancy, unbound):
    response = login(tenancy.owner).post(
        ws_url("workspace_member_add", tenancy.workspace), {"user": unbound.pk, "role": "MEMBER"}, **HTMX
    )
    assert response.status_code == 204
    assert response["HX-Location"] == ws_url("workspace_detail", tenancy.workspace)


@pytest.mark.parametrize(
    ("who", "role", "message"),
    [
        ("member", "MEMBER", "Select a valid choice. That choice is not one of the available choices."),
        ("outsider", "MEMBER", "Select a valid choice. That choice is not one of the available choices."),
        ("unbound", "ADMIN", "Select a valid choice. ADMIN is not one of the available choices."),
        ("unbound", "", "This field is required."),
    ],
)
def test_adding_a_bad_workspace_member_shows_an_error(login, tenancy, unbound, who, role, message):
    user = {"member": tenancy.member, "outsider": tenancy.outsider, "unbound": unbound}[who]
    before = db_state()
    response = login(tenancy.owner).post(
        ws_url("workspace_member_add", tenancy.workspace), {"user": user.pk, "role": role}
    )
    assert response.status_code == 400
    assert message in text(response)
    assert db_state() == before


def test_invalid_htmx_workspace_member_add_answers_with_only_the_form(login, tenancy, unbound):
    response = login(tenancy.owner).post(
        ws_url("workspace_member_add", tenancy.workspace), {"user": tenancy.member.pk, "role": "MEMBER"}, **HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<form class="card mb-3" id="add-member-form"')
    assert "Select a valid choice." in body
    assert ws_url("workspace_member_candidates", tenancy.workspace) in body  # the picker, to choose again


def test_the_member_form_says_when_everyone_already_has_a_role(login, tenancy):
    body = text(login(tenancy.owner).get(ws_url("workspace_detail", tenancy.workspace)))
    assert ws_url("workspace_member_candidates", tenancy.workspace) in body  # the owner has no direct role yet
    BindingFactory(workspace=tenancy.workspace, user=tenancy.owner, role=WorkspaceRole.OWNER)
    body = text(login(tenancy.owner).get(ws_url("workspace_detail", tenancy.workspace)))
    assert "Every member of Acme Data already has a direct role here." in body


# Add a team


def test_owner_can_give_a_team_a_role_on_the_workspace(login, tenancy, team):
    response = login(tenancy.owner).post(
        ws_url("workspace_team_add", tenancy.workspace), {"team": team.pk, "role": WorkspaceRole.OPERATOR}, follow=True
    )
    assert "Team Data Engineering added to Analytics." in text(response)
    binding = WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, team=team)
    assert binding.role == WorkspaceRole.OPERATOR
    event = assert_audited("workspace.team_add", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"team": "Data Engineering", "role": [None, "OPERATOR"]}


def test_adding_a_team_over_htmx_answers_204_with_hx_location(login, tenancy, team):
    response = login(tenancy.owner).post(
        ws_url("workspace_team_add", tenancy.workspace), {"team": team.pk, "role": "MEMBER"}, **HTMX
    )
    assert response.status_code == 204
    assert response["HX-Location"] == ws_url("workspace_detail", tenancy.workspace)


@pytest.mark.parametrize("which", ["foreign", "bound", "bad_role"])
def test_adding_a_bad_team_shows_an_error(login, tenancy, team, which):
    foreign = TeamFactory(organization=tenancy.other_org, name="Globex Team")
    bound = TeamFactory(organization=tenancy.org, name="Bound")
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=bound, role=WorkspaceRole.MEMBER)
    data = {
        "foreign": {"team": foreign.pk, "role": "MEMBER"},
        "bound": {"team": bound.pk, "role": "MEMBER"},
        "bad_role": {"team": team.pk, "role": "ADMIN"},
    }[which]
    before = db_state()
    response = login(tenancy.owner).post(ws_url("workspace_team_add", tenancy.workspace), data)
    assert response.status_code == 400
    assert "Select a valid choice." in text(response)
    assert db_state() == before


def test_invalid_htmx_team_add_answers_with_only_the_form(login, tenancy, team):
    response = login(tenancy.owner).post(
        ws_url("workspace_team_add", tenancy.workspace), {"team": "", "role": "MEMBER"}, **HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<form class="card mb-3" id="add-team-form"')
    assert "This field is required." in body


# Inline role change


def test_owner_can_change_a_direct_role_and_gets_the_updated_row(login, tenancy):
    binding = member_binding(tenancy)
    response = login(tenancy.owner).post(
        ws_url("workspace_binding_role", tenancy.workspace, binding.pk), {"role": WorkspaceRole.OPERATOR}, **HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith(f'<tr id="access-{tenancy.member.pk}"')
    assert '<option value="OPERATOR" selected>Operator</option>' in body
    assert '<option value="MEMBER">Member</option>' in body
    assert "Role changed to Operator." in body
    assert 'role-badge role-operator">Operator</span>' in body  # the effective role follows
    binding.refresh_from_db()
    assert binding.role == WorkspaceRole.OPERATOR
    event = assert_audited("workspace.role_change", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"member": "member@acme.test", "role": ["MEMBER", "OPERATOR"]}


def test_owner_can_change_a_team_role_and_gets_the_updated_team_row(login, tenancy, team):
    binding = WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.MEMBER)
    response = login(tenancy.owner).post(
        ws_url("workspace_binding_role", tenancy.workspace, binding.pk), {"role": WorkspaceRole.AUTHOR}, **HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith(f'<tr id="team-binding-{binding.pk}"')
    assert '<option value="AUTHOR" selected>Author</option>' in body
    binding.refresh_from_db()
    assert binding.role == WorkspaceRole.AUTHOR
    event = assert_audited("workspace.role_change", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"team": "Data Engineering", "role": ["MEMBER", "AUTHOR"]}


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("ADMIN", "'ADMIN' is not a role here; choose one of: Member, Author, Operator, Owner."),
        ("operator", "'operator' is not a role here; choose one of: Member, Author, Operator, Owner."),
        ("", "Choose a role."),
    ],
)
def test_changing_to_an_unknown_workspace_role_shows_an_error_in_the_row(login, tenancy, role, message):
    binding = member_binding(tenancy)
    before = db_state()
    response = login(tenancy.owner).post(
        ws_url("workspace_binding_role", tenancy.workspace, binding.pk), {"role": role}, **HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith(f'<tr id="access-{tenancy.member.pk}"')
    assert message in body
    assert '<option value="MEMBER" selected>Member</option>' in body
    assert "Role changed" not in body
    assert db_state() == before


# Remove a binding


def test_owner_can_remove_a_direct_role(login, tenancy):
    binding = member_binding(tenancy)
    response = login(tenancy.owner).post(ws_url("workspace_binding_remove", tenancy.workspace, binding.pk), follow=True)
    assert response.redirect_chain[-1][0] == ws_url("workspace_detail", tenancy.workspace)
    assert "member@acme.test no longer has a direct role on Analytics." in text(response)
    assert not WorkspaceRoleBinding.objects.filter(pk=binding.pk).exists()
    event = assert_audited("workspace.member_remove", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"member": "member@acme.test", "role": ["MEMBER", None]}
    assert login(tenancy.member).get(ws_url("workspace_detail", tenancy.workspace)).status_code == 404


def test_owner_can_remove_a_team_role(login, tenancy, team):
    binding = WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.MEMBER)
    login(tenancy.owner).post(ws_url("workspace_binding_remove", tenancy.workspace, binding.pk))
    assert not WorkspaceRoleBinding.objects.filter(pk=binding.pk).exists()
    assert Team.objects.filter(pk=team.pk).exists()
    event = assert_audited("workspace.member_remove", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"team": "Data Engineering", "role": ["MEMBER", None]}


def test_removing_a_role_over_htmx_answers_204_with_hx_location(login, tenancy):
    binding = member_binding(tenancy)
    response = login(tenancy.owner).post(ws_url("workspace_binding_remove", tenancy.workspace, binding.pk), **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == ws_url("workspace_detail", tenancy.workspace)


# Settings


def test_owner_can_rename_the_workspace(login, tenancy):
    response = login(tenancy.owner).post(
        ws_url("workspace_update", tenancy.workspace), {"name": "Analytics EU", "description": "Reports"}
    )
    assert response.status_code == 302
    assert response["Location"] == ws_url("workspace_detail", tenancy.workspace)
    tenancy.workspace.refresh_from_db()
    assert (tenancy.workspace.name, tenancy.workspace.description) == ("Analytics EU", "Reports")
    event = assert_audited("workspace.update", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"name": ["Analytics", "Analytics EU"], "description": ["", "Reports"]}


def test_renaming_a_workspace_over_htmx_answers_204_with_hx_location(login, tenancy):
    response = login(tenancy.owner).post(ws_url("workspace_update", tenancy.workspace), {"name": "BI"}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == ws_url("workspace_detail", tenancy.workspace)


def test_a_workspace_can_change_the_case_of_its_own_name(login, tenancy):
    login(tenancy.owner).post(ws_url("workspace_update", tenancy.workspace), {"name": "ANALYTICS"})
    tenancy.workspace.refresh_from_db()
    assert tenancy.workspace.name == "ANALYTICS"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field is required."),
        ("x" * 101, "The name can be at most 100 characters long (it has 101)."),
        ("marketing", "A workspace named “marketing” already exists in this organisation."),
    ],
)
def test_renaming_a_workspace_to_a_bad_name_shows_the_error(login, tenancy, name, message):
    WorkspaceFactory(organization=tenancy.org, name="Marketing")
    before = db_state()
    response = login(tenancy.owner).post(ws_url("workspace_update", tenancy.workspace), {"name": name})
    assert response.status_code == 400
    body = text(response)
    assert message in body
    assert '<h2 class="page-title" id="workspace-name">Analytics</h2>' in body
    assert db_state() == before


def test_invalid_htmx_workspace_rename_answers_with_only_the_form(login, tenancy):
    response = login(tenancy.owner).post(
        ws_url("workspace_update", tenancy.workspace), {"name": "x" * 101, "description": "kept"}, **HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<form class="card mb-3" id="workspace-settings-form"')
    assert "at most 100 characters" in body
    assert ">kept</textarea>" in body


# Delete


def test_owner_can_delete_the_workspace_by_typing_its_name(login, tenancy):
    pk = tenancy.workspace.pk
    response = login(tenancy.owner).post(
        ws_url("workspace_delete", tenancy.workspace), {"confirm_name": "Analytics"}, follow=True
    )
    assert response.redirect_chain[-1][0] == home_url()
    assert "Workspace “Analytics” deleted." in text(response)
    assert not Workspace.objects.filter(pk=pk).exists()
    assert not WorkspaceRoleBinding.objects.filter(workspace_id=pk).exists()
    event = assert_audited("workspace.delete", actor=tenancy.owner, organization=tenancy.org)
    assert event.target_id == str(pk)


def test_deleting_a_workspace_over_htmx_answers_204_with_hx_location(login, tenancy):
    response = login(tenancy.owner).post(
        ws_url("workspace_delete", tenancy.workspace), {"confirm_name": "Analytics"}, **HTMX
    )
    assert response.status_code == 204
    assert response["HX-Location"] == home_url()


@pytest.mark.parametrize(
    ("confirm", "message"),
    [
        ("analytics", "Type the workspace's name, “Analytics”, to delete it."),
        ("Marketing", "Type the workspace's name, “Analytics”, to delete it."),
        ("", "This field is required."),
    ],
)
def test_deleting_with_the_wrong_confirmation_name_is_refused(login, tenancy, confirm, message):
    before = db_state()
    response = login(tenancy.owner).post(ws_url("workspace_delete", tenancy.workspace), {"confirm_name": confirm})
    assert response.status_code == 400
    assert message in text(response)
    assert db_state() == before


def test_invalid_htmx_delete_answers_with_only_the_form(login, tenancy):
    response = login(tenancy.owner).post(
        ws_url("workspace_delete", tenancy.workspace), {"confirm_name": "Analytic"}, **HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<form class="card border-danger" id="delete-workspace-form"')
    assert "Type the workspace's name, “Analytics”, to delete it." in body
    assert 'value="Analytic"' in body
    assert Workspace.objects.filter(pk=tenancy.workspace.pk).exists()


def test_the_team_picker_searches_teams_without_a_role_here(login, tenancy, team):
    """The workspace page lists no team up front (it stays the same size as teams grow); its search offers this
    organisation's teams that have no role here yet, to those who manage the workspace's members."""
    TeamFactory(organization=tenancy.org, name="Data Science")
    TeamFactory(organization=tenancy.other_org, name="Data Globex")
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.MEMBER)
    client = login(tenancy.owner)
    page = text(client.get(ws_url("workspace_detail", tenancy.workspace)))
    assert "Data Science" not in page and 'id="add-team-form"' in page
    search = ws_url("workspace_team_candidates", tenancy.workspace)
    assert re.findall(r'data-pick-label="([^"]+)"', text(client.get(search + "?q=data"))) == ["Data Science"]
    assert "Nothing matches “engineering”: only teams without a role here." in text(
        client.get(search + "?q=engineering")
    )
    assert login(tenancy.member).get(search).status_code == 403
    assert login(tenancy.outsider).get(search).status_code == 404


def test_the_team_form_says_when_every_team_already_has_a_role(login, tenancy, team):
    page = text(login(tenancy.owner).get(ws_url("workspace_detail", tenancy.workspace)))
    assert ws_url("workspace_team_candidates", tenancy.workspace) in page
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.MEMBER)
    TeamFactory(organization=tenancy.other_org, name="Theirs")  # another organisation's team is no candidate
    page = text(login(tenancy.owner).get(ws_url("workspace_detail", tenancy.workspace)))
    assert ws_url("workspace_team_candidates", tenancy.workspace) not in page and "No other teams." in page
