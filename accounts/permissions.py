"""Who may do what: the one permission table, `can()`, and the query filter behind every `for_actor`.

A permission names the lowest role that grants it, on the organisation ladder (checked against the actor's
organisation role) or on the workspace ladder (checked against the actor's effective workspace role: the
highest of its direct binding and its teams' bindings; organisation owners own every workspace).

An actor is a user or an API token (`accounts.models.ApiToken`), which holds one role at one scope:
- an organisation token acts with its organisation role on its organisation only; an OWNER token owns every
  workspace of it (as organisation owners do), a MEMBER token holds no workspace role;
- a workspace token acts with its workspace role on its workspace only;
- a Deployment token acts with its workspace role on that one Deployment (its queues and variables) only, and
  only through the `deployment.*` permissions: it cannot list other Deployments, nor create one.
Workspace and Deployment tokens may also view their organisation and its clusters (to create Deployments), and
nothing else of the organisation. No token may do what only a person can (leave an organisation).

This module sits in the lowest app and imports none above it. Each tenant-owned model tells it where its rows sit
(`tenancy = Tenancy(...)`: the lookups to its organisation, workspace and Deployment), and the workspaces app,
which owns role bindings, answers which workspace roles a person holds (`accounts.workspace_bindings`).
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from accounts import workspace_bindings
from accounts.roles import OrgRole, WorkspaceRole, at_least

PERMISSIONS: dict[str, OrgRole | WorkspaceRole] = {
    "organization.view": OrgRole.MEMBER,
    "organization.view_members": OrgRole.MEMBER,
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
    # Alerts (monitoring/alerts): everyone in the workspace sees rules, history and silences; authors write rules,
    # acknowledge alerts and set silences; turning a built-in incident rule off is a Deployment setting.
    "alert.view": WorkspaceRole.MEMBER,
    "alert.manage": WorkspaceRole.AUTHOR,
    "deployment.deploy": WorkspaceRole.AUTHOR,  # image and DAG deploys, rollbacks (deployments/deploys)
    "channel.view": WorkspaceRole.MEMBER,
    "channel.manage": WorkspaceRole.AUTHOR,
    # A workspace's image registry credentials (deployments/deploys): members see which registries have some (host,
    # username, who set them), operators set and delete them, as they already choose the image and the secret
    # variables of every Deployment. Passwords are write-only for everyone.
    "registry_credential.view": WorkspaceRole.MEMBER,
    "registry_credential.manage": WorkspaceRole.OPERATOR,
}

# What a workspace or Deployment token may do at its organisation's level (see the module's docstring).
SCOPED_TOKEN_ORG_PERMISSIONS = frozenset({"organization.view", "cluster.view"})
# Only people: a token is no member, so it cannot leave.
PERSONAL_PERMISSIONS = frozenset({"organization.leave"})


def _required(permission: str) -> OrgRole | WorkspaceRole:
    try:
        return PERMISSIONS[permission]
    except KeyError:
        raise ValueError(f"Unknown permission {permission!r}; add it to PERMISSIONS.") from None


def _authenticated(actor) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return not (is_token(actor) and actor.is_expired)


def is_token(actor) -> bool:
    """Whether the actor is an API token rather than a person."""
    meta = getattr(actor, "_meta", None)
    return meta is not None and meta.label == "accounts.ApiToken"


def acting_user(actor):
    """The person to put in a User column such as `created_by`: a user is itself, a token stands for its creator
    (who may be gone: None), anything else (anonymous, the system) is None."""
    if is_token(actor):
        return actor.created_by
    from accounts.models import User

    return actor if isinstance(actor, User) and actor.pk else None


@dataclass(frozen=True)
class Tenancy:
    """Where the rows of a tenant-owned model sit, declared by the model as `tenancy = Tenancy(...)`: the lookups
    from it to its Organization, its Workspace and its Deployment (`"pk"` for the thing itself, None for what it
    does not belong to). `scope_q` filters rows along them; `can` follows them from one object."""

    organization: str
    workspace: str | None = None
    deployment: str | None = None

    def q(self, actor, permission: str) -> Q:
        """The filter for the rows the actor may reach with `permission` (see `scope_q`)."""
        return scope_q(
            actor,
            permission,
            organization_field=self.organization,
            workspace_field=self.workspace,
            deployment_field=self.deployment,
        )


def _tenancy(obj) -> Tenancy:
    tenancy = getattr(obj, "tenancy", None)
    if not isinstance(tenancy, Tenancy):
        raise TypeError(f"{type(obj).__name__} declares no `tenancy`; permissions cannot tell whose it is.")
    return tenancy


def _follow(obj, lookup: str | None):
    """What `lookup` ("pk", "workspace", "deployment__workspace"...) reaches from `obj`, or None."""
    if lookup is None:
        return None
    if lookup == "pk":
        return obj
    for name in lookup.split("__"):
        obj = getattr(obj, name)
        if obj is None:
            return None
    return obj


def organization_of(obj):
    """The organisation an object belongs to (an Organization is its own; None has none)."""
    return None if obj is None else _follow(obj, _tenancy(obj).organization)


def workspace_of(obj):
    workspace = _follow(obj, _tenancy(obj).workspace)
    if workspace is None:
        raise ValueError(f"{type(obj).__name__} belongs to no workspace; check an organisation permission on it.")
    return workspace


def deployment_of(obj):
    """The Deployment an object is (or belongs to: a worker queue, a variable), else None."""
    return _follow(obj, _tenancy(obj).deployment)


# Role lookups remembered for one request (`remembering_roles()`, entered by `accounts.middleware`): a page asks
# the same "which role does this person hold here" of every control it offers. Forgotten by any write to a model a
# role comes from (memberships, bindings, teams: `forget_roles`, connected in accounts' AppConfig.ready()), so a
# request that changes a role and then checks one sees the change. Outside a request (tasks, shells, tests calling
# services) nothing is remembered.
_remembered: ContextVar[dict | None] = ContextVar("remembered_roles", default=None)


@contextmanager
def remembering_roles():
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def forget_roles(**_) -> None:
    """Drops what the current request remembered (a signal receiver, also called after bulk writes)."""
    memo = _remembered.get()
    if memo:
        memo.clear()


def _remember(key: tuple, lookup):
    memo = _remembered.get()
    if memo is None:
        return lookup()
    if key not in memo:
        memo[key] = lookup()
    return memo[key]


def person_organizations(actor) -> list:
    """The organisations a person belongs to, by name, each with their role in it (`actor_role`) and its number of
    workspaces (`workspace_count`, which the switcher shows). Within a request, read once: every page needs them
    (its organisation, the roles its checks ask, the navigation), so they come in one query."""
    from django.db.models import Count, F

    from accounts.models import Organization

    if not _authenticated(actor) or is_token(actor):
        return []
    organizations = (
        Organization.objects.filter(memberships__user=actor)
        .annotate(actor_role=F("memberships__role"), workspace_count=Count("workspaces"))
        .order_by("name")
    )
    return _remember(("orgs", actor.pk), lambda: list(organizations))


def org_role(actor, organization) -> str | None:
    if not _authenticated(actor):
        return None
    organization_id = getattr(organization, "pk", organization)
    if is_token(actor):
        # Only an organisation token holds a role on its organisation (others only view it, see `can`).
        if actor.scope == "ORGANIZATION" and organization_id == actor.organization_id:
            return actor.role
        return None
    return _org_roles(actor).get(organization_id)


def _org_roles(actor) -> dict[int, str]:
    """The person's role in each of their organisations."""
    return {organization.pk: organization.actor_role for organization in person_organizations(actor)}


