import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, User
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.admin_helpers import (
    action_data,
    admin_url,
    change_form_data,
    inline_index,
    inline_row,
    messages_of,
)
from accounts.tests.factories import (
    PASSWORD,
    BindingFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
    WorkspaceFactory,
)
from workspaces.models import Workspace, WorkspaceRoleBinding

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, db):
    client.force_login(User.objects.create_superuser(email="staff@aerodrome.test", password=PASSWORD))
    return client


@pytest.fixture
def team(tenancy):
    return TeamFactory(organization=tenancy.org, name="Data Engineering")


def member_binding(tenancy):
    return WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, user=tenancy.member)


# --- Pages load ------------------------------------------------------------------------------------------------


def test_non_staff_user_is_redirected_to_the_admin_login(client, tenancy):
    client.force_login(tenancy.owner)
    response = client.get(admin_url(Workspace))
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_changelists_load_with_a_search_and_filters_applied(staff, tenancy, team):
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.AUTHOR)
    searches = [
        (Workspace, {"q": "analytics", "organization__id__exact": tenancy.org.pk}, 1),
        (Workspace, {"q": "acme"}, 1),  # by organisation name
        (WorkspaceRoleBinding, {"q": "member@acme", "role__exact": "MEMBER"}, 1),
        (WorkspaceRoleBinding, {"q": "data eng", "workspace__organization__id__exact": tenancy.org.pk}, 1),
    ]
    for model, params, found in searches:
        response = staff.get(admin_url(model), params)
        assert response.status_code == 200, (model, params)
        assert response.context["cl"].result_count == found, (model, params)


def test_change_and_add_pages_load(staff, tenancy, team):
    team_binding = WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.OWNER)
    for obj in (tenancy.workspace, member_binding(tenancy), team_binding):
        model = type(obj)
        assert staff.get(admin_url(model, "change", obj.pk)).status_code == 200
        assert staff.get(admin_url(model, "add")).status_code == 200


def test_workspace_list_counts_members_and_teams(staff, tenancy, team):
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.AUTHOR)
    response = staff.get(admin_url(Workspace), {"q": "Analytics"})
    assert [w.binding_count for w in response.context["cl"].result_list] == [2]


def _workspace_rows(n):
    for _ in range(n):
        BindingFactory(workspace=WorkspaceFactory())


def _binding_rows(n):
    for i in range(n):
        if i % 2:
            BindingFactory()
        else:
            team = TeamFactory()
            BindingFactory(workspace=WorkspaceFactory(organization=team.organization), user=None, team=team)


@pytest.mark.parametrize(("model", "make_rows"), [(Workspace, _workspace_rows), (WorkspaceRoleBinding, _binding_rows)])
def test_changelist_query_count_does_not_grow_with_rows(staff, django_assert_max_num_queries, model, make_rows):
    make_rows(3)
    staff.get(admin_url(model))
    with CaptureQueriesContext(connection) as three_rows:
        response = staff.get(admin_url(model))
    assert response.context["cl"].result_count == 3
    make_rows(27)
    with django_assert_max_num_queries(len(three_rows)):
        response = staff.get(admin_url(model))
    assert response.context["cl"].result_count == 30


# --- Workspaces through the services ---------------------------------------------------------------------------


def test_delete_selected_workspaces_goes_through_the_service(staff, tenancy, audit_count):
    extra = WorkspaceFactory(organization=tenancy.org, name="Scratch")
    confirm = staff.post(admin_url(Workspace), action_data("delete_selected", tenancy.workspace, extra))
    assert confirm.status_code == 200  # Django's confirmation page first
    assert Workspace.objects.filter(organization=tenancy.org).count() == 2

    response = staff.post(
        admin_url(Workspace), action_data("delete_selected", tenancy.workspace, extra, post="yes"), follow=True
    )
    assert not Workspace.objects.filter(organization=tenancy.org).exists()
    assert audit_count("workspace.delete") == 2
    assert {e.target_label for e in AuditEvent.objects.filter(action="workspace.delete")} == {"Analytics", "Scratch"}
    assert ("success", "Deleted 2 workspaces.") in messages_of(response)
    assert Workspace.objects.filter(pk=tenancy.other_workspace.pk).exists()


