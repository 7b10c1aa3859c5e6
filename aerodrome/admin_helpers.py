"""Building blocks for the apps' admin modules.

Platform staff change tenant data through the same services as the pages and the API, so the admin checks the
same rules and writes the same audit entries. These helpers keep that short in each `admin.py`.
"""

from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import actions as builtin_actions
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import model_ngettext, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.forms.models import InlineForeignKeyField
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from aerodrome.validation import clean_unique_name

# For actions offered both on the changelist and on an object's own page (Django 6.1).
BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]

# Service errors an admin action reports to the user instead of failing the whole request.
SERVICE_ERRORS = (ValidationError, PermissionDenied)


def error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You are not allowed to do that."


def changelist_link(model: type[Model], label, **params) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(params), label)


def change_url(obj: Model) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def adopt(obj: Model, saved: Model) -> None:
    """Turn the admin's unsaved instance into the row a service just created.

    The admin goes on using its own instance (the inlines hang off it, the response redirects to its pk), so the
    service's result is copied into it rather than returned.
    """
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


def fresh(obj: Model) -> Model:
    """The row as stored. A bound form has already written the submitted values onto its instance; services
    need the stored values to check a change and to record its "before"."""
    return type(obj)._default_manager.get(pk=obj.pk)


def apply_each(
    modeladmin: admin.ModelAdmin,
    request,
    objects: Iterable[Model],
    change: Callable[[Model], bool],
    *,
    done: str,
) -> None:
    """Run a service-backed `change` on each object and report the outcome.

    `change` returns whether it changed anything. Each object gets its own transaction, so one refusal (the
    service's ValidationError or PermissionDenied, shown as an error message) does not undo the others.
    """
    changed = 0
    for obj in objects:
        try:
            with transaction.atomic():
                changed += bool(change(obj))
        except SERVICE_ERRORS as error:
            modeladmin.message_user(request, f"{obj}: {error_text(error)}", messages.ERROR)
    if changed:
        modeladmin.message_user(
            request, done.format(count=changed, items=model_ngettext(modeladmin.opts, changed)), messages.SUCCESS
        )


class ReadOnly:
    """Mixed into an admin or inline whose records staff look at but never add, change or delete here (audit
    trails, events, deliveries, rows changed only through their owner's page)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyValueWidget(forms.Widget):
    """Shows a value's label instead of an input."""

    def __init__(self, label, attrs=None):
        super().__init__(attrs)
        self.label = label

    def render(self, name, value, attrs=None, renderer=None):
        return format_html('<div class="readonly">{}</div>', self.label)


class LockedOnChangeForm(forms.ModelForm):
    """A ModelForm whose `locked_fields` are fixed once the row exists: to move a membership to someone else,
    remove it and add a new one, so each step goes through its service. Used where per-object
    `readonly_fields` cannot apply (the rows of an inline)."""

    locked_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            return
        for name in self.locked_fields:
            field = self.fields.get(name)
            # (The inline's own foreign key is a hidden field the formset fills in; leave it alone.)
            if field is not None and not isinstance(field, InlineForeignKeyField):
                field.disabled = True
                field.widget = ReadOnlyValueWidget(getattr(self.instance, name, None) or "—")


class ServiceBackedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose deletions go through `delete_model` one object at a time (subclasses call services
    there), report refusals as messages, and can be refused up front by `delete_refusals`."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # The forms check what they can foresee; a service may still refuse (say, someone else changed the
            # same organisation meanwhile). The transaction has rolled back: say why instead of failing.
            self.message_user(request, f"Nothing was saved: {error_text(error)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_refusals(self, request, objs: list[Model]) -> list[str]:
        """Reasons the objects must not be deleted (such as an organisation's last owner); empty to allow."""
        return []

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_delete_permission(request, obj):
            refusals = self.delete_refusals(request, [obj])
            if refusals:
                for reason in refusals:
                    self.message_user(request, reason, messages.ERROR)
                return HttpResponseRedirect(change_url(obj))
        return super().delete_view(request, object_id, extra_context)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    @admin.action(permissions=["delete"], description=gettext_lazy("Delete selected %(verbose_name_plural)s"))
    def delete_selected(self, request, queryset):
        """Django's confirmation page, then each object through `delete_model` (its service)."""
        objs = list(queryset)
        refusals = self.delete_refusals(request, objs)
        if refusals:
            for reason in refusals:
                self.message_user(request, reason, messages.ERROR)
            return None
        if not request.POST.get("post"):
            return builtin_actions.delete_selected(self, request, queryset)  # the confirmation page

        def delete(obj):
            self.log_deletions(request, [obj])
            self.delete_model(request, obj)
            return True

        apply_each(self, request, objs, delete, done="Deleted {count} {items}.")
        return None

    actions = ["delete_selected"]


class UniqueNameInOrganizationForm(forms.ModelForm):
    """Refuses a name another row of the same organisation has (any case), with the services' message."""

    def clean(self):
        cleaned = super().clean()
        organization = cleaned.get("organization") or (
            self.instance.organization if self.instance.organization_id else None
        )
        name = cleaned.get("name")
        if organization is not None and organization.pk and name:
            try:
                clean_unique_name(self._meta.model, organization=organization, name=name, exclude_pk=self.instance.pk)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned
