"""/api/v1/workspaces/ and /api/v1/workspaces/{id}/bindings/ with the three personas."""

import pytest

from accounts.models import AuditEvent
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.api_helpers import (
    api_client,
    assert_error,
    assert_field_error,
    assert_forbidden,
    assert_not_found,
)
from accounts.tests.factories import (
    BindingFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
    WorkspaceFactory,
)
from workspaces.models import Workspace, WorkspaceRoleBinding

pytestmark = pytest.mark.django_db

WORKSPACES = "/api/v1/workspaces/"


def workspace_url(workspace):
    return f"{WORKSPACES}{workspace.pk}/"


def bindings_url(workspace):
    return f"{workspace_url(workspace)}bindings/"


def binding_url(binding, workspace=None):
    return f"{bindings_url(workspace or binding.workspace)}{binding.pk}/"


@pytest.fixture
def colleague(tenancy):
    """Another member of the organisation, with no role on the workspace yet."""
    return MembershipFactory(organization=tenancy.org, user=UserFactory(email="colleague@acme.test")).user


@pytest.fixture
def member_binding(tenancy):
    return WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, user=tenancy.member)


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", WORKSPACES), ("post", WORKSPACES), ("get", f"{WORKSPACES}1/"), ("get", f"{WORKSPACES}1/bindings/")],
)
def test_anonymous_caller_is_refused(tenancy, method, path):
    response = getattr(api_client(), method)(path, {"organization": "acme", "name": "X"}, format="json")
    assert response.status_code in (401, 403)
    assert_error(response, response.status_code, "not_authenticated")
    assert Workspace.objects.count() == 2


# Reading


def test_member_lists_only_the_workspaces_they_can_see(tenancy):
    WorkspaceFactory(organization=tenancy.org, name="Hidden")  # no binding for the member
    response = api_client(tenancy.member).get(WORKSPACES)
    assert response.status_code == 200
    assert [(w["organization"], w["name"]) for w in response.json()["results"]] == [("acme", "Analytics")]


def test_owner_filters_workspaces_by_organisation(tenancy):
    MembershipFactory(organization=tenancy.other_org, user=tenancy.owner, role=OrgRole.OWNER)
    client = api_client(tenancy.owner)
    assert {w["name"] for w in client.get(WORKSPACES).json()["results"]} == {"Analytics", "Globex Ops"}
    filtered = client.get(WORKSPACES, {"organization": "globex"}).json()["results"]
    assert [w["name"] for w in filtered] == ["Globex Ops"]


def test_filtering_by_another_organisation_shows_nothing(tenancy):
    response = api_client(tenancy.outsider).get(WORKSPACES, {"organization": "acme"})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_workspace_list_is_cursor_paginated(tenancy):
    for n in range(4):
        WorkspaceFactory(organization=tenancy.org, name=f"Extra {n}")
    client = api_client(tenancy.owner)
    first = client.get(WORKSPACES, {"page_size": 2}).json()
    assert len(first["results"]) == 2
    assert first["next"] and "cursor=" in first["next"]
    names = [w["name"] for w in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        names += [w["name"] for w in page["results"]]
    assert sorted(names) == ["Analytics", "Extra 0", "Extra 1", "Extra 2", "Extra 3"]


def test_member_retrieves_a_workspace(tenancy):
    response = api_client(tenancy.member).get(workspace_url(tenancy.workspace))
    assert response.status_code == 200
    assert response.json()["name"] == "Analytics"


def test_outsider_gets_404_for_another_organisations_workspace(tenancy):
    client = api_client(tenancy.outsider)
    url = workspace_url(tenancy.workspace)
    assert_not_found(client.get(url))
    assert_not_found(client.patch(url, {"name": "Mine"}, format="json"))
    assert_not_found(client.delete(f"{url}?confirm_name=Analytics"))
    assert Workspace.objects.get(pk=tenancy.workspace.pk).name == "Analytics"
    assert not AuditEvent.objects.exists()


def test_organisation_member_without_a_role_gets_404_for_the_workspace(tenancy, colleague):
    assert_not_found(api_client(colleague).get(workspace_url(tenancy.workspace)))


# Creating


def test_owner_creates_a_workspace(tenancy):
    response = api_client(tenancy.owner).post(
        WORKSPACES, {"organization": "acme", "name": "ML", "description": "Models"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["organization"], body["name"], body["description"]) == ("acme", "ML", "Models")
    workspace = Workspace.objects.get(organization=tenancy.org, name="ML")
    event = AuditEvent.objects.get(action="workspace.create")
    assert (event.actor, event.target_id) == (tenancy.owner, str(workspace.pk))


def test_member_cannot_create_a_workspace(tenancy):
    response = api_client(tenancy.member).post(WORKSPACES, {"organization": "acme", "name": "ML"}, format="json")
    assert_forbidden(response)
    assert not Workspace.objects.filter(name="ML").exists()
    assert not AuditEvent.objects.exists()


def test_outsider_cannot_create_a_workspace_in_another_organisation(tenancy):
    response = api_client(tenancy.outsider).post(WORKSPACES, {"organization": "acme", "name": "ML"}, format="json")
    assert_not_found(response)
    assert not Workspace.objects.filter(name="ML").exists()


def test_creating_a_workspace_in_an_unknown_organisation_is_404(tenancy):
    response = api_client(tenancy.owner).post(WORKSPACES, {"organization": "nope", "name": "ML"}, format="json")
    assert_not_found(response)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter a name."),
        ("z" * 101, "at most 100 characters long (it has 101)"),
        ("analytics", "A workspace named “analytics” already exists"),
    ],
)
def test_create_workspace_rejects_a_bad_name(tenancy, name, message):
    response = api_client(tenancy.owner).post(WORKSPACES, {"organization": "acme", "name": name}, format="json")
    assert_field_error(response, "name", message)
    assert Workspace.objects.filter(organization=tenancy.org).count() == 1
    assert not AuditEvent.objects.exists()


def test_create_workspace_needs_an_organisation(tenancy):
    response = api_client(tenancy.owner).post(WORKSPACES, {"name": "ML"}, format="json")
    assert_field_error(response, "organization", "required")
    assert Workspace.objects.count() == 2


# Updating


def test_owner_renames_a_workspace(tenancy):
    response = api_client(tenancy.owner).patch(workspace_url(tenancy.workspace), {"name": "BI"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "BI"
    tenancy.workspace.refresh_from_db()
    assert tenancy.workspace.name == "BI"
    assert AuditEvent.objects.get(action="workspace.update").changes == {"name": ["Analytics", "BI"]}


def test_owner_changes_only_the_description(tenancy):
    response = api_client(tenancy.owner).patch(
        workspace_url(tenancy.workspace), {"description": "Dashboards"}, format="json"
    )
    assert response.status_code == 200
    tenancy.workspace.refresh_from_db()
    assert (tenancy.workspace.name, tenancy.workspace.description) == ("Analytics", "Dashboards")


def test_member_cannot_rename_workspace(tenancy):
    response = api_client(tenancy.member).patch(workspace_url(tenancy.workspace), {"name": "Mine"}, format="json")
    assert_forbidden(response)
    tenancy.workspace.refresh_from_db()
    assert tenancy.workspace.name == "Analytics"
    assert not AuditEvent.objects.exists()


def test_workspace_operator_cannot_rename_workspace(tenancy, colleague):
    BindingFactory(workspace=tenancy.workspace, user=colleague, role=WorkspaceRole.OPERATOR)
    response = api_client(colleague).patch(workspace_url(tenancy.workspace), {"name": "Ops"}, format="json")
    assert_forbidden(response)


def test_workspace_owner_binding_may_rename_workspace(tenancy, colleague):
    BindingFactory(workspace=tenancy.workspace, user=colleague, role=WorkspaceRole.OWNER)
    response = api_client(colleague).patch(workspace_url(tenancy.workspace), {"name": "Ops"}, format="json")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Enter a name."), ("z" * 101, "at most 100 characters"), ("REPORTING", "already exists")],
)
def test_rename_workspace_rejects_a_bad_name(tenancy, name, message):
    WorkspaceFactory(organization=tenancy.org, name="Reporting")
    response = api_client(tenancy.owner).patch(workspace_url(tenancy.workspace), {"name": name}, format="json")
    assert_field_error(response, "name", message)
    tenancy.workspace.refresh_from_db()
    assert tenancy.workspace.name == "Analytics"
    assert not AuditEvent.objects.exists()


# Deleting


def test_owner_deletes_a_workspace_with_its_name_in_the_query(tenancy):
    response = api_client(tenancy.owner).delete(f"{workspace_url(tenancy.workspace)}?confirm_name=Analytics")
    assert response.status_code == 204, response.content
    assert not Workspace.objects.filter(pk=tenancy.workspace.pk).exists()
    event = AuditEvent.objects.get(action="workspace.delete")
    assert (event.actor, event.target_label) == (tenancy.owner, "Analytics")


def test_owner_deletes_a_workspace_with_its_name_in_the_body(tenancy):
    response = api_client(tenancy.owner).delete(
        workspace_url(tenancy.workspace), {"confirm_name": "Analytics"}, format="json"
    )
    assert response.status_code == 204, response.content
    assert not Workspace.objects.filter(pk=tenancy.workspace.pk).exists()


@pytest.mark.parametrize("query", ["", "?confirm_name=analytics", "?confirm_name=Other"])
def test_delete_workspace_needs_its_exact_name(tenancy, query):
    response = api_client(tenancy.owner).delete(f"{workspace_url(tenancy.workspace)}{query}")
    assert_field_error(response, "confirm_name", "Type the workspace's name, “Analytics”")
    assert Workspace.objects.filter(pk=tenancy.workspace.pk).exists()
    assert not AuditEvent.objects.exists()


def test_member_cannot_delete_workspace(tenancy):
    assert_forbidden(api_client(tenancy.member).delete(f"{workspace_url(tenancy.workspace)}?confirm_name=Analytics"))
    assert Workspace.objects.filter(pk=tenancy.workspace.pk).exists()
    assert not AuditEvent.objects.exists()


# Bindings: reading


def test_member_lists_bindings_of_users_and_teams(tenancy):
    team = TeamFactory(organization=tenancy.org, name="Platform")
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.AUTHOR)
    response = api_client(tenancy.member).get(bindings_url(tenancy.workspace))
    assert response.status_code == 200
    rows = {
        (b["user"] and b["user"]["email"], b["team"] and b["team"]["name"], b["role"])
        for b in response.json()["results"]
    }
    assert rows == {("member@acme.test", None, "MEMBER"), (None, "Platform", "AUTHOR")}


def test_binding_list_is_cursor_paginated(tenancy):
    for _ in range(3):
        BindingFactory(workspace=tenancy.workspace, user=MembershipFactory(organization=tenancy.org).user)
    client = api_client(tenancy.owner)
    first = client.get(bindings_url(tenancy.workspace), {"page_size": 2}).json()
    assert len(first["results"]) == 2
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2
    assert second["next"] is None


def test_outsider_gets_404_for_another_organisations_bindings(tenancy, member_binding, colleague):
    client = api_client(tenancy.outsider)
    assert_not_found(client.get(bindings_url(tenancy.workspace)))
    response = client.post(bindings_url(tenancy.workspace), {"user": colleague.pk, "role": "OWNER"}, format="json")
    assert_not_found(response)
    assert_not_found(client.patch(binding_url(member_binding), {"role": "OWNER"}, format="json"))
    assert_not_found(client.delete(binding_url(member_binding)))
    member_binding.refresh_from_db()
    assert member_binding.role == WorkspaceRole.MEMBER
    assert WorkspaceRoleBinding.objects.filter(workspace=tenancy.workspace).count() == 1
    assert not AuditEvent.objects.exists()


def test_binding_of_another_workspace_is_404_under_this_one(tenancy, colleague):
    other = WorkspaceFactory(organization=tenancy.org, name="Other")
    elsewhere = BindingFactory(workspace=other, user=colleague, role=WorkspaceRole.MEMBER)
    client = api_client(tenancy.owner)
    assert_not_found(client.patch(binding_url(elsewhere, tenancy.workspace), {"role": "OWNER"}, format="json"))
    assert_not_found(client.delete(binding_url(elsewhere, tenancy.workspace)))
    elsewhere.refresh_from_db()
    assert elsewhere.role == WorkspaceRole.MEMBER


# Bindings: creating


def test_owner_gives_a_user_a_role(tenancy, colleague):
    response = api_client(tenancy.owner).post(
        bindings_url(tenancy.workspace), {"user": colleague.pk, "role": "OPERATOR"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["user"]["email"], body["team"], body["role"]) == ("colleague@acme.test", None, "OPERATOR")
    assert WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, user=colleague).role == WorkspaceRole.OPERATOR
    event = AuditEvent.objects.get(action="workspace.member_add")
    assert event.changes == {"member": "colleague@acme.test", "role": [None, "OPERATOR"]}


def test_owner_gives_a_team_a_role(tenancy):
    team = TeamFactory(organization=tenancy.org, name="Platform")
    response = api_client(tenancy.owner).post(
        bindings_url(tenancy.workspace), {"team": team.pk, "role": "AUTHOR"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["team"] == {"id": team.pk, "name": "Platform"}
    assert WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, team=team).role == WorkspaceRole.AUTHOR
    assert AuditEvent.objects.get(action="workspace.team_add").changes == {"team": "Platform", "role": [None, "AUTHOR"]}


def test_member_cannot_add_workspace_members(tenancy, colleague):
    response = api_client(tenancy.member).post(
        bindings_url(tenancy.workspace), {"user": colleague.pk, "role": "MEMBER"}, format="json"
    )
    assert_forbidden(response)
    assert not WorkspaceRoleBinding.objects.filter(user=colleague).exists()
    assert not AuditEvent.objects.exists()


def test_add_binding_rejects_an_unknown_role(tenancy, colleague):
    response = api_client(tenancy.owner).post(
        bindings_url(tenancy.workspace), {"user": colleague.pk, "role": "ADMIN"}, format="json"
    )
    assert_field_error(response, "role", "'ADMIN' is not a role here", "Member, Author, Operator, Owner")
    assert not WorkspaceRoleBinding.objects.filter(user=colleague).exists()
    assert not AuditEvent.objects.exists()


def test_add_binding_refuses_someone_outside_the_organisation_without_naming_them(tenancy):
    response = api_client(tenancy.owner).post(
        bindings_url(tenancy.workspace), {"user": tenancy.outsider.pk, "role": "MEMBER"}, format="json"
    )
    error = assert_field_error(response, "user", "No member of Acme Data has the id")
    assert "outsider@globex.test" not in str(error)
    assert not WorkspaceRoleBinding.objects.filter(user=tenancy.outsider).exists()


def test_add_binding_refuses_another_organisations_team(tenancy):
    theirs = TeamFactory(organization=tenancy.other_org, name="Globex Core")
    response = api_client(tenancy.owner).post(
        bindings_url(tenancy.workspace), {"team": theirs.pk, "role": "MEMBER"}, format="json"
    )
    error = assert_field_error(response, "team", "has no team with the id")
    assert "Globex Core" not in str(error)
    assert not WorkspaceRoleBinding.objects.filter(team=theirs).exists()


def test_add_binding_refuses_a_user_who_already_has_one(tenancy):
    response = api_client(tenancy.owner).post(
        bindings_url(tenancy.workspace), {"user": tenancy.member.pk, "role": "OWNER"}, format="json"
    )
    assert_field_error(response, "user", "already a member of this workspace")
    assert WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, user=tenancy.member).role == "MEMBER"


@pytest.mark.parametrize("payload", [{"role": "MEMBER"}, {"user": 1, "team": 1, "role": "MEMBER"}])
def test_add_binding_needs_exactly_one_of_user_and_team(tenancy, payload):
    response = api_client(tenancy.owner).post(bindings_url(tenancy.workspace), payload, format="json")
    assert_field_error(response, "non_field_errors", "either a user id")
    assert WorkspaceRoleBinding.objects.filter(workspace=tenancy.workspace).count() == 1


# Bindings: changing and removing


def test_owner_changes_a_binding_role(tenancy, member_binding):
    response = api_client(tenancy.owner).patch(binding_url(member_binding), {"role": "AUTHOR"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "AUTHOR"
    member_binding.refresh_from_db()
    assert member_binding.role == WorkspaceRole.AUTHOR
    event = AuditEvent.objects.get(action="workspace.role_change")
    assert event.changes == {"member": "member@acme.test", "role": ["MEMBER", "AUTHOR"]}


def test_member_cannot_change_their_own_role(tenancy, member_binding):
    response = api_client(tenancy.member).patch(binding_url(member_binding), {"role": "OWNER"}, format="json")
    assert_forbidden(response)
    member_binding.refresh_from_db()
    assert member_binding.role == WorkspaceRole.MEMBER
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("role", ["", "member", "SUPERUSER"])
def test_change_binding_role_rejects_an_unknown_role(tenancy, member_binding, role):
    response = api_client(tenancy.owner).patch(binding_url(member_binding), {"role": role}, format="json")
    assert_field_error(response, "role", "is not a role here")
    member_binding.refresh_from_db()
    assert member_binding.role == WorkspaceRole.MEMBER
    assert not AuditEvent.objects.exists()


def test_owner_removes_a_binding(tenancy, member_binding):
    response = api_client(tenancy.owner).delete(binding_url(member_binding))
    assert response.status_code == 204
    assert not WorkspaceRoleBinding.objects.filter(pk=member_binding.pk).exists()
    event = AuditEvent.objects.get(action="workspace.member_remove")
    assert event.changes == {"member": "member@acme.test", "role": ["MEMBER", None]}


def test_member_cannot_remove_a_binding(tenancy, member_binding):
    assert_forbidden(api_client(tenancy.member).delete(binding_url(member_binding)))
    assert WorkspaceRoleBinding.objects.filter(pk=member_binding.pk).exists()
    assert not AuditEvent.objects.exists()


def test_removed_member_no_longer_sees_the_workspace(tenancy, member_binding):
    api_client(tenancy.owner).delete(binding_url(member_binding))
    assert_not_found(api_client(tenancy.member).get(workspace_url(tenancy.workspace)))


def test_an_organisation_filter_that_is_not_a_slug_is_refused_not_a_crash(tenancy):
    response = api_client(tenancy.owner).get(WORKSPACES, {"organization": "ac\x00me"})
    assert response.status_code == 400
    assert "organization" in response.json()["error"]["fields"]