def test_deleting_one_workspace_goes_through_the_service(staff, tenancy, audit_count):
    response = staff.post(admin_url(Workspace, "delete", tenancy.workspace.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Workspace.objects.filter(pk=tenancy.workspace.pk).exists()
    assert audit_count("workspace.delete") == 1


def test_editing_a_workspace_goes_through_the_service(staff, tenancy, audit_count):
    url = admin_url(Workspace, "change", tenancy.workspace.pk)
    data = change_form_data(staff.get(url))
    data.update(name="Analytics Prod", description="Nightly batch")
    assert staff.post(url, data).status_code == 302
    tenancy.workspace.refresh_from_db()
    assert (tenancy.workspace.name, tenancy.workspace.description) == ("Analytics Prod", "Nightly batch")
    event = AuditEvent.objects.get(action="workspace.update")
    assert event.changes == {"name": ["Analytics", "Analytics Prod"], "description": ["", "Nightly batch"]}
    assert event.organization == tenancy.org


def test_workspace_names_are_unique_in_an_organisation(staff, tenancy):
    WorkspaceFactory(organization=tenancy.org, name="Reporting")
    url = admin_url(Workspace, "change", tenancy.workspace.pk)
    data = change_form_data(staff.get(url))
    data["name"] = "reporting"
    response = staff.post(url, data)
    assert response.status_code == 200
    assert "already exists in this organisation" in response.content.decode()


def test_creating_a_workspace_goes_through_the_service(staff, tenancy, team, audit_count):
    url = admin_url(Workspace, "add")
    data = change_form_data(staff.get(url))
    data.update(organization=tenancy.org.pk, name="Marketing")
    inline_row(data, "bindings", user=tenancy.member.pk, role=WorkspaceRole.AUTHOR)
    inline_row(data, "bindings", team=team.pk, role=WorkspaceRole.OPERATOR)
    assert staff.post(url, data).status_code == 302
    marketing = Workspace.objects.get(name="Marketing")
    assert {(b.subject, b.role) for b in marketing.bindings.all()} == {
        (tenancy.member, WorkspaceRole.AUTHOR),
        (team, WorkspaceRole.OPERATOR),
    }
    assert audit_count("workspace.create") == 1
    assert audit_count("workspace.member_add") == 1
    assert audit_count("workspace.team_add") == 1


# --- Role bindings ---------------------------------------------------------------------------------------------


def test_binding_inline_changes_and_removals_are_audited(staff, tenancy, audit_count):
    newcomer = UserFactory()
    MembershipFactory(organization=tenancy.org, user=newcomer, role=OrgRole.MEMBER)
    url = admin_url(Workspace, "change", tenancy.workspace.pk)
    data = change_form_data(staff.get(url))
    data[f"bindings-{inline_index(data, 'bindings', member_binding(tenancy).pk)}-role"] = WorkspaceRole.OPERATOR
    inline_row(data, "bindings", user=newcomer.pk, role=WorkspaceRole.MEMBER)
    assert staff.post(url, data).status_code == 302
    assert member_binding(tenancy).role == WorkspaceRole.OPERATOR
    assert AuditEvent.objects.get(action="workspace.role_change").changes == {
        "member": "member@acme.test",
        "role": ["MEMBER", "OPERATOR"],
    }
    assert audit_count("workspace.member_add") == 1

    data = change_form_data(staff.get(url))
    data[f"bindings-{inline_index(data, 'bindings', member_binding(tenancy).pk)}-DELETE"] = "on"
    assert staff.post(url, data).status_code == 302
    assert not WorkspaceRoleBinding.objects.filter(workspace=tenancy.workspace, user=tenancy.member).exists()
    assert audit_count("workspace.member_remove") == 1


def test_bindings_are_only_for_members_and_teams_of_the_same_organisation(staff, tenancy, audit_count):
    foreign_team = TeamFactory(organization=tenancy.other_org)
    url = admin_url(Workspace, "change", tenancy.workspace.pk)
    data = change_form_data(staff.get(url))
    inline_row(data, "bindings", user=tenancy.outsider.pk, role=WorkspaceRole.OWNER)
    inline_row(data, "bindings", team=foreign_team.pk, role=WorkspaceRole.OWNER)
    response = staff.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "outsider@globex.test is not a member of Acme Data" in page
    assert "belongs to another organisation" in page
    assert tenancy.workspace.bindings.count() == 1
    assert audit_count("workspace.member_add") == 0


def test_a_binding_needs_a_user_or_a_team_not_both(staff, tenancy, team):
    response = staff.post(
        admin_url(WorkspaceRoleBinding, "add"),
        {"workspace": tenancy.workspace.pk, "user": tenancy.owner.pk, "team": team.pk, "role": WorkspaceRole.MEMBER},
    )
    assert response.status_code == 200
    assert "one of them, not both" in response.content.decode()
    assert tenancy.workspace.bindings.count() == 1


def test_adding_a_binding_on_its_own_page_is_audited(staff, tenancy, team, audit_count):
    response = staff.post(
        admin_url(WorkspaceRoleBinding, "add"),
        {"workspace": tenancy.workspace.pk, "team": team.pk, "role": WorkspaceRole.AUTHOR},
    )
    assert response.status_code == 302
    assert tenancy.workspace.bindings.filter(team=team, role=WorkspaceRole.AUTHOR).exists()
    assert audit_count("workspace.team_add") == 1


def test_set_role_action_goes_through_the_service(staff, tenancy, audit_count):
    binding = member_binding(tenancy)
    response = staff.post(admin_url(WorkspaceRoleBinding), action_data("set_role_author", binding), follow=True)
    assert member_binding(tenancy).role == WorkspaceRole.AUTHOR
    assert audit_count("workspace.role_change") == 1
    assert ("success", "Set 1 workspace role binding to Author.") in messages_of(response)


def test_deleting_a_binding_goes_through_the_service(staff, tenancy, audit_count):
    binding = member_binding(tenancy)
    staff.post(admin_url(WorkspaceRoleBinding, "delete", binding.pk), {"post": "yes"})
    assert not WorkspaceRoleBinding.objects.filter(pk=binding.pk).exists()
    assert audit_count("workspace.member_remove") == 1
