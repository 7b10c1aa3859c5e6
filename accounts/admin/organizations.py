"""Organisations and their memberships in the admin. Changes go through `accounts.services`, so an organisation
never loses its last owner and every change leaves an audit entry. Adding someone to an organisation directly, without
an invitation, is for platform staff only (`services.organization_member_add_by_staff`): owners invite."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.forms.models import BaseInlineFormSet

from accounts import audit, services
from accounts.admin.common import LAST_OWNER, last_owner_refusals, save_formset_result
from accounts.admin.teams import TeamInline
from accounts.models import AuditEvent, Organization, OrganizationMembership, Team
from accounts.permissions import require
from accounts.roles import OrgRole
from aerodrome.admin_helpers import (
    BOTH_LOCATIONS,
    LockedOnChangeForm,
    ServiceBackedAdmin,
    adopt,
    apply_each,
    changelist_link,
    fresh,
)
from aerodrome.subqueries import count_of


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


@admin.register(Organization)
class OrganizationAdmin(ServiceBackedAdmin):
    list_display = ("name", "slug", "owners", "member_count", "team_count", "created_at")  # + workspaces.admin
    search_fields = ("name", "slug", "memberships__user__email")
    list_filter = (OwnerFilter,)
    date_hierarchy = "created_at"
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "created_at", "audit_trail")
    readonly_fields = ("created_at", "audit_trail")
    inlines = [MembershipInline, TeamInline]

    def get_queryset(self, request):
        owners = OrganizationMembership.objects.filter(role=OrgRole.OWNER).select_related("user")
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=count_of(OrganizationMembership, "organization"),
                team_count=count_of(Team, "organization"),
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
                    services.organization_member_add_by_staff(
                        actor=actor,
                        organization=organization,
                        user=form.cleaned_data["user"],
                        role=form.cleaned_data["role"],
                    )
                )
        # Promotions before demotions and removals, so the organisation is never ownerless in between.
        for membership, role in promotions + demotions:
            services.organization_member_change_role(actor=actor, membership=membership, role=role)
            changed.append((membership, ["role"]))
        for membership in removals:
            services.organization_member_remove(actor=actor, membership=membership)
        save_formset_result(formset, new, changed, removals)

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
        save_formset_result(formset, new, changed, removed)

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
                services.organization_member_add_by_staff(
                    actor=request.user, organization=obj.organization, user=obj.user, role=obj.role
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