def _workspace_roles(actor) -> dict[int, str]:
    """The person's highest role through bindings (direct or a team's) on each workspace; read once per request."""
    return _remember(("workspaces", actor.pk), lambda: workspace_bindings.provider().roles_by_workspace(actor))


def workspace_role(actor, workspace) -> str | None:
    """The actor's effective role on a workspace, or None if it has none."""
    if is_token(actor):
        return _token_workspace_role(actor, workspace)
    role = org_role(actor, workspace.organization_id)
    if role is None:
        return None
    if role == OrgRole.OWNER:
        return WorkspaceRole.OWNER
    return _workspace_roles(actor).get(workspace.pk)


def _token_workspace_role(token, workspace) -> str | None:
    if not _authenticated(token):
        return None
    scope = token.scope
    if scope == "ORGANIZATION":
        owns = token.role == OrgRole.OWNER and workspace.organization_id == token.organization_id
        return WorkspaceRole.OWNER if owns else None
    if scope == "WORKSPACE" and workspace.pk == token.workspace_id:
        return token.role
    return None  # a Deployment token holds no role on the workspace itself


def deployment_role(actor, deployment) -> str | None:
    """The actor's role on one Deployment: its workspace role, or a Deployment token's own role on it."""
    if is_token(actor) and actor.scope == "DEPLOYMENT":
        return actor.role if _authenticated(actor) and deployment.pk == actor.deployment_id else None
    return workspace_role(actor, deployment.workspace)


