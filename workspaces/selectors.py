"""Reads for workspace pages and the API."""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from accounts.models import OrganizationMembership, TeamMembership, User
from accounts.roles import OrgRole, WorkspaceRole, highest
from workspaces.models import Workspace, WorkspaceRoleBinding


def workspaces_for_home(*, actor, organization):
    """The workspaces of an organisation the actor can see, with their member counts."""
    return (
        Workspace.objects.for_actor(actor)
        .filter(organization=organization)
        .annotate(
            user_count=Count("bindings", filter=Q(bindings__user__isnull=False), distinct=True),
            team_count=Count("bindings", filter=Q(bindings__team__isnull=False), distinct=True),
        )
        .order_by("name")
    )


@dataclass
class Access:
    """One person's access to a workspace and where it comes from."""

    user: User
    direct: WorkspaceRoleBinding | None = None
    via_teams: list[tuple[str, str]] = field(default_factory=list)  # (team name, role)
    org_owner: bool = False

    @property
    def effective_role(self) -> str:
        if self.org_owner:
            return WorkspaceRole.OWNER
        roles = [self.direct.role if self.direct else None] + [role for _, role in self.via_teams]
        return highest(WorkspaceRole, roles)

    @property
    def effective_role_label(self) -> str:
        return WorkspaceRole(self.effective_role).label


def workspace_access(*, workspace: Workspace) -> list[Access]:
    """Everyone who can reach the workspace: direct members, members through teams, organisation owners."""
    people: dict[int, Access] = {}
    direct = WorkspaceRoleBinding.objects.filter(workspace=workspace, user__isnull=False).select_related("user")
    for binding in direct:
        people[binding.user_id] = Access(user=binding.user, direct=binding)
    team_bindings = {b.team_id: b for b in WorkspaceRoleBinding.objects.filter(workspace=workspace, team__isnull=False)}
    for tm in TeamMembership.objects.filter(team_id__in=team_bindings).select_related("user", "team"):
        access = people.setdefault(tm.user_id, Access(user=tm.user))
        access.via_teams.append((tm.team.name, team_bindings[tm.team_id].role))
    owners = OrganizationMembership.objects.filter(
        organization=workspace.organization_id, role=OrgRole.OWNER
    ).select_related("user")
    for membership in owners:
        people.setdefault(membership.user_id, Access(user=membership.user)).org_owner = True
    return sorted(people.values(), key=lambda a: a.user.email)


def team_bindings(*, workspace: Workspace):
    return (
        WorkspaceRoleBinding.objects.filter(workspace=workspace, team__isnull=False)
        .select_related("team")
        .annotate(member_count=Count("team__memberships"))
        .order_by("team__name")
    )


def member_candidates(*, workspace: Workspace):
    """Organisation members who have no direct role on the workspace yet."""
    return User.objects.filter(org_memberships__organization=workspace.organization_id).exclude(
        workspace_bindings__workspace=workspace
    )


def workspace_for(actor, organization, pk, permission: str | None = None) -> Workspace:
    """A workspace of `organization` the actor can see (404 otherwise), then 403 below `permission`."""
    from accounts.tenancy import get_for_actor

    workspaces = Workspace.objects.filter(organization=organization).select_related("organization")
    return get_for_actor(workspaces, actor, view_permission="workspace.view", permission=permission, pk=pk)
