"""The team page's "give this team a role on a workspace" (the page is accounts'; the view and the binding are this
app's). Who may post to it at all is proven with the other team mutations in accounts/tests/test_views_teams.py."""

import pytest
from django.urls import reverse

from accounts.roles import WorkspaceRole
from accounts.tests.factories import TeamFactory, TeamMembershipFactory
from accounts.tests.page_helpers import HTMX, assert_audited, db_state, text
from workspaces.models import Workspace, WorkspaceRoleBinding

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(tenancy):
    """An acme team with one member (the read-only member) and no workspace role."""
    team = TeamFactory(organization=tenancy.org, name="Data Engineering", description="Pipelines")
    TeamMembershipFactory(team=team, user=tenancy.member)
    return team


def team_url(name, team, *extra):
    return reverse(name, args=[team.organization.slug, team.pk, *extra])


def test_owner_can_give_a_team_a_workspace_role(login, tenancy, team):
    response = login(tenancy.owner).post(
        team_url("team_workspace_bind", team), {"workspace": tenancy.workspace.pk, "role": WorkspaceRole.OPERATOR}
    )
    assert response.status_code == 302
    assert response["Location"] == team_url("team_detail", team)
    binding = WorkspaceRoleBinding.objects.get(team=team)
    assert (binding.workspace, binding.role) == (tenancy.workspace, WorkspaceRole.OPERATOR)
    event = assert_audited("workspace.team_add", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"team": "Data Engineering", "role": [None, "OPERATOR"]}


def test_giving_a_team_a_workspace_role_over_htmx_answers_204_with_hx_location(login, tenancy, team):
    response = login(tenancy.owner).post(
        team_url("team_workspace_bind", team), {"workspace": tenancy.workspace.pk, "role": WorkspaceRole.MEMBER}, **HTMX
    )
    assert response.status_code == 204
    assert response["HX-Location"] == team_url("team_detail", team)


@pytest.mark.parametrize(
    ("which", "role", "message"),
    [
        ("other_workspace", WorkspaceRole.MEMBER, "Select a valid choice. That choice is not one of the available"),
        ("bound_workspace", WorkspaceRole.MEMBER, "Select a valid choice. That choice is not one of the available"),
        ("workspace", "ADMIN", "Select a valid choice. ADMIN is not one of the available choices."),
    ],
)
def test_giving_a_team_a_bad_workspace_role_shows_an_error(login, tenancy, team, which, role, message):
    bound = Workspace.objects.create(organization=tenancy.org, name="Bound")
    WorkspaceRoleBinding.objects.create(workspace=bound, team=team, role=WorkspaceRole.MEMBER)
    workspace = {"other_workspace": tenancy.other_workspace, "bound_workspace": bound, "workspace": tenancy.workspace}
    before = db_state()
    response = login(tenancy.owner).post(
        team_url("team_workspace_bind", team), {"workspace": workspace[which].pk, "role": role}
    )
    assert response.status_code == 400
    assert message in text(response)
    assert db_state() == before


def test_invalid_htmx_team_workspace_bind_answers_with_only_the_form(login, tenancy, team):
    response = login(tenancy.owner).post(
        team_url("team_workspace_bind", team), {"workspace": tenancy.other_workspace.pk, "role": "MEMBER"}, **HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<form class="card mb-3" id="team-bind-form"')
    assert "Select a valid choice." in body
    assert not WorkspaceRoleBinding.objects.filter(team=team).exists()


# The team's workspace roles, row by row: change the role inline, or remove it (the workspace page's own rows do
# the same through workspace_binding_role / _remove).


@pytest.fixture
def bound(tenancy, team):
    """The team's role on the acme workspace."""
    return WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.MEMBER)


def row_urls(team, binding):
    return {
        "role": (team_url("team_workspace_role", team, binding.pk), {"role": WorkspaceRole.OPERATOR}),
        "remove": (team_url("team_workspace_remove", team, binding.pk), {}),
    }


