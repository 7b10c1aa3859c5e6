"""User accounts in the admin: created, edited, (de)activated and deleted by staff, each change audited."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.html import format_html

from accounts import audit
from accounts.admin.common import last_owner_refusals
from accounts.models import AuditEvent, OrganizationMembership, User
from accounts.roles import OrgRole
from aerodrome.admin_helpers import (
    ReadOnly,
    ServiceBackedAdmin,
    apply_each,
    changelist_link,
)
from aerodrome.subqueries import count_of


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


class UserMembershipInline(ReadOnly, admin.TabularInline):
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
