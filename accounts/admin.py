"""The admin site for platform staff: users, organisations, teams, memberships and the audit trail.

Changes go through `accounts.services` (which check the actor's role with `permissions.can`, where superusers
may do anything, and write the audit entry), so the admin keeps the same rules as the pages: an organisation
never loses its last owner, and every change leaves an audit entry.
"""

import json
from collections import defaultdict

from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html, format_html_join

from accounts import audit, services
from accounts.models import AuditEvent, Organization, OrganizationMembership, Team, TeamMembership, User
from accounts.permissions import require
from accounts.roles import OrgRole
from aerodrome.admin_helpers import (
    BOTH_LOCATIONS,
    LockedOnChangeForm,
    ServiceBackedAdmin,
    UniqueNameInOrganizationForm,
    adopt,
    apply_each,
    changelist_link,
    count_of,
    fresh,
)

LAST_OWNER = "This is the organisation's last owner. Make someone else an owner first."


def last_owner_refusals(memberships) -> list[str]:
    """Why removing these memberships (all at once) would leave an organisation without an owner; [] if not."""
    leaving = defaultdict(list)
    for membership in memberships:
        if membership.role == OrgRole.OWNER:
            leaving[membership.organization_id].append(membership)
    refusals = []
    for organization_id, owners in leaving.items():
        others = OrganizationMembership.objects.filter(organization_id=organization_id, role=OrgRole.OWNER)
        if not others.exclude(pk__in=[m.pk for m in owners]).exists():
            names = ", ".join(str(m.user) for m in owners)
            refusals.append(
                f"{owners[0].organization} would be left without an owner ({names}). Make someone else an owner first."
            )
    return refusals


# --- Users -----------------------------------------------------------------------------------------------------


def _clean_unique_email(form) -> str:
    email = User.objects.normalize_email(form.cleaned_data.get("email") or "").strip().lower()
    if User.objects.filter(email__iexact=email).exclude(pk=form.instance.pk).exists():
        raise ValidationError("Someone already has an account with this email address.")
    return email


class UserCreationForm(AdminUserCreationForm):
    """Email and the password twice (or no password, for people who sign in through SSO)."""

    class Meta:
        model = User
        fields = ("email", "full_name")

    clean_email = _clean_unique_email


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    clean_email = _clean_unique_email


class UserMembershipInline(admin.TabularInline):
    """The user's organisations, read-only: roles change on the organisation (where the last-owner rule holds)."""

    model = OrganizationMembership
    fk_name = "user"
    fields = ("organization", "role", "created_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    verbose_name_plural = "Organisation memberships (change them on the organisation)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization", "user")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InOrganizationFilter(admin.SimpleListFilter):
    title = "organisation membership"
    parameter_name = "in_organization"

    def lookups(self, request, model_admin):
        return [("yes", "In an organisation"), ("no", "In no organisation")]

    def queryset(self, request, queryset):
        member = Exists(OrganizationMembership.objects.filter(user=OuterRef("pk")))
        if self.value() == "yes":
            return queryset.filter(member)
        if self.value() == "no":
            return queryset.exclude(member)
        return queryset


AUDITED_USER_FIELDS = ("email", "full_name", "is_active", "is_staff", "is_superuser")


@admin.register(User)
class UserAdmin(ServiceBackedAdmin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
        ("Elsewhere", {"fields": ("audit_trail",)}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "usable_password", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined", "audit_trail")
    list_display = (
        "email",
        "full_name",
        "is_staff",
        "is_superuser",
        "is_active",
        "date_joined",
        "last_login",
        "organization_count",
    )
    list_filter = ("is_staff", "is_superuser", "is_active", InOrganizationFilter, "groups")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    date_hierarchy = "date_joined"
    inlines = [UserMembershipInline]
    actions = ["delete_selected", "deactivate", "activate"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(organization_count=count_of(OrganizationMembership, "user"))

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []  # a new user has no roles

    @admin.display(description="Organisations", ordering="organization_count")
    def organization_count(self, user):
        return changelist_link(OrganizationMembership, user.organization_count, user__id__exact=user.pk)

    @admin.display(description="Audit trail")
    def audit_trail(self, user):
        if user.pk is None:
            return "—"
        return format_html(
            "{} · {}",
            changelist_link(AuditEvent, "What this user did", actor__id__exact=user.pk),
            changelist_link(AuditEvent, "Entries mentioning this user", q=user.email),
        )

    def save_model(self, request, obj, form, change):
        # No service owns user accounts; the admin writes their audit entries itself.
        super().save_model(request, obj, form, change)
        if not change:
            audit.record(actor=request.user, action="user.create", target=obj)
            return
        fields = [name for name in AUDITED_USER_FIELDS if name in form.changed_data]
        changes = audit.diff({f: form.initial.get(f) for f in fields}, {f: getattr(obj, f) for f in fields})
        if changes:
            audit.record(actor=request.user, action="user.update", target=obj, changes=changes)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302 and response.url != request.get_full_path():
            user = User.objects.get(pk=id)
            state = "set" if user.has_usable_password() else "disabled"
            audit.record(actor=request.user, action="user.password_change", target=user, changes={"password": state})
        return response

    def delete_refusals(self, request, objs):
        owners = OrganizationMembership.objects.filter(user__in=objs, role=OrgRole.OWNER)
        return last_owner_refusals(owners.select_related("organization", "user"))

    def delete_model(self, request, obj):
        with transaction.atomic():
            organizations = list(obj.organizations.values_list("slug", flat=True))
            audit.record(actor=request.user, action="user.delete", target=obj, changes={"organizations": organizations})
            obj.delete()

    def _set_active(self, request, queryset, active: bool):
        def change(user):
            if user.is_active == active or (user.pk == request.user.pk and not active):
                return False
            user.is_active = active
            user.save(update_fields=["is_active"])
            audit.record(
                actor=request.user, action="user.update", target=user, changes={"is_active": [not active, active]}
            )
            return True

        done = ("Activated" if active else "Deactivated") + " {count} {items}."
        apply_each(self, request, queryset, change, done=done)

    @admin.action(permissions=["change"], description="Deactivate selected users (they can no longer sign in)")
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(permissions=["change"], description="Activate selected users")
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)


# --- Organisations ---------------------------------------------------------------------------------------------


class MembershipForm(LockedOnChangeForm):
    locked_fields = ("user",)
    # On its own page a membership is checked against the stored owners; in the organisation's inline the
    # formset checks the owners the whole submission leaves (so two members can swap roles in one save).
    check_last_owner = True

    class Meta:
        model = OrganizationMembership
        fields = ("organization", "user", "role")

    def clean(self):
        cleaned = super().clean()
        user, role = cleaned.get("user"), cleaned.get("role")
        if self.instance.pk is None and user is not None and not user.is_active:
            self.add_error("user", f"{user} is deactivated; activate the account before adding it.")
        if (
            self.check_last_owner
            and self.instance.pk is not None
            and self.initial.get("role") == OrgRole.OWNER
            and role
            and role != OrgRole.OWNER
            and not OrganizationMembership.objects.filter(
                organization_id=self.instance.organization_id, role=OrgRole.OWNER
            )
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("role", LAST_OWNER)
        return cleaned


class MembershipInlineFormSet(BaseInlineFormSet):
    """An organisation's members as edited on its page: it must keep at least one owner."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        owners = 0
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form in self.deleted_forms:
                continue
            owners += form.cleaned_data.get("role") == OrgRole.OWNER
        if not owners:
            if self.instance.pk and self.instance.memberships.filter(role=OrgRole.OWNER).exists():
                raise ValidationError(
                    f"{self.instance} must keep at least one owner. "
                    "Make someone else an owner before you demote or remove the last one.",
                    code="last_owner",
                )
            raise ValidationError("An organisation needs at least one owner: add one.", code="no_owner")


class MembershipInlineForm(MembershipForm):
    check_last_owner = False


class MembershipInline(admin.TabularInline):
    model = OrganizationMembership
    form = MembershipInlineForm
    formset = MembershipInlineFormSet
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    extra = 0
    verbose_name_plural = "Members"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "organization")


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


class OwnerFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "has_owner"

    def lookups(self, request, model_admin):
        return [("yes", "Has an owner"), ("no", "Has no owner")]

    def queryset(self, request, queryset):
        owned = Exists(OrganizationMembership.objects.filter(organization=OuterRef("pk"), role=OrgRole.OWNER))
        if self.value() == "yes":
            return queryset.filter(owned)
        if self.value() == "no":
            return queryset.exclude(owned)
        return queryset


def _save_formset_result(formset, new, changed, deleted):
    """What `formset.save()` would have left behind, for the admin's change message."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = new, changed, deleted


@admin.register(Organization)
class OrganizationAdmin(ServiceBackedAdmin):
    list_display = ("name", "slug", "owners", "member_count", "team_count", "workspace_count", "created_at")
    search_fields = ("name", "slug", "memberships__user__email")
    list_filter = (OwnerFilter,)
    date_hierarchy = "created_at"
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "created_at", "audit_trail")
    readonly_fields = ("created_at", "audit_trail")
    inlines = [MembershipInline, TeamInline]

    def get_queryset(self, request):
        from workspaces.models import Workspace

        owners = OrganizationMembership.objects.filter(role=OrgRole.OWNER).select_related("user")
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=count_of(OrganizationMembership, "organization"),
                team_count=count_of(Team, "organization"),
                workspace_count=count_of(Workspace, "organization"),
            )
            .prefetch_related(Prefetch("memberships", queryset=owners, to_attr="owner_memberships"))
        )

    @admin.display(description="Owners")
    def owners(self, organization):
        return ", ".join(str(m.user) for m in organization.owner_memberships) or "— none —"

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, organization):
        return changelist_link(
            OrganizationMembership, organization.member_count, organization__id__exact=organization.pk
        )

    @admin.display(description="Teams", ordering="team_count")
    def team_count(self, organization):
        return changelist_link(Team, organization.team_count, organization__id__exact=organization.pk)

    @admin.display(description="Workspaces", ordering="workspace_count")
    def workspace_count(self, organization):
        from workspaces.models import Workspace

        return changelist_link(Workspace, organization.workspace_count, organization__id__exact=organization.pk)

    @admin.display(description="Audit trail")
    def audit_trail(self, organization):
        if organization.pk is None:
            return "—"
        return changelist_link(AuditEvent, "This organisation's audit trail", organization__id__exact=organization.pk)

    def save_model(self, request, obj, form, change):
        if not change:
            # `services.organization_create` makes the actor the first owner, which is wrong for staff creating an
            # organisation for someone else: save it, and its owners come from the members inline.
            obj.save()
            audit.record(actor=request.user, action="organization.create", target=obj, organization=obj)
            return
        stored = fresh(obj)
        if "name" in form.changed_data:
            services.organization_update(actor=request.user, organization=stored, name=obj.name)
        others = [name for name in form.changed_data if name != "name"]
        if others:  # the slug: no service changes it (the pages never do)
            require(request.user, "organization.update", stored)
            obj.save(update_fields=others)
            audit.record(
                actor=request.user,
                action="organization.update",
                target=obj,
                organization=obj,
                changes=audit.diff({f: getattr(stored, f) for f in others}, {f: getattr(obj, f) for f in others}),
            )

    def save_formset(self, request, form, formset, change):
        if formset.model is OrganizationMembership:
            self._save_memberships(request, formset)
        elif formset.model is Team:
            self._save_teams(request, formset)
        else:  # pragma: no cover - every inline here is handled above
            super().save_formset(request, form, formset, change)

    def _save_memberships(self, request, formset):
        actor, organization = request.user, formset.instance
        promotions, demotions, removals, new, changed = [], [], [], [], []
        for form in formset.initial_forms:
            if form in formset.deleted_forms:
                removals.append(fresh(form.instance))
            elif "role" in form.changed_data:
                role = form.cleaned_data["role"]
                (promotions if role == OrgRole.OWNER else demotions).append((fresh(form.instance), role))
        for form in formset.extra_forms:
            if form.has_changed() and form not in formset.deleted_forms:
                new.append(
                    services.organization_member_add(
                        actor=actor,
                        organization=organization,
                        email=form.cleaned_data["user"].email,
                        role=form.cleaned_data["role"],
                    )
                )
        # Promotions before demotions and removals, so the organisation is never ownerless in between.
        for membership, role in promotions + demotions:
            services.organization_member_change_role(actor=actor, membership=membership, role=role)
            changed.append((membership, ["role"]))
        for membership in removals:
            services.organization_member_remove(actor=actor, membership=membership)
        _save_formset_result(formset, new, changed, removals)

    def _save_teams(self, request, formset):
        actor, organization = request.user, formset.instance
        new, changed, removed = [], [], []
        for form in formset.initial_forms:
            if form in formset.deleted_forms:
                team = fresh(form.instance)
                services.team_delete(actor=actor, team=team)
                removed.append(team)
            elif form.has_changed():
                team = services.team_update(
                    actor=actor,
                    team=fresh(form.instance),
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data.get("description", ""),
                )
                changed.append((team, form.changed_data))
        for form in formset.extra_forms:
            if form.has_changed() and form not in formset.deleted_forms:
                new.append(
                    services.team_create(
                        actor=actor,
                        organization=organization,
                        name=form.cleaned_data["name"],
                        description=form.cleaned_data.get("description", ""),
                    )
                )
        _save_formset_result(formset, new, changed, removed)

    def delete_model(self, request, obj):
        # No service deletes organisations (the pages cannot); the audit entry outlives it, unlinked.
        with transaction.atomic():
            audit.record(actor=request.user, action="organization.delete", target=obj)
            obj.delete()


@admin.register(OrganizationMembership)
class OrganizationMembershipAdmin(ServiceBackedAdmin):
    form = MembershipForm
    list_display = ("user", "organization", "role", "created_at")
    list_select_related = ("user", "organization")
    list_filter = ("role", "organization")
    search_fields = ("user__email", "user__full_name", "organization__name", "organization__slug")
    autocomplete_fields = ("user", "organization")
    readonly_fields = ("created_at",)
    actions = ["delete_selected", "make_owner", "make_member"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("organization", "user", "created_at")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            services.organization_member_change_role(actor=request.user, membership=fresh(obj), role=obj.role)
        else:
            adopt(
                obj,
                services.organization_member_add(
                    actor=request.user, organization=obj.organization, email=obj.user.email, role=obj.role
                ),
            )

    def delete_refusals(self, request, objs):
        return last_owner_refusals(objs)

    def delete_model(self, request, obj):
        services.organization_member_remove(actor=request.user, membership=obj)

    def _change_role(self, request, queryset, role):
        def change(membership):
            if membership.role == role:
                return False
            services.organization_member_change_role(actor=request.user, membership=membership, role=role)
            return True

        label = OrgRole(role).label.lower()
        apply_each(
            self,
            request,
            queryset.select_related("organization", "user"),
            change,
            done=f"Made {{count}} {{items}} {label}.",
        )

    @admin.action(permissions=["change"], description="Make owner", location=BOTH_LOCATIONS)
    def make_owner(self, request, queryset):
        self._change_role(request, queryset, OrgRole.OWNER)

    @admin.action(permissions=["change"], description="Make member", location=BOTH_LOCATIONS)
    def make_member(self, request, queryset):
        self._change_role(request, queryset, OrgRole.MEMBER)


# --- Teams -----------------------------------------------------------------------------------------------------


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
    list_display = ("name", "organization", "member_count", "binding_count", "created_at")
    list_select_related = ("organization",)
    list_filter = ("organization",)
    search_fields = ("name", "organization__name", "organization__slug")
    autocomplete_fields = ("organization",)
    readonly_fields = ("created_at",)
    inlines = [TeamMembershipInline]

    def get_queryset(self, request):
        from workspaces.models import WorkspaceRoleBinding

        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=count_of(TeamMembership, "team"),
                binding_count=count_of(WorkspaceRoleBinding, "team"),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        return ("organization", "created_at") if obj is not None else self.readonly_fields

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, team):
        return changelist_link(TeamMembership, team.member_count, team__id__exact=team.pk)

    @admin.display(description="Workspace roles", ordering="binding_count")
    def binding_count(self, team):
        from workspaces.models import WorkspaceRoleBinding

        return changelist_link(WorkspaceRoleBinding, team.binding_count, team__id__exact=team.pk)

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
        _save_formset_result(formset, new, [], removed)

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


# --- Audit trail -----------------------------------------------------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The trail is evidence: nobody, superusers included, may add, edit or delete entries here."""

    list_display = ("created_at", "actor_label", "action", "target", "organization", "ip_address", "summary")
    list_select_related = ("organization",)
    list_filter = ("action", "target_type", "organization")
    date_hierarchy = "created_at"
    search_fields = ("actor_label", "target_label")
    show_full_result_count = False  # the trail grows without bound; skip the unfiltered COUNT(*)
    fields = (
        "created_at",
        "actor",
        "actor_label",
        "action",
        "organization",
        "target_type",
        "target_id",
        "target_label",
        "changes_pretty",
        "ip_address",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Target", ordering="target_label")
    def target(self, event):
        return f"{event.target_type}: {event.target_label}"

    @admin.display(description="Changes")
    def summary(self, event):
        text = "; ".join(f"{key}: {value}" for key, value in event.change_lines())
        return text if len(text) <= 120 else text[:119] + "…"

    @admin.display(description="Changes")
    def changes_pretty(self, event):
        if not event.changes:
            return "—"
        return format_html(
            "<table><tbody>{}</tbody></table><details><summary>JSON</summary><pre>{}</pre></details>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", event.change_lines()),
            json.dumps(event.changes, indent=2, sort_keys=True, ensure_ascii=False),
        )

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        return {}  # not even delete_selected


# SSO apps are built from each organisation's SSOConnection (accounts/sso_adapter.py); allauth's own SocialApp
# rows would be ignored, so their admin would only mislead.
from allauth.socialaccount.models import SocialApp  # noqa: E402

if admin.site.is_registered(SocialApp):
    admin.site.unregister(SocialApp)
