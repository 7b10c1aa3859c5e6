"""Teams and their members in the admin, changed through `accounts.services` (the same checks and audit entries as
the pages)."""

from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from accounts import services
from accounts.admin.common import save_formset_result
from accounts.models import OrganizationMembership, Team, TeamMembership
from aerodrome.admin_helpers import (
    LockedOnChangeForm,
    ServiceBackedAdmin,
    UniqueNameInOrganizationForm,
    adopt,
    changelist_link,
    fresh,
)
from aerodrome.subqueries import count_of


class TeamForm(UniqueNameInOrganizationForm):
    class Meta:
        model = Team
        fields = ("organization", "name", "description")


class TeamInlineFormSet(BaseInlineFormSet):
    """Team names are unique in an organisation whatever their case, within one submission too."""

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            name = (getattr(form, "cleaned_data", None) or {}).get("name")
            if not name or form in self.deleted_forms:
                continue
            if name.casefold() in seen:
                form.add_error("name", f"Another row here is also named “{name}”.")
            seen.add(name.casefold())


class TeamInline(admin.TabularInline):
    model = Team
    form = TeamForm
    formset = TeamInlineFormSet
    fields = ("name", "description", "member_count", "created_at")
    readonly_fields = ("member_count", "created_at")
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=count_of(TeamMembership, "team"))

    @admin.display(description="Members")
    def member_count(self, team):
        return getattr(team, "member_count", None) if team.pk else "—"


def _team_member_error(team, user) -> str | None:
    if team is None or not team.organization_id or user is None:
        return None
    if not OrganizationMembership.objects.filter(organization_id=team.organization_id, user=user).exists():
        return f"{user} is not a member of {team.organization}; add them to the organisation first."
    return None


class TeamMembershipForm(LockedOnChangeForm):
    locked_fields = ("team", "user")

    class Meta:
        model = TeamMembership
        fields = ("team", "user")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            error = _team_member_error(cleaned.get("team"), cleaned.get("user"))
            if error:
                self.add_error("user", error)
        return cleaned


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    form = TeamMembershipForm
    fields = ("user", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    extra = 0
    verbose_name_plural = "Members"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "team__organization")


@admin.register(Team)
class TeamAdmin(ServiceBackedAdmin):
    form = TeamForm
    list_display = ("name", "organization", "member_count", "created_at")  # + workspaces.admin
    list_select_related = ("organization",)
    list_filter = ("organization",)
    search_fields = ("name", "organization__name", "organization__slug")
    autocomplete_fields = ("organization",)
    readonly_fields = ("created_at",)
    inlines = [TeamMembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=count_of(TeamMembership, "team"))

    def get_readonly_fields(self, request, obj=None):
        return ("organization", "created_at") if obj is not None else self.readonly_fields

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, team):
        return changelist_link(TeamMembership, team.member_count, team__id__exact=team.pk)

    def save_model(self, request, obj, form, change):
        if change:
            services.team_update(actor=request.user, team=fresh(obj), name=obj.name, description=obj.description)
        else:
            adopt(
                obj,
                services.team_create(
                    actor=request.user, organization=obj.organization, name=obj.name, description=obj.description
                ),
            )

    def save_formset(self, request, form, formset, change):
        actor, team = request.user, formset.instance
        new, removed = [], []
        for membership_form in formset.initial_forms:
            if membership_form in formset.deleted_forms:
                membership = fresh(membership_form.instance)
                services.team_member_remove(actor=actor, membership=membership)
                removed.append(membership)
        for membership_form in formset.extra_forms:
            if membership_form.has_changed() and membership_form not in formset.deleted_forms:
                new.append(services.team_member_add(actor=actor, team=team, user=membership_form.cleaned_data["user"]))
        save_formset_result(formset, new, [], removed)

    def delete_model(self, request, obj):
        services.team_delete(actor=request.user, team=obj)


@admin.register(TeamMembership)
class TeamMembershipAdmin(ServiceBackedAdmin):
    form = TeamMembershipForm
    list_display = ("user", "team", "organization", "created_at")
    list_select_related = ("user", "team__organization")
    list_filter = ("team__organization",)
    search_fields = ("user__email", "user__full_name", "team__name", "team__organization__name")
    autocomplete_fields = ("team", "user")
    readonly_fields = ("created_at",)

    def get_readonly_fields(self, request, obj=None):
        return ("team", "user", "created_at") if obj is not None else self.readonly_fields

    @admin.display(description="Organisation", ordering="team__organization__name")
    def organization(self, membership):
        return membership.team.organization

    def save_model(self, request, obj, form, change):
        if not change:  # an existing membership has nothing to edit
            adopt(obj, services.team_member_add(actor=request.user, team=obj.team, user=obj.user))

    def delete_model(self, request, obj):
        services.team_member_remove(actor=request.user, membership=obj)
