"""What accounts asks of workspace role bindings (`accounts.workspace_bindings`), answered by the app that owns
them. Registered by `WorkspacesConfig.ready()`; each runs inside the accounts service that called it."""

from django.db.models import Q

from accounts.roles import WorkspaceRole, highest
from workspaces.models import WorkspaceRoleBinding


def _held_by(user) -> Q:
    return Q(user=user) | Q(team__memberships__user=user)


class Bindings:
    def roles_by_workspace(self, user):
        held = WorkspaceRoleBinding.objects.filter(_held_by(user)).values_list("workspace_id", "role").distinct()
        roles: dict[int, str] = {}
        for workspace_id, role in held:
            roles[workspace_id] = highest(WorkspaceRole, [roles.get(workspace_id), role])
        return roles

    def workspaces_where(self, user, roles):
        return WorkspaceRoleBinding.objects.filter(role__in=roles).filter(_held_by(user)).values("workspace")

    def grant(self, *, workspace, user, role):
        binding, created = WorkspaceRoleBinding.objects.select_for_update().get_or_create(
            workspace=workspace, user=user, defaults={"role": role}
        )
        if not created and binding.role != role:
            binding.role = highest(WorkspaceRole, [binding.role, role])
            binding.save(update_fields=["role"])

    def remove_all(self, *, organization, user):
        WorkspaceRoleBinding.objects.filter(workspace__organization=organization, user=user).delete()
