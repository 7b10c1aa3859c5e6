from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from accounts import permissions
from accounts.models import NAME_MAX_LENGTH, Organization, Team, User
from accounts.roles import WorkspaceRole


class WorkspaceQuerySet(models.QuerySet):
    def for_actor(self, actor, permission: str = "workspace.view"):
        return self.filter(self.model.tenancy.q(actor, permission))


class Workspace(models.Model):
    """A group of Deployments inside an organisation, with its own members."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="workspaces")
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    description = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceQuerySet.as_manager()
    tenancy = permissions.Tenancy(organization="organization", workspace="pk")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "organization", name="unique_workspace_name_per_org"),
        ]

    def __str__(self):
        return self.name


class WorkspaceRoleBinding(models.Model):
    """A workspace role held by one user or by one team (every member of it)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="bindings")
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="workspace_bindings")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="workspace_bindings")
    role = models.CharField(max_length=16, choices=WorkspaceRole.choices, default=WorkspaceRole.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True) | Q(user__isnull=True, team__isnull=False),
                name="binding_has_user_xor_team",
            ),
            models.UniqueConstraint(
                fields=["workspace", "user"], condition=Q(user__isnull=False), name="unique_user_binding"
            ),
            models.UniqueConstraint(
                fields=["workspace", "team"], condition=Q(team__isnull=False), name="unique_team_binding"
            ),
        ]

    def __str__(self):
        return f"{self.subject} is {self.get_role_display()} of {self.workspace}"

    @property
    def subject(self):
        return self.user or self.team