def test_owner_sees_each_workspace_role_of_the_team_with_a_role_select_and_remove(login, tenancy, team, bound):
    body = text(login(tenancy.owner).get(team_url("team_detail", team)))
    row = body[body.index(f'id="team-binding-{bound.pk}"') :].split("</tr>")[0]
    assert "Analytics" in row
    assert f'aria-label="Role of {team.name} on Analytics"' in row
    assert f'hx-post="{team_url("team_workspace_role", team, bound.pk)}"' in row
    assert '<option value="MEMBER" selected>Member</option>' in row
    assert f'hx-post="{team_url("team_workspace_remove", team, bound.pk)}"' in row


def test_member_sees_the_team_workspace_roles_read_only(login, tenancy, team, bound):
    body = text(login(tenancy.member).get(team_url("team_detail", team)))
    row = body[body.index(f'id="team-binding-{bound.pk}"') :].split("</tr>")[0]
    assert "Analytics" in row and "Member" in row
    assert "<select" not in row and "/remove/" not in row


def test_owner_changes_the_team_role_on_a_workspace_and_gets_the_updated_row(login, tenancy, team, bound):
    url, data = row_urls(team, bound)["role"]
    response = login(tenancy.owner).post(url, data, **HTMX)
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith(f'<tr id="team-binding-{bound.pk}"')
    assert '<option value="OPERATOR" selected>Operator</option>' in body
    assert "Role changed to Operator." in body
    bound.refresh_from_db()
    assert bound.role == WorkspaceRole.OPERATOR
    event = assert_audited("workspace.role_change", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"team": "Data Engineering", "role": ["MEMBER", "OPERATOR"]}


def test_an_unknown_role_is_refused_in_the_row(login, tenancy, team, bound):
    before = db_state()
    url, _ = row_urls(team, bound)["role"]
    body = text(login(tenancy.owner).post(url, {"role": "ADMIN"}, **HTMX))
    assert "'ADMIN' is not a role here" in body
    assert '<option value="MEMBER" selected>Member</option>' in body
    assert db_state() == before


def test_owner_removes_the_team_role_on_a_workspace(login, tenancy, team, bound):
    url, data = row_urls(team, bound)["remove"]
    response = login(tenancy.owner).post(url, data, **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == team_url("team_detail", team)
    assert not WorkspaceRoleBinding.objects.filter(pk=bound.pk).exists()
    event = assert_audited("workspace.member_remove", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"team": "Data Engineering", "role": ["MEMBER", None]}
    page = text(login(tenancy.owner).get(team_url("team_detail", team)))
    assert "Data Engineering no longer has a role on Analytics." in page


@pytest.mark.parametrize("which", ["role", "remove"])
def test_member_gets_403_changing_a_team_workspace_role(login, tenancy, team, bound, which):
    before = db_state()
    url, data = row_urls(team, bound)[which]
    assert login(tenancy.member).post(url, data).status_code == 403
    assert db_state() == before


@pytest.mark.parametrize("which", ["role", "remove"])
def test_outsider_gets_404_changing_a_team_workspace_role(login, tenancy, team, bound, which):
    before = db_state()
    url, data = row_urls(team, bound)[which]
    assert login(tenancy.outsider).post(url, data).status_code == 404
    assert db_state() == before


@pytest.mark.parametrize("which", ["role", "remove"])
def test_another_teams_or_a_members_binding_is_404_through_this_team(login, tenancy, team, which):
    other_team = TeamFactory(organization=tenancy.org, name="Other")
    others = [
        WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=other_team, role=WorkspaceRole.MEMBER),
        WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, user=tenancy.member),
        WorkspaceRoleBinding.objects.create(
            workspace=tenancy.other_workspace, team=TeamFactory(organization=tenancy.other_org), role="MEMBER"
        ),
    ]
    before = db_state()
    for binding in others:
        url, data = row_urls(team, binding)[which]
        assert login(tenancy.owner).post(url, data).status_code == 404
    assert db_state() == before


@pytest.mark.parametrize("which", ["role", "remove"])
def test_get_on_a_team_workspace_row_action_is_not_allowed(login, tenancy, team, bound, which):
    url, _ = row_urls(team, bound)[which]
    assert login(tenancy.owner).get(url).status_code == 405
