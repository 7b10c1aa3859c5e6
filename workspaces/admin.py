"""The admin site for platform staff: workspaces and their role bindings, changed through `workspaces.services`
(the same role checks and audit entries as the pages and the API). It also adds the workspace columns to the
organisation and team lists of `accounts.admin`, which cannot import this app."""

from django.contrib import admin

from accounts.admin.organizations import OrganizationAdmin
from accounts.admin.teams import TeamAdmin
from accounts.models import Organization, OrganizationMembership, Team
from accounts.roles import WorkspaceRole
from aerodrome.admin_helpers import (
    BOTH_LOCATIONS,
    LockedOnChangeForm,
    ServiceBackedAdmin,
    UniqueNameInOrganizationForm,
    adopt,
    apply_each,
    changelist_link,
    fresh,
)
from aerodrome.subqueries import count_of
from workspaces import services
from workspaces.models import Workspace, WorkspaceRoleBinding


class WorkspaceForm(UniqueNameInOrganizationForm):
    class Meta:
        model = Workspace
        fields = ("organization", "name", "description")


class BindingForm(LockedOnChangeForm):
    """A role for one user or one team. Who holds it is fixed once saved: remove the row and add another."""

    locked_fields = ("user", "team")

    class Meta:
        model = WorkspaceRoleBinding
        fields = ("workspace", "user", "team", "role")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            return cleaned
        user, team = cleaned.get("user"), cleaned.get("team")
        if bool(user) == bool(team):
            self.add_error("user", "Choose a user or a team: one of them, not both.")
            return cleaned
        workspace = cleaned.get("workspace")
        if workspace is None or not workspace.organization_id:
            return cleaned  # a workspace being created: its organisation is checked with the workspace form
        organization = workspace.organization
        if user and not OrganizationMembership.objects.filter(organization=organization, user=user).exists():
            self.add_error("user", f"{user} is not a member of {organization}; add them to the organisation first.")
        if team and team.organization_id != organization.pk:
            self.add_error("team", f"The team {team} belongs to another organisation.")
        return cleaned


class BindingInline(admin.TabularInline):
    model = WorkspaceRoleBinding
    form = BindingForm
    fields = ("user", "team", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user", "team")
    extra = 0
    verbose_name_plural = "Members and teams"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "team", "workspace__organization")