def can(actor, permission: str, obj) -> bool:
    required = _required(permission)
    if not _authenticated(actor):
        return False
    if actor.is_superuser:
        return True  # platform staff act through the admin site
    scope = actor.scope if is_token(actor) else None  # ApiToken.Scope for a token
    if scope and permission in PERSONAL_PERMISSIONS:
        return False
    if isinstance(required, OrgRole):
        organization = organization_of(obj)
        if scope in ("WORKSPACE", "DEPLOYMENT"):
            same = getattr(organization, "pk", organization) == actor.organization_id
            return same and permission in SCOPED_TOKEN_ORG_PERMISSIONS
        return org_role(actor, organization) in at_least(OrgRole, required)
    deployment = deployment_of(obj)
    if scope == "DEPLOYMENT" and (deployment is None or not permission.startswith("deployment.")):
        return False
    role = deployment_role(actor, deployment) if deployment is not None else workspace_role(actor, workspace_of(obj))
    return role in at_least(WorkspaceRole, required)


def require(actor, permission: str, obj) -> None:
    if not can(actor, permission, obj):
        raise PermissionDenied(f"Your role does not allow {permission.replace('.', ': ').replace('_', ' ')}.")


NOTHING = Q(pk__in=[])


def scope_q(
    actor,
    permission: str,
    *,
    organization_field: str,
    workspace_field: str | None = None,
    deployment_field: str | None = None,
) -> Q:
    """A filter for the rows of a tenant-owned model the actor may reach with `permission`.

    `organization_field` / `workspace_field` / `deployment_field` are the lookups from the model to its
    Organization's pk, (for workspace-scoped models) its Workspace's pk and (for models of one Deployment) its
    Deployment's pk. Without `deployment_field`, Deployment tokens reach no row of the model.
    """
    required = _required(permission)
    if not _authenticated(actor):
        return NOTHING
    if is_token(actor):
        return _token_scope_q(actor, permission, required, organization_field, workspace_field, deployment_field)
    if not isinstance(required, OrgRole) and workspace_field is None:
        raise ValueError(f"{permission!r} is a workspace permission; pass workspace_field.")
    org_lookup, workspace_lookup = f"{organization_field}__in", f"{workspace_field}__in"
    if _remembered.get() is not None:
        # Within a request, the ids the person reaches, read once: every query of the page filters on the same
        # short lists instead of planning and running the same membership and binding subqueries again.
        org_roles = _org_roles(actor)
        if isinstance(required, OrgRole):
            return Q(**{org_lookup: sorted(o for o, role in org_roles.items() if role in at_least(OrgRole, required))})
        owned = sorted(o for o, role in org_roles.items() if role == OrgRole.OWNER)
        if len(owned) == len(org_roles):  # owners own every workspace: their bindings add nothing
            return Q(**{org_lookup: owned})
        roles = at_least(WorkspaceRole, required)
        bound = sorted(w for w, role in _workspace_roles(actor).items() if role in roles)
        return Q(**{org_lookup: owned}) | (Q(**{org_lookup: sorted(org_roles)}) & Q(**{workspace_lookup: bound}))
    from accounts.models import OrganizationMembership

    def orgs_with(roles):
        return OrganizationMembership.objects.filter(user=actor, role__in=roles).values("organization")

    if isinstance(required, OrgRole):
        return Q(**{org_lookup: orgs_with(at_least(OrgRole, required))})
    bound = workspace_bindings.provider().workspaces_where(actor, at_least(WorkspaceRole, required))
    return Q(**{org_lookup: orgs_with(OrgRole.values)}) & (
        Q(**{org_lookup: orgs_with([OrgRole.OWNER])}) | Q(**{workspace_lookup: bound})
    )


def _token_scope_q(token, permission, required, organization_field, workspace_field, deployment_field) -> Q:
    """`scope_q` for an API token: the rows of its one organisation, workspace or Deployment, by its role."""
    if permission in PERSONAL_PERMISSIONS:
        return NOTHING
    scope = token.scope
    own_org = Q(**{organization_field: token.organization_id})
    if isinstance(required, OrgRole):
        if scope == "ORGANIZATION":
            return own_org if token.role in at_least(OrgRole, required) else NOTHING
        return own_org if permission in SCOPED_TOKEN_ORG_PERMISSIONS else NOTHING
    if workspace_field is None:
        raise ValueError(f"{permission!r} is a workspace permission; pass workspace_field.")
    if scope == "ORGANIZATION":
        return own_org if token.role == OrgRole.OWNER else NOTHING  # organisation owners own every workspace
    if token.role not in at_least(WorkspaceRole, required):
        return NOTHING
    if scope == "WORKSPACE":
        return own_org & Q(**{workspace_field: token.workspace_id})
    if deployment_field is None or not permission.startswith("deployment."):
        return NOTHING
    return own_org & Q(**{deployment_field: token.deployment_id})
