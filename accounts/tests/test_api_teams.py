"""/api/v1/organizations/{slug}/teams/ and their members, with the three personas."""

import pytest

from accounts.models import AuditEvent, Invitation, Team, TeamMembership
from accounts.roles import WorkspaceRole
from accounts.tests.api_helpers import (
    api_client,
    assert_error,
    assert_field_error,
    assert_forbidden,
    assert_not_found,
)
from accounts.tests.factories import MembershipFactory, TeamFactory, TeamMembershipFactory, UserFactory
from workspaces.models import WorkspaceRoleBinding

pytestmark = pytest.mark.django_db

TEAMS = "/api/v1/organizations/acme/teams/"


def team_url(team, slug="acme"):
    return f"/api/v1/organizations/{slug}/teams/{team.pk}/"


def team_members_url(team, slug="acme"):
    return f"{team_url(team, slug)}members/"


@pytest.fixture
def team(tenancy):
    team = TeamFactory(organization=tenancy.org, name="Platform", description="Runs the platform")
    TeamMembershipFactory(team=team, user=tenancy.owner)
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.OPERATOR)
    return team


@pytest.fixture
def their_team(tenancy):
    return TeamFactory(organization=tenancy.other_org, name="Globex Core")


def test_anonymous_caller_cannot_list_teams(tenancy):
    response = api_client().get(TEAMS)
    assert response.status_code in (401, 403)
    assert_error(response, response.status_code, "not_authenticated")


def test_anonymous_caller_cannot_create_teams(tenancy):
    response = api_client().post(TEAMS, {"name": "Sneaky"}, format="json")
    assert response.status_code in (401, 403)
    assert not Team.objects.exists()


# Reading


def test_member_lists_teams_with_their_counts(tenancy, team, their_team):
    response = api_client(tenancy.member).get(TEAMS)
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": team.pk,
            "name": "Platform",
            "description": "Runs the platform",
            "member_count": 1,
            "workspace_count": 1,
            "created_at": response.json()["results"][0]["created_at"],
        }
    ]


def test_member_retrieves_a_team(tenancy, team):
    response = api_client(tenancy.member).get(team_url(team))
    assert response.status_code == 200
    assert response.json()["name"] == "Platform"


def test_team_list_is_cursor_paginated(tenancy):
    for n in range(5):
        TeamFactory(organization=tenancy.org, name=f"Team {n}")
    client = api_client(tenancy.member)
    first = client.get(TEAMS, {"page_size": 2}).json()
    assert len(first["results"]) == 2
    assert first["next"]
    names = [t["name"] for t in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        names += [t["name"] for t in page["results"]]
    assert sorted(names) == [f"Team {n}" for n in range(5)]


def test_outsider_gets_404_for_another_organisations_teams(tenancy, team):
    client = api_client(tenancy.outsider)
    assert_not_found(client.get(TEAMS))
    assert_not_found(client.post(TEAMS, {"name": "Intruders"}, format="json"))
    assert_not_found(client.get(team_url(team)))
    assert_not_found(client.patch(team_url(team), {"name": "Owned"}, format="json"))
    assert_not_found(client.delete(team_url(team)))
    team.refresh_from_db()
    assert team.name == "Platform"
    assert Team.objects.filter(organization=tenancy.org).count() == 1
    assert not AuditEvent.objects.exists()


def test_another_organisations_team_is_404_under_your_own(tenancy, their_team):
    client = api_client(tenancy.owner)
    assert_not_found(client.get(team_url(their_team)))
    assert_not_found(client.patch(team_url(their_team), {"name": "Ours"}, format="json"))
    assert_not_found(client.delete(team_url(their_team)))
    assert Team.objects.filter(pk=their_team.pk, name="Globex Core").exists()


# Creating


def test_owner_creates_a_team(tenancy):
    response = api_client(tenancy.owner).post(TEAMS, {"name": "Data Eng", "description": "Pipelines"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["description"], body["member_count"]) == ("Data Eng", "Pipelines", 0)
    team = Team.objects.get(organization=tenancy.org, name="Data Eng")
    event = AuditEvent.objects.get(action="team.create")
    assert (event.actor, event.target_id, event.organization) == (tenancy.owner, str(team.pk), tenancy.org)


def test_member_cannot_create_a_team(tenancy):
    response = api_client(tenancy.member).post(TEAMS, {"name": "Rogue"}, format="json")
    assert_forbidden(response)
    assert not Team.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter a name."),
        ("x" * 101, "at most 100 characters long (it has 101)"),
        ("platform", "A team named “platform” already exists"),
    ],
)
def test_create_team_rejects_a_bad_name(tenancy, team, name, message):
    response = api_client(tenancy.owner).post(TEAMS, {"name": name}, format="json")
    assert_field_error(response, "name", message)
    assert list(Team.objects.values_list("name", flat=True)) == ["Platform"]
    assert not AuditEvent.objects.exists()


