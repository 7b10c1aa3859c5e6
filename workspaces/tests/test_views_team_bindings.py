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
