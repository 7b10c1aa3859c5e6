import pytest

from accounts.models import Organization, Team
from accounts.permissions import can, workspace_role
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import BindingFactory, MembershipFactory, TeamFactory, TeamMembershipFactory, UserFactory
from workspaces.models import Workspace, WorkspaceRoleBinding

pytestmark = pytest.mark.django_db


def test_organization_owner_owns_every_workspace(tenancy):
    assert workspace_role(tenancy.owner, tenancy.workspace) == WorkspaceRole.OWNER
    assert can(tenancy.owner, "workspace.delete", tenancy.workspace)


def test_read_only_member_can_view_but_not_manage(tenancy):
    assert can(tenancy.member, "workspace.view", tenancy.workspace)
    assert not can(tenancy.member, "workspace.manage_members", tenancy.workspace)
    assert not can(tenancy.member, "workspace.create", tenancy.org)
    assert not can(tenancy.member, "organization.view_audit", tenancy.org)


def test_outsider_sees_nothing_of_another_organisation(tenancy):
    assert not can(tenancy.outsider, "workspace.view", tenancy.workspace)
    assert not Workspace.objects.for_actor(tenancy.outsider).filter(pk=tenancy.workspace.pk).exists()
    assert not Organization.objects.for_actor(tenancy.outsider).filter(pk=tenancy.org.pk).exists()


def test_highest_of_direct_and_team_roles_wins(tenancy):
    team = TeamFactory(organization=tenancy.org)
    TeamMembershipFactory(team=team, user=tenancy.member)
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.OPERATOR)
    assert workspace_role(tenancy.member, tenancy.workspace) == WorkspaceRole.OPERATOR
    assert Workspace.objects.for_actor(tenancy.member, "workspace.view").filter(pk=tenancy.workspace.pk).count() == 1


def test_org_member_without_a_binding_does_not_see_the_workspace(tenancy):
    newcomer = UserFactory()
    MembershipFactory(organization=tenancy.org, user=newcomer, role=OrgRole.MEMBER)
    assert workspace_role(newcomer, tenancy.workspace) is None
    assert not Workspace.objects.for_actor(newcomer).exists()


def test_a_binding_left_behind_in_another_org_grants_nothing(tenancy):
    # Someone bound to a workspace but not (or no longer) in its organisation has no access.
    stray = UserFactory()
    BindingFactory(workspace=tenancy.workspace, user=stray, role=WorkspaceRole.OWNER)
    assert not can(stray, "workspace.view", tenancy.workspace)
    assert not Workspace.objects.for_actor(stray).exists()


def test_team_queryset_is_scoped_to_member_organisations(tenancy):
    TeamFactory(organization=tenancy.org, name="Platform")
    TeamFactory(organization=tenancy.other_org, name="Theirs")
    assert list(Team.objects.for_actor(tenancy.member).values_list("name", flat=True)) == ["Platform"]


def test_unknown_permission_is_a_programming_error(tenancy):
    with pytest.raises(ValueError, match="Unknown permission"):
        can(tenancy.owner, "workspace.fly", tenancy.workspace)
