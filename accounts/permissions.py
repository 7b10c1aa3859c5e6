"""Who may do what: the one permission table, `can()`, and the query filter behind every `for_actor`.

A permission names the lowest role that grants it, on the organisation ladder (checked against the actor's
organisation role) or on the workspace ladder (checked against the actor's effective workspace role: the
highest of its direct binding and its teams' bindings; organisation owners own every workspace).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from accounts.roles import OrgRole, WorkspaceRole, at_least, highest

PERMISSIONS: dict[str, OrgRole | WorkspaceRole] = {
    "organization.view": OrgRole.MEMBER,
    "organization.leave": OrgRole.MEMBER,
    "organization.update": OrgRole.OWNER,
    "organization.manage_members": OrgRole.OWNER,
    "organization.view_audit": OrgRole.OWNER,
    "team.view": OrgRole.MEMBER,
    "team.manage": OrgRole.OWNER,
    "workspace.create": OrgRole.OWNER,
    "workspace.view": WorkspaceRole.MEMBER,
    "workspace.update": WorkspaceRole.OWNER,
    "workspace.delete": WorkspaceRole.OWNER,
    "workspace.manage_members": WorkspaceRole.OWNER,
    "sso.manage": OrgRole.OWNER,
    "token.manage_organization": OrgRole.OWNER,
    "token.manage_workspace": WorkspaceRole.OWNER,
    "cluster.view": OrgRole.MEMBER,
    "cluster.manage": OrgRole.OWNER,
    "deployment.view": WorkspaceRole.MEMBER,
    "deployment.create": WorkspaceRole.OPERATOR,
    "deployment.update": WorkspaceRole.OPERATOR,
    "deployment.delete": WorkspaceRole.OPERATOR,
    "deployment.reconcile": WorkspaceRole.OPERATOR,
    "deployment.manage_variables": WorkspaceRole.OPERATOR,
}


def _required(permission: str) -> OrgRole | WorkspaceRole:
    try:
        return PERMISSIONS[permission]
    except KeyError:
        raise ValueError(f"Unknown permission {permission!r}; add it to PERMISSIONS.") from None


def _authenticated(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active


def organization_of(obj):
    """The organisation an object belongs to (an Organization is its own)."""
    if hasattr(obj, "organization"):
        return obj.organization
    if hasattr(obj, "workspace"):
        return obj.workspace.organization
    return obj


def workspace_of(obj):
    return obj.workspace if hasattr(obj, "workspace") else obj


def org_role(actor, organization) -> str | None:
    if not _authenticated(actor):
        return None
    from accounts.models import OrganizationMembership

    return (
        OrganizationMembership.objects.filter(user=actor, organization=organization)
        .values_list("role", flat=True)
        .first()
    )


def workspace_role(actor, workspace) -> str | None:
    """The actor's effective role on a workspace, or None if it has none."""
    role = org_role(actor, workspace.organization_id)
    if role is None:
        return None
    if role == OrgRole.OWNER:
        return WorkspaceRole.OWNER
    from workspaces.models import WorkspaceRoleBinding

    roles = WorkspaceRoleBinding.objects.filter(workspace=workspace).filter(
        Q(user=actor) | Q(team__memberships__user=actor)
    )
    return highest(WorkspaceRole, roles.values_list("role", flat=True))


def can(actor, permission: str, obj) -> bool:
    required = _required(permission)
    if not _authenticated(actor):
        return False
    if actor.is_superuser:
        return True  # platform staff act through the admin site
    if isinstance(required, OrgRole):
        return org_role(actor, organization_of(obj)) in at_least(OrgRole, required)
    return workspace_role(actor, workspace_of(obj)) in at_least(WorkspaceRole, required)


def require(actor, permission: str, obj) -> None:
    if not can(actor, permission, obj):
        raise PermissionDenied(f"Your role does not allow {permission.replace('.', ': ').replace('_', ' ')}.")


def scope_q(actor, permission: str, *, organization_field: str, workspace_field: str | None = None) -> Q:
    """A filter for the rows of a tenant-owned model the actor may reach with `permission`.

    `organization_field` / `workspace_field` are the lookups from the model to its Organization's pk and
    (for workspace-scoped models) its Workspace's pk.
    """
    required = _required(permission)
    if not _authenticated(actor):
        return Q(pk__in=[])
    from accounts.models import OrganizationMembership

    def orgs_with(roles):
        return OrganizationMembership.objects.filter(user=actor, role__in=roles).values("organization")

    org_lookup = f"{organization_field}__in"
    if isinstance(required, OrgRole):
        return Q(**{org_lookup: orgs_with(at_least(OrgRole, required))})
    if workspace_field is None:
        raise ValueError(f"{permission!r} is a workspace permission; pass workspace_field.")
    from workspaces.models import WorkspaceRoleBinding

    bound = WorkspaceRoleBinding.objects.filter(role__in=at_least(WorkspaceRole, required)).filter(
        Q(user=actor) | Q(team__memberships__user=actor)
    )
    return Q(**{org_lookup: orgs_with(OrgRole.values)}) & (
        Q(**{org_lookup: orgs_with([OrgRole.OWNER])}) | Q(**{f"{workspace_field}__in": bound.values("workspace")})
    )
