"""Writes for workspaces and their role bindings. Each checks the actor's role and writes an audit entry."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import audit
from accounts.models import Organization, OrganizationMembership, Team, User
from accounts.permissions import require
from accounts.roles import WorkspaceRole
from aerodrome.validation import ErrorCollector, clean_role, clean_unique_name
from workspaces.models import Workspace, WorkspaceRoleBinding


@transaction.atomic
def workspace_create(*, actor: User, organization: Organization, name: str, description: str = "") -> Workspace:
    require(actor, "workspace.create", organization)
    name = clean_unique_name(Workspace, organization=organization, name=name)
    workspace = Workspace.objects.create(
        organization=organization, name=name, description=(description or "").strip()[:500]
    )
    audit.record(actor=actor, action="workspace.create", target=workspace, organization=organization)
    return workspace


@transaction.atomic
def workspace_update(*, actor: User, workspace: Workspace, name: str, description: str = "") -> Workspace:
    require(actor, "workspace.update", workspace)
    name = clean_unique_name(Workspace, organization=workspace.organization, name=name, exclude_pk=workspace.pk)
    description = (description or "").strip()[:500]
    before = {"name": workspace.name, "description": workspace.description}
    workspace.name, workspace.description = name, description
    workspace.save(update_fields=["name", "description"])
    audit.record(
        actor=actor,
        action="workspace.update",
        target=workspace,
        organization=workspace.organization,
        changes=audit.diff(before, {"name": name, "description": description}),
    )
    return workspace


@transaction.atomic
def workspace_delete(*, actor: User, workspace: Workspace, confirm_name: str) -> None:
    require(actor, "workspace.delete", workspace)
    if (confirm_name or "").strip() != workspace.name:
        raise ValidationError({"confirm_name": f"Type the workspace's name, “{workspace.name}”, to delete it."})
    # Its Deployments' records drive their teardown: deleting them with the workspace would orphan their
    # namespaces and metadata databases.
    remaining = workspace.deployments.exclude(status="DELETED").count()
    if remaining:
        raise ValidationError(
            {"confirm_name": f"{remaining} Deployment(s) still run here or are being torn down; delete them first."}
        )
    audit.record(actor=actor, action="workspace.delete", target=workspace, organization=workspace.organization)
    workspace.delete()


@transaction.atomic
def workspace_member_add(*, actor: User, workspace: Workspace, user: User, role: str) -> WorkspaceRoleBinding:
    """Gives an existing organisation member a direct role on the workspace."""
    require(actor, "workspace.manage_members", workspace)
    errors = ErrorCollector()
    role = errors.check(clean_role, WorkspaceRole, role)
    if not OrganizationMembership.objects.filter(organization=workspace.organization_id, user=user).exists():
        errors.add("user", f"{user} is not a member of {workspace.organization}.")
    elif WorkspaceRoleBinding.objects.filter(workspace=workspace, user=user).exists():
        errors.add("user", f"{user} is already a member of this workspace; change their role instead.")
    errors.raise_if_any()
    binding = WorkspaceRoleBinding.objects.create(workspace=workspace, user=user, role=role)
    audit.record(
        actor=actor,
        action="workspace.member_add",
        target=workspace,
        organization=workspace.organization,
        changes={"member": user.email, "role": [None, role]},
    )
    return binding


@transaction.atomic
def workspace_team_add(*, actor: User, workspace: Workspace, team: Team, role: str) -> WorkspaceRoleBinding:
    """Gives every member of a team a role on the workspace."""
    require(actor, "workspace.manage_members", workspace)
    errors = ErrorCollector()
    role = errors.check(clean_role, WorkspaceRole, role)
    if team.organization_id != workspace.organization_id:
        errors.add("team", "That team belongs to another organisation.")
    elif WorkspaceRoleBinding.objects.filter(workspace=workspace, team=team).exists():
        errors.add("team", f"The team {team} already has a role here; change it instead.")
    errors.raise_if_any()
    binding = WorkspaceRoleBinding.objects.create(workspace=workspace, team=team, role=role)
    audit.record(
        actor=actor,
        action="workspace.team_add",
        target=workspace,
        organization=workspace.organization,
        changes={"team": team.name, "role": [None, role]},
    )
    return binding


def _subject_label(binding: WorkspaceRoleBinding) -> dict:
    return {"member": binding.user.email} if binding.user_id else {"team": binding.team.name}


@transaction.atomic
def workspace_binding_change_role(*, actor: User, binding: WorkspaceRoleBinding, role: str) -> WorkspaceRoleBinding:
    workspace = binding.workspace
    require(actor, "workspace.manage_members", workspace)
    role = clean_role(WorkspaceRole, role)
    if role == binding.role:
        return binding
    before = binding.role
    binding.role = role
    binding.save(update_fields=["role"])
    audit.record(
        actor=actor,
        action="workspace.role_change",
        target=workspace,
        organization=workspace.organization,
        changes={**_subject_label(binding), "role": [before, role]},
    )
    return binding


@transaction.atomic
def workspace_binding_remove(*, actor: User, binding: WorkspaceRoleBinding) -> None:
    workspace = binding.workspace
    require(actor, "workspace.manage_members", workspace)
    binding.delete()
    audit.record(
        actor=actor,
        action="workspace.member_remove",
        target=workspace,
        organization=workspace.organization,
        changes={**_subject_label(binding), "role": [binding.role, None]},
    )
