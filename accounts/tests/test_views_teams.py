"""Team pages: list and create, detail, rename, delete, members (giving a team a workspace role: workspaces/tests/
test_views_team_bindings.py; who may post it is checked here with the other mutations)."""

import re

import pytest
from django.urls import reverse

from accounts.models import OrganizationMembership, Team, TeamMembership
from accounts.roles import WorkspaceRole
from accounts.tests.factories import MembershipFactory, TeamFactory, TeamMembershipFactory, UserFactory
from accounts.tests.page_helpers import HTMX, assert_audited, db_state, text
from workspaces.models import WorkspaceRoleBinding

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(tenancy):
    """An acme team with one member (the read-only member) and no workspace role."""
    team = TeamFactory(organization=tenancy.org, name="Data Engineering", description="Pipelines")
    TeamMembershipFactory(team=team, user=tenancy.member)
    return team


@pytest.fixture
def newcomer(tenancy):
    """An acme member in no team."""
    user = UserFactory(email="newcomer@acme.test")
    MembershipFactory(organization=tenancy.org, user=user)
    return user


@pytest.fixture
def foreign_team(tenancy):
    team = TeamFactory(organization=tenancy.other_org, name="Globex Team")
    TeamMembershipFactory(team=team, user=tenancy.outsider)
    return team


def team_url(name, team, *extra):
    return reverse(name, args=[team.organization.slug, team.pk, *extra])


def mutations(tenancy, team, newcomer):
    """Every team mutation endpoint as (url, POST data)."""
    membership = TeamMembership.objects.get(team=team, user=tenancy.member)
    return {
        "create": (reverse("team_list", args=["acme"]), {"name": "Platform"}),
        "update": (team_url("team_update", team), {"name": "Renamed", "description": ""}),
        "delete": (team_url("team_delete", team), {}),
        "member_add": (team_url("team_member_add", team), {"user": newcomer.pk}),
        "member_remove": (team_url("team_member_remove", team, membership.pk), {}),
        "workspace_bind": (
            team_url("team_workspace_bind", team),
            {"workspace": tenancy.workspace.pk, "role": WorkspaceRole.OPERATOR},
        ),
    }


MUTATION_NAMES = ["create", "update", "delete", "member_add", "member_remove", "workspace_bind"]


# Anonymous, read-only member, outsider


def test_anonymous_user_is_redirected_to_login_from_team_pages(client, team):
    for url in (reverse("team_list", args=["acme"]), team_url("team_detail", team)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account_login')}?next={url}"


@pytest.mark.parametrize("which", MUTATION_NAMES)
def test_anonymous_user_posting_to_teams_is_redirected_to_login(client, tenancy, team, newcomer, which):
    url, data = mutations(tenancy, team, newcomer)[which]
    before = db_state()
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert db_state() == before


def test_member_can_see_the_team_list_without_the_create_form(login, tenancy, team):
    response = login(tenancy.member).get(reverse("team_list", args=["acme"]))
    assert response.status_code == 200
    body = text(response)
    assert "Data Engineering" in body
    assert 'id="create-team-form"' not in body


def test_member_can_see_a_team_without_the_management_forms(login, tenancy, team):
    response = login(tenancy.member).get(team_url("team_detail", team))
    assert response.status_code == 200
    body = text(response)
    assert "Data Engineering" in body and "member@acme.test" in body
    for form_id in ("team-add-member-form", "team-bind-form", "team-rename-form"):
        assert f'id="{form_id}"' not in body
    assert team_url("team_delete", team) not in body


@pytest.mark.parametrize("which", MUTATION_NAMES)
def test_member_cannot_manage_teams(login, tenancy, team, newcomer, which):
    url, data = mutations(tenancy, team, newcomer)[which]
    before = db_state()
    response = login(tenancy.member).post(url, data)
    assert response.status_code == 403
    assert db_state() == before


def test_outsider_gets_404_on_another_organisations_team_pages(login, tenancy, team):
    client = login(tenancy.outsider)
    assert client.get(reverse("team_list", args=["acme"])).status_code == 404
    assert client.get(team_url("team_detail", team)).status_code == 404


@pytest.mark.parametrize("which", MUTATION_NAMES)
def test_outsider_gets_404_managing_another_organisations_teams(login, tenancy, team, newcomer, which):
    url, data = mutations(tenancy, team, newcomer)[which]
    before = db_state()
    response = login(tenancy.outsider).post(url, data)
    assert response.status_code == 404
    assert db_state() == before


def test_owner_gets_404_for_another_organisations_team_under_their_own(login, tenancy, foreign_team):
    client = login(tenancy.owner)
    before = db_state()
    membership = TeamMembership.objects.get(team=foreign_team)
    assert client.get(reverse("team_detail", args=["acme", foreign_team.pk])).status_code == 404
    posts = [
        ("team_update", [], {"name": "Hijacked"}),
        ("team_delete", [], {}),
        ("team_member_add", [], {"user": tenancy.owner.pk}),
        ("team_member_remove", [membership.pk], {}),
        ("team_workspace_bind", [], {"workspace": tenancy.workspace.pk, "role": WorkspaceRole.OWNER}),
    ]
    for name, extra, data in posts:
        response = client.post(reverse(name, args=["acme", foreign_team.pk, *extra]), data)
        assert response.status_code == 404, name
    assert db_state() == before


def test_owner_gets_404_removing_another_organisations_team_membership_through_their_own_team(
    login, tenancy, team, foreign_team
):
    foreign = TeamMembership.objects.get(team=foreign_team)
    before = db_state()
    response = login(tenancy.owner).post(team_url("team_member_remove", team, foreign.pk))
    assert response.status_code == 404
    assert db_state() == before


def test_outsider_gets_404_for_an_acme_team_under_their_own_organisation(login, tenancy, team):
    membership = TeamMembership.objects.get(team=team)
    client = login(tenancy.outsider)
    before = db_state()
    assert client.get(reverse("team_detail", args=["globex", team.pk])).status_code == 404
    for name, extra in [("team_update", []), ("team_delete", []), ("team_member_remove", [membership.pk])]:
        response = client.post(reverse(name, args=["globex", team.pk, *extra]), {"name": "Hijacked"})
        assert response.status_code == 404, name
    assert db_state() == before


def test_unknown_team_is_404(login, tenancy):
    assert login(tenancy.owner).get(reverse("team_detail", args=["acme", 999999])).status_code == 404


# List and create


def test_owner_sees_the_team_list_with_counts_and_the_create_form(login, tenancy, team):
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.MEMBER)
    TeamFactory(organization=tenancy.other_org, name="Globex Team")
    response = login(tenancy.owner).get(reverse("team_list", args=["acme"]))
    assert response.status_code == 200
    body = text(response)
    assert 'id="create-team-form"' in body
    assert "Data Engineering" in body
    assert "Globex Team" not in body
    assert "<td>1</td>\n              <td>1</td>" in body  # one member, one workspace


def test_team_list_invites_creating_the_first_team(login, tenancy):
    assert "No teams yet" in text(login(tenancy.owner).get(reverse("team_list", args=["acme"])))


def test_team_list_paginates_by_25(login, tenancy):
    for n in range(27):
        TeamFactory(organization=tenancy.org, name=f"Team {n:02d}")
    client = login(tenancy.owner)
    assert "Showing <strong>1–25</strong> of <strong>27</strong>" in text(
        client.get(reverse("team_list", args=["acme"]))
    )
    second = text(client.get(reverse("team_list", args=["acme"]), {"page": 2}))
    assert "Showing <strong>26–27</strong> of <strong>27</strong>" in second
    assert "Team 26" in second and "Team 00" not in second


def test_owner_can_create_a_team(login, tenancy):
    response = login(tenancy.owner).post(
        reverse("team_list", args=["acme"]), {"name": "  Platform ", "description": "Runs the platform"}
    )
    team = Team.objects.get(organization=tenancy.org)
    assert (team.name, team.description) == ("Platform", "Runs the platform")
    assert response.status_code == 302
    assert response["Location"] == team_url("team_detail", team)
    event = assert_audited("team.create", actor=tenancy.owner, organization=tenancy.org)
    assert event.target_id == str(team.pk)


def test_creating_a_team_over_htmx_answers_204_with_hx_location(login, tenancy):
    response = login(tenancy.owner).post(reverse("team_list", args=["acme"]), {"name": "Platform"}, **HTMX)
    team = Team.objects.get(organization=tenancy.org)
    assert response.status_code == 204
    assert response["HX-Location"] == team_url("team_detail", team)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field is required."),
        ("x" * 101, "The name can be at most 100 characters long (it has 101)."),
        ("data engineering", "A team named “data engineering” already exists in this organisation."),
    ],
)
def test_creating_a_team_with_a_bad_name_shows_the_error(login, tenancy, team, name, message):
    before = db_state()
    response = login(tenancy.owner).post(reverse("team_list", args=["acme"]), {"name": name})
    assert response.status_code == 400
    assert message in text(response)
    assert db_state() == before


