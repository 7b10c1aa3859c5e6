"""Reads for workspace pages and the API."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, Subquery

from accounts.models import OrganizationMembership, Team, TeamMembership, User
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


def people_with_access(*, workspace: Workspace):
    """Everyone who can reach the workspace (direct members, members through teams, organisation owners), by
    address: a queryset, so a page of it is read from the database rather than everyone sorted in Python. Each
    carries their direct binding's id and role and whether they own the organisation (for access_of)."""
    bindings = WorkspaceRoleBinding.objects.filter(workspace=workspace)
    owners = OrganizationMembership.objects.filter(organization=workspace.organization_id, role=OrgRole.OWNER)
    via_teams = TeamMembership.objects.filter(team__workspace_bindings__workspace=workspace).values("user_id")
    direct = bindings.filter(user=OuterRef("pk"))
    return (
        User.objects.filter(
            Q(pk__in=bindings.filter(user__isnull=False).values("user_id"))
            | Q(pk__in=via_teams)
            | Q(pk__in=owners.values("user_id"))
        )
        .annotate(
            direct_id=Subquery(direct.values("pk")[:1]),
            direct_role=Subquery(direct.values("role")[:1]),
            org_owner=Exists(owners.filter(user=OuterRef("pk"))),
        )
        .order_by("email", "pk")
    )


def access_of(*, workspace: Workspace, users) -> list[Access]:
    """Where each of `users` (a page of people_with_access) gets their access from, in their order: the direct
    role and ownership come with the page's own query, the teams' roles in one more."""
    people = {}
    for user in users:
        direct = None
        if user.direct_id:
            direct = WorkspaceRoleBinding(pk=user.direct_id, workspace=workspace, user=user, role=user.direct_role)
        people[user.pk] = Access(user=user, direct=direct, org_owner=user.org_owner)
    memberships = TeamMembership.objects.filter(team__workspace_bindings__workspace=workspace, user_id__in=people)
    teams = memberships.order_by("team__name").values_list("user_id", "team__name", "team__workspace_bindings__role")
    for user_id, team, role in teams:
        people[user_id].via_teams.append((team, role))
    return list(people.values())


def team_bindings(*, workspace: Workspace):
    return (
        WorkspaceRoleBinding.objects.filter(workspace=workspace, team__isnull=False)
        .select_related("team")
        .annotate(member_count=Count("team__memberships"))
        .order_by("team__name")
    )


def _member_candidates(organization, workspace):
    return User.objects.filter(org_memberships__organization=organization).exclude(
        workspace_bindings__workspace=workspace
    )


def _team_candidates(organization, workspace):
    return Team.objects.filter(organization=organization).exclude(workspace_bindings__workspace=workspace)


def member_candidates(*, workspace: Workspace):
    """Organisation members who have no direct role on the workspace yet."""
    return _member_candidates(workspace.organization_id, workspace)


def team_candidates(*, workspace: Workspace):
    """Teams of the organisation without a role on the workspace yet."""
    return _team_candidates(workspace.organization_id, workspace)


def addable():
    """Whether anyone (member_candidates) or any team (team_candidates) may still be given a role on the workspace,
    as expressions over a workspace row: the page shows its pickers only then, and loads these with the workspace."""
    here = {"organization": OuterRef("organization"), "workspace": OuterRef("pk")}
    return {"has_candidates": Exists(_member_candidates(**here)), "has_teams": Exists(_team_candidates(**here))}


def workspace_for(actor, organization, pk, permission: str | None = None, annotations=None) -> Workspace:
    """A workspace of `organization` the actor can see (404 otherwise), then 403 below `permission`; with
    `annotations` (expressions over its row) as attributes."""
    from accounts.tenancy import get_for_actor

    workspaces = Workspace.objects.filter(organization=organization).select_related("organization")
    if annotations:
        workspaces = workspaces.annotate(**annotations)
    return get_for_actor(workspaces, actor, view_permission="workspace.view", permission=permission, pk=pk)