@admin.register(Workspace)
class WorkspaceAdmin(ServiceBackedAdmin):
    form = WorkspaceForm
    list_display = ("name", "organization", "binding_count", "created_at")
    list_select_related = ("organization",)
    list_filter = ("organization",)
    search_fields = ("name", "description", "organization__name", "organization__slug")
    date_hierarchy = "created_at"
    autocomplete_fields = ("organization",)
    fields = ("organization", "name", "description", "created_at", "audit_trail")
    readonly_fields = ("created_at", "audit_trail")
    inlines = [BindingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(binding_count=count_of(WorkspaceRoleBinding, "workspace"))

    def get_readonly_fields(self, request, obj=None):
        # Moving a workspace to another organisation would strand its members' roles: not offered.
        return ("organization", *self.readonly_fields) if obj is not None else self.readonly_fields

    @admin.display(description="Members and teams", ordering="binding_count")
    def binding_count(self, workspace):
        return changelist_link(WorkspaceRoleBinding, workspace.binding_count, workspace__id__exact=workspace.pk)

    @admin.display(description="Audit trail")
    def audit_trail(self, workspace):
        from accounts.models import AuditEvent

        if workspace.pk is None:
            return "—"
        return changelist_link(
            AuditEvent, "Entries about this workspace", target_type="workspace", target_id=workspace.pk
        )

    def save_model(self, request, obj, form, change):
        if change:
            services.workspace_update(
                actor=request.user, workspace=fresh(obj), name=obj.name, description=obj.description
            )
        else:
            adopt(
                obj,
                services.workspace_create(
                    actor=request.user, organization=obj.organization, name=obj.name, description=obj.description
                ),
            )

    def save_formset(self, request, form, formset, change):
        actor, workspace = request.user, formset.instance
        new, changed, removed = [], [], []
        for binding_form in formset.initial_forms:
            if binding_form in formset.deleted_forms:
                binding = fresh(binding_form.instance)
                services.workspace_binding_remove(actor=actor, binding=binding)
                removed.append(binding)
            elif "role" in binding_form.changed_data:
                binding = services.workspace_binding_change_role(
                    actor=actor, binding=fresh(binding_form.instance), role=binding_form.cleaned_data["role"]
                )
                changed.append((binding, ["role"]))
        for binding_form in formset.extra_forms:
            if binding_form.has_changed() and binding_form not in formset.deleted_forms:
                new.append(_add_binding(actor, workspace, binding_form.cleaned_data))
        formset.new_objects, formset.changed_objects, formset.deleted_objects = new, changed, removed

    def delete_model(self, request, obj):
        # Staff confirm on Django's page; the service wants the name typed, which is the same confirmation.
        services.workspace_delete(actor=request.user, workspace=obj, confirm_name=obj.name)


def _add_binding(actor, workspace, data) -> WorkspaceRoleBinding:
    if data.get("user"):
        return services.workspace_member_add(actor=actor, workspace=workspace, user=data["user"], role=data["role"])
    return services.workspace_team_add(actor=actor, workspace=workspace, team=data["team"], role=data["role"])


def _set_role_action(role: WorkspaceRole):
    @admin.action(permissions=["change"], description=f"Set role: {role.label}", location=BOTH_LOCATIONS)
    def action(modeladmin, request, queryset):
        def change(binding):
            if binding.role == role:
                return False
            services.workspace_binding_change_role(actor=request.user, binding=binding, role=role)
            return True

        rows = queryset.select_related("workspace__organization", "user", "team")
        apply_each(modeladmin, request, rows, change, done=f"Set {{count}} {{items}} to {role.label}.")

    action.__name__ = f"set_role_{role.value.lower()}"
    return action


@admin.register(WorkspaceRoleBinding)
class WorkspaceRoleBindingAdmin(ServiceBackedAdmin):
    form = BindingForm
    list_display = ("subject", "workspace", "organization", "role", "created_at")
    list_select_related = ("workspace__organization", "user", "team")
    list_filter = ("role", "workspace__organization")
    search_fields = ("workspace__name", "user__email", "user__full_name", "team__name")
    autocomplete_fields = ("workspace", "user", "team")
    readonly_fields = ("created_at",)
    actions = ["delete_selected", *(_set_role_action(role) for role in WorkspaceRole)]

    def get_readonly_fields(self, request, obj=None):
        return ("workspace", "user", "team", "created_at") if obj is not None else self.readonly_fields

    @admin.display(description="Member or team")
    def subject(self, binding):
        return binding.user or f"team {binding.team}"

    @admin.display(description="Organisation", ordering="workspace__organization__name")
    def organization(self, binding):
        return binding.workspace.organization

    def save_model(self, request, obj, form, change):
        if change:
            services.workspace_binding_change_role(actor=request.user, binding=fresh(obj), role=obj.role)
        else:
            adopt(obj, _add_binding(request.user, obj.workspace, form.cleaned_data))

    def delete_model(self, request, obj):
        services.workspace_binding_remove(actor=request.user, binding=obj)


# --- Accounts' organisation and team lists, with the workspaces counted ------------------------------------------


class OrganizationWithWorkspacesAdmin(OrganizationAdmin):
    list_display = ("name", "slug", "owners", "member_count", "team_count", "workspace_count", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(workspace_count=count_of(Workspace, "organization"))

    @admin.display(description="Workspaces", ordering="workspace_count")
    def workspace_count(self, organization):
        return changelist_link(Workspace, organization.workspace_count, organization__id__exact=organization.pk)


class TeamWithWorkspacesAdmin(TeamAdmin):
    list_display = ("name", "organization", "member_count", "binding_count", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(binding_count=count_of(WorkspaceRoleBinding, "team"))

    @admin.display(description="Workspace roles", ordering="binding_count")
    def binding_count(self, team):
        return changelist_link(WorkspaceRoleBinding, team.binding_count, team__id__exact=team.pk)


for model, model_admin in ((Organization, OrganizationWithWorkspacesAdmin), (Team, TeamWithWorkspacesAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