def test_a_team_name_used_in_another_organisation_is_allowed(login, tenancy, foreign_team):
    login(tenancy.owner).post(reverse("team_list", args=["acme"]), {"name": "globex team"})
    assert Team.objects.filter(organization=tenancy.org, name="globex team").exists()


def test_invalid_htmx_team_create_answers_with_only_the_form(login, tenancy, team):
    response = login(tenancy.owner).post(
        reverse("team_list", args=["acme"]), {"name": "DATA ENGINEERING", "description": "dup"}, **HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<form class="card" id="create-team-form"')
    assert "A team named “DATA ENGINEERING” already exists in this organisation." in body
    assert ">dup</textarea>" in body  # keeps what the user typed
    assert Team.objects.filter(organization=tenancy.org).count() == 1


# Detail


def test_owner_sees_a_team_with_its_members_roles_and_forms(login, tenancy, team, newcomer):
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.AUTHOR)
    response = login(tenancy.owner).get(team_url("team_detail", team))
    assert response.status_code == 200
    body = text(response)
    assert "member@acme.test" in body
    assert "Analytics" in body and "Author" in body
    for form_id in ("team-add-member-form", "team-bind-form", "team-rename-form"):
        assert f'id="{form_id}"' in body
    # The pickers list nobody up front; their searches offer only organisation members not yet in the team.
    assert newcomer.email not in body
    found = text(login(tenancy.owner).get(team_url("team_member_search", team) + "?q=acme"))
    assert f'data-pick-id="{newcomer.pk}"' in found
    assert f'data-pick-id="{tenancy.member.pk}"' not in found and "outsider" not in found
    assert "The team already has a role on every workspace." in body


# Update


def test_owner_can_rename_a_team(login, tenancy, team):
    response = login(tenancy.owner).post(team_url("team_update", team), {"name": "Data Eng", "description": "New"})
    assert response.status_code == 302
    assert response["Location"] == team_url("team_detail", team)
    team.refresh_from_db()
    assert (team.name, team.description) == ("Data Eng", "New")
    event = assert_audited("team.update", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"name": ["Data Engineering", "Data Eng"], "description": ["Pipelines", "New"]}


def test_renaming_a_team_over_htmx_answers_204_with_hx_location(login, tenancy, team):
    response = login(tenancy.owner).post(team_url("team_update", team), {"name": "Data Eng"}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == team_url("team_detail", team)


def test_a_team_can_change_the_case_of_its_own_name(login, tenancy, team):
    login(tenancy.owner).post(team_url("team_update", team), {"name": "DATA ENGINEERING"})
    team.refresh_from_db()
    assert team.name == "DATA ENGINEERING"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field is required."),
        ("x" * 101, "The name can be at most 100 characters long (it has 101)."),
        ("PLATFORM", "A team named “PLATFORM” already exists in this organisation."),
    ],
)
def test_renaming_a_team_to_a_bad_name_shows_the_error(login, tenancy, team, name, message):
    TeamFactory(organization=tenancy.org, name="Platform")
    before = db_state()
    response = login(tenancy.owner).post(team_url("team_update", team), {"name": name})
    assert response.status_code == 400
    body = text(response)
    assert message in body
    assert '<h2 class="page-title">Data Engineering</h2>' in body  # the saved name, not the rejected one
    assert db_state() == before


def test_invalid_htmx_team_rename_answers_with_only_the_form(login, tenancy, team):
    response = login(tenancy.owner).post(team_url("team_update", team), {"name": ""}, **HTMX)
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<form class="card mb-3" id="team-rename-form"')
    assert "This field is required." in body


# Delete


def test_owner_can_delete_a_team_and_its_workspace_roles(login, tenancy, team):
    binding = WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.OWNER)
    response = login(tenancy.owner).post(team_url("team_delete", team), follow=True)
    assert response.redirect_chain[-1][0] == reverse("team_list", args=["acme"])
    assert "Team “Data Engineering” deleted." in text(response)
    assert not Team.objects.filter(pk=team.pk).exists()
    assert not WorkspaceRoleBinding.objects.filter(pk=binding.pk).exists()
    # Its members keep their own roles.
    assert WorkspaceRoleBinding.objects.filter(workspace=tenancy.workspace, user=tenancy.member).exists()
    event = assert_audited("team.delete", actor=tenancy.owner, organization=tenancy.org)
    assert event.target_label == "Data Engineering"