def test_team_names_only_clash_within_one_organisation(tenancy, their_team):
    response = api_client(tenancy.owner).post(TEAMS, {"name": "Globex Core"}, format="json")
    assert response.status_code == 201


# Updating


def test_owner_renames_a_team(tenancy, team):
    response = api_client(tenancy.owner).patch(team_url(team), {"name": "Platform Eng"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Platform Eng"
    team.refresh_from_db()
    assert (team.name, team.description) == ("Platform Eng", "Runs the platform")
    event = AuditEvent.objects.get(action="team.update")
    assert event.changes == {"name": ["Platform", "Platform Eng"]}


def test_owner_changes_only_the_description(tenancy, team):
    response = api_client(tenancy.owner).patch(team_url(team), {"description": "On call"}, format="json")
    assert response.status_code == 200
    team.refresh_from_db()
    assert (team.name, team.description) == ("Platform", "On call")


def test_member_cannot_rename_a_team(tenancy, team):
    response = api_client(tenancy.member).patch(team_url(team), {"name": "Mine"}, format="json")
    assert_forbidden(response)
    team.refresh_from_db()
    assert team.name == "Platform"
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [("  ", "Enter a name."), ("y" * 101, "at most 100 characters"), ("DATA", "already exists")],
)
def test_rename_team_rejects_a_bad_name(tenancy, team, name, message):
    TeamFactory(organization=tenancy.org, name="Data")
    response = api_client(tenancy.owner).patch(team_url(team), {"name": name}, format="json")
    assert_field_error(response, "name", message)
    team.refresh_from_db()
    assert team.name == "Platform"
    assert not AuditEvent.objects.exists()


# Deleting


def test_owner_deletes_a_team(tenancy, team):
    response = api_client(tenancy.owner).delete(team_url(team))
    assert response.status_code == 204
    assert not Team.objects.filter(pk=team.pk).exists()
    assert AuditEvent.objects.get(action="team.delete").target_id == str(team.pk)


def test_member_cannot_delete_a_team(tenancy, team):
    assert_forbidden(api_client(tenancy.member).delete(team_url(team)))
    assert Team.objects.filter(pk=team.pk).exists()
    assert not AuditEvent.objects.exists()


# Team members


def test_member_lists_a_teams_members(tenancy, team):
    response = api_client(tenancy.member).get(team_members_url(team))
    assert response.status_code == 200
    assert [m["user"]["email"] for m in response.json()["results"]] == ["owner@acme.test"]


def test_team_member_list_is_cursor_paginated(tenancy, team):
    for _ in range(2):
        TeamMembershipFactory(team=team, user=MembershipFactory(organization=tenancy.org).user)
    client = api_client(tenancy.owner)
    first = client.get(team_members_url(team), {"page_size": 2}).json()
    assert len(first["results"]) == 2
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["next"] is None


def test_owner_adds_a_team_member_by_user_id(tenancy, team):
    response = api_client(tenancy.owner).post(team_members_url(team), {"user": tenancy.member.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["user"]["email"] == "member@acme.test"
    assert TeamMembership.objects.filter(team=team, user=tenancy.member).exists()
    event = AuditEvent.objects.get(action="team.member_add")
    assert (event.actor, event.changes) == (tenancy.owner, {"member": [None, "member@acme.test"]})


def test_owner_adds_a_team_member_by_email(tenancy, team):
    response = api_client(tenancy.owner).post(team_members_url(team), {"email": "MEMBER@acme.test"}, format="json")
    assert response.status_code == 201, response.content
    assert TeamMembership.objects.filter(team=team, user=tenancy.member).exists()
    assert AuditEvent.objects.filter(action="team.member_add").count() == 1


def test_member_cannot_add_team_members(tenancy, team):
    response = api_client(tenancy.member).post(team_members_url(team), {"user": tenancy.member.pk}, format="json")
    assert_forbidden(response)
    assert not TeamMembership.objects.filter(user=tenancy.member).exists()
    assert not AuditEvent.objects.exists()


def test_adding_someone_outside_the_organisation_to_a_team_is_refused_without_naming_them(tenancy, team):
    client = api_client(tenancy.owner)
    response = client.post(team_members_url(team), {"user": tenancy.outsider.pk}, format="json")
    error = assert_field_error(response, "user", "No member of Acme Data has the id")
    assert "outsider@globex.test" not in str(error)
    response = client.post(team_members_url(team), {"email": "outsider@globex.test"}, format="json")
    assert_field_error(response, "email", "No member of Acme Data has the address")
    assert not TeamMembership.objects.filter(user=tenancy.outsider).exists()
    assert not AuditEvent.objects.exists()


def test_adding_a_team_member_twice_is_refused(tenancy, team):
    response = api_client(tenancy.owner).post(team_members_url(team), {"user": tenancy.owner.pk}, format="json")
    assert_field_error(response, "user", "already in the team")
    assert TeamMembership.objects.filter(team=team).count() == 1


@pytest.mark.parametrize("payload", [{}, {"user": 1, "email": "member@acme.test"}])
def test_adding_a_team_member_needs_exactly_one_of_id_and_email(tenancy, team, payload):
    response = api_client(tenancy.owner).post(team_members_url(team), payload, format="json")
    assert_field_error(response, "non_field_errors", "either")
    assert TeamMembership.objects.filter(team=team).count() == 1


def test_owner_removes_a_team_member(tenancy, team):
    membership = TeamMembership.objects.get(team=team, user=tenancy.owner)
    response = api_client(tenancy.owner).delete(f"{team_members_url(team)}{membership.pk}/")
    assert response.status_code == 204
    assert not TeamMembership.objects.filter(pk=membership.pk).exists()
    event = AuditEvent.objects.get(action="team.member_remove")
    assert event.changes == {"member": ["owner@acme.test", None]}


def test_member_cannot_remove_team_members(tenancy, team):
    membership = TeamMembership.objects.get(team=team, user=tenancy.owner)
    assert_forbidden(api_client(tenancy.member).delete(f"{team_members_url(team)}{membership.pk}/"))
    assert TeamMembership.objects.filter(pk=membership.pk).exists()
    assert not AuditEvent.objects.exists()


def test_outsider_gets_404_for_another_organisations_team_members(tenancy, team):
    membership = TeamMembership.objects.get(team=team, user=tenancy.owner)
    client = api_client(tenancy.outsider)
    assert_not_found(client.get(team_members_url(team)))
    assert_not_found(client.post(team_members_url(team), {"user": tenancy.outsider.pk}, format="json"))
    assert_not_found(client.delete(f"{team_members_url(team)}{membership.pk}/"))
    assert list(TeamMembership.objects.filter(team=team).values_list("user", flat=True)) == [tenancy.owner.pk]


def test_team_members_of_another_organisation_are_404_under_your_own(tenancy, their_team):
    theirs = TeamMembershipFactory(team=their_team, user=tenancy.outsider)
    client = api_client(tenancy.owner)
    assert_not_found(client.get(team_members_url(their_team)))
    assert_not_found(client.get(team_members_url(their_team, slug="globex")))
    assert_not_found(client.delete(f"{team_members_url(their_team)}{theirs.pk}/"))
    assert TeamMembership.objects.filter(pk=theirs.pk).exists()


def test_a_membership_of_another_team_is_404_under_this_one(tenancy, team):
    other = TeamFactory(organization=tenancy.org, name="Other")
    elsewhere = TeamMembershipFactory(team=other, user=tenancy.member)
    assert_not_found(api_client(tenancy.owner).delete(f"{team_members_url(team)}{elsewhere.pk}/"))
    assert TeamMembership.objects.filter(pk=elsewhere.pk).exists()


def test_an_account_joins_a_team_only_once_it_has_accepted_its_invitation(tenancy, team):
    from accounts.invitations import services as invitations

    newcomer = UserFactory(email="late@acme.test")
    client = api_client(tenancy.owner)
    response = client.post("/api/v1/organizations/acme/invitations/", {"emails": [newcomer.email]}, format="json")
    assert response.status_code == 201
    refused = client.post(team_members_url(team), {"email": newcomer.email}, format="json")
    assert refused.status_code == 400  # invited is not yet a member
    invitations.invitation_accept(user=newcomer, invitation=Invitation.objects.get(email=newcomer.email))
    assert client.post(team_members_url(team), {"email": newcomer.email}, format="json").status_code == 201