def test_deleting_a_team_over_htmx_answers_204_with_hx_location(login, tenancy, team):
    response = login(tenancy.owner).post(team_url("team_delete", team), **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == reverse("team_list", args=["acme"])


# Members


def test_owner_can_add_an_organisation_member_to_a_team(login, tenancy, team, newcomer):
    response = login(tenancy.owner).post(team_url("team_member_add", team), {"user": newcomer.pk}, follow=True)
    assert "newcomer@acme.test added to Data Engineering." in text(response)
    assert TeamMembership.objects.filter(team=team, user=newcomer).exists()
    event = assert_audited("team.member_add", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"member": [None, "newcomer@acme.test"]}


def test_adding_a_team_member_over_htmx_answers_204_with_hx_location(login, tenancy, team, newcomer):
    response = login(tenancy.owner).post(team_url("team_member_add", team), {"user": newcomer.pk}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == team_url("team_detail", team)


@pytest.mark.parametrize("who", ["member", "outsider", "nobody"])
def test_adding_someone_already_in_the_team_or_outside_the_organisation_shows_an_error(login, tenancy, team, who):
    user_pk = {"member": tenancy.member.pk, "outsider": tenancy.outsider.pk, "nobody": 999999}[who]
    before = db_state()
    response = login(tenancy.owner).post(team_url("team_member_add", team), {"user": user_pk})
    assert response.status_code == 400
    assert "Select a valid choice. That choice is not one of the available choices." in text(response)
    assert db_state() == before


def test_invalid_htmx_team_member_add_answers_with_only_the_form(login, tenancy, team, newcomer):
    response = login(tenancy.owner).post(team_url("team_member_add", team), {"user": ""}, **HTMX)
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<form class="card mb-3" id="team-add-member-form"')
    assert "This field is required." in body
    assert not TeamMembership.objects.filter(user=newcomer).exists()


def test_owner_can_remove_a_team_member(login, tenancy, team):
    membership = TeamMembership.objects.get(team=team, user=tenancy.member)
    response = login(tenancy.owner).post(team_url("team_member_remove", team, membership.pk), follow=True)
    assert response.redirect_chain[-1][0] == team_url("team_detail", team)
    assert "member@acme.test removed from Data Engineering." in text(response)
    assert not TeamMembership.objects.filter(pk=membership.pk).exists()
    assert OrganizationMembership.objects.filter(organization=tenancy.org, user=tenancy.member).exists()
    event = assert_audited("team.member_remove", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"member": ["member@acme.test", None]}


def test_removing_a_team_member_over_htmx_answers_204_with_hx_location(login, tenancy, team):
    membership = TeamMembership.objects.get(team=team, user=tenancy.member)
    response = login(tenancy.owner).post(team_url("team_member_remove", team, membership.pk), **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == team_url("team_detail", team)


def test_removing_a_membership_of_another_acme_team_is_404(login, tenancy, team, newcomer):
    other = TeamFactory(organization=tenancy.org, name="Other")
    membership = TeamMembershipFactory(team=other, user=newcomer)
    before = db_state()
    response = login(tenancy.owner).post(team_url("team_member_remove", team, membership.pk))
    assert response.status_code == 404
    assert db_state() == before


def test_the_team_pages_pickers_search_only_what_may_be_added(login, tenancy, team):
    """The member and workspace pickers list nobody and nothing up front, so the page stays the same size as the
    organisation grows; their searches offer people not in the team and workspaces it has no role on, of this
    organisation only, to those who manage teams."""
    from workspaces.models import Workspace

    Workspace.objects.bulk_create(Workspace(organization=tenancy.org, name=f"Team space {i:03d}") for i in range(60))
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.MEMBER)
    client = login(tenancy.owner)
    page = text(client.get(team_url("team_detail", team)))
    assert "Team space 000" not in page and 'id="team-bind-form"' in page

    search = team_url("team_workspace_search", team)
    found = re.findall(r'data-pick-label="([^"]+)"', text(client.get(search + "?q=space 00")))
    assert found == [f"Team space {i:03d}" for i in range(8)]
    assert "Nothing matches “analytics”" in text(client.get(search + "?q=analytics"))  # it has a role there
    assert "Globex" not in text(client.get(search + "?q=globex"))
    for url in (search, team_url("team_member_search", team)):
        assert login(tenancy.member).get(url).status_code == 403
        assert login(tenancy.outsider).get(url).status_code == 404


def test_a_team_gets_a_workspace_role_through_the_picker(login, tenancy, team):
    """The picker posts the workspace's id, as the select did."""
    client = login(tenancy.owner)
    response = client.post(team_url("team_workspace_bind", team), {"workspace": tenancy.workspace.pk, "role": "AUTHOR"})
    assert response.status_code == 302
    assert WorkspaceRoleBinding.objects.get(team=team).role == WorkspaceRole.AUTHOR
