"""The monitoring admin: the prices behind cost estimates, which staff set (one price list, monitoring.models.Pricing:
the changelist opens it directly; saving goes through `pricing.pricing_update`, which checks and audits it), and a
read-only view of notification channels and deliveries (for support: did it go out, what did the service answer).
Tenants manage channels on their pages and the API, where changes are checked and audited; here nothing about them
changes, and secrets never appear."""

from django import forms
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from aerodrome.admin_helpers import ReadOnly, ServiceBackedAdmin
from deployments.cost import HOURS_PER_MONTH
from monitoring import pricing
from monitoring.alerts.channels import kind
from monitoring.alerts.channels.models import Channel, Delivery, DeliveryAttempt
from monitoring.models import Pricing


class PricingForm(forms.ModelForm):
    class Meta:
        model = Pricing
        fields = ["cpu_hour", "gib_hour", "currency"]

    def __init__(self, *args, **kwargs):
        if args and args[0] is not None and "currency" in args[0]:  # "eur" is meant as EUR
            data = args[0].copy()
            data["currency"] = data["currency"].strip().upper()
            args = (data, *args[1:])
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("cpu_hour") is None) != (cleaned.get("gib_hour") is None) and not self.errors:
            raise forms.ValidationError(
                "Set both prices (CPU-hour and GiB-hour) for estimates, or clear both to show none."
            )
        return cleaned


@admin.register(Pricing)
class PricingAdmin(ServiceBackedAdmin):
    form = PricingForm
    fields = ["cpu_hour", "gib_hour", "currency", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]
    actions = []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.base_fields["gib_hour"].help_text = (
            f"Per GiB of memory requested, per hour. With both prices set, the overview and every Deployment show an "
            f"estimated monthly cost ({HOURS_PER_MONTH} hours) of what its pods request; clear both to show none."
        )
        return form

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Pricing.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False  # clear both prices instead: that change is audited like any other

    def changelist_view(self, request, extra_context=None):
        row = pricing.pricing()
        if row.updated_at is None:
            return HttpResponseRedirect(reverse("admin:monitoring_pricing_add"))
        return HttpResponseRedirect(reverse("admin:monitoring_pricing_change", args=[row.pk]))

    def save_model(self, request, obj, form, change):
        saved = pricing.pricing_update(
            actor=request.user,
            cpu_hour=form.cleaned_data.get("cpu_hour"),
            gib_hour=form.cleaned_data.get("gib_hour"),
            currency=form.cleaned_data.get("currency") or "USD",
        )
        obj.pk, obj.updated_at, obj.updated_by = saved.pk, saved.updated_at, saved.updated_by
        obj._state.adding = False


@admin.register(Channel)
class ChannelAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("name", "kind", "workspace", "organization", "enabled", "last_test_ok", "last_test_at")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "workspace__name", "workspace__organization__name")
    list_select_related = ("workspace__organization",)
    fields = ("name", "kind", "workspace", "enabled", "target", "created_by", "created_at", "last_test_message")
    readonly_fields = fields

    @admin.display(description="Organisation")
    def organization(self, channel):
        return channel.workspace.organization

    @admin.display(description="Sends to")
    def target(self, channel):
        return kind(channel).target(channel) or "—"


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("number", "outcome", "response_status", "reason", "retry_in", "started_at", "duration_ms")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "notification", "channel_name", "channel_kind", "status", "attempt_count")
    list_filter = ("status", "channel_kind")
    search_fields = ("channel_name", "notification__title", "notification__workspace__name")
    list_select_related = ("notification",)
    fields = ("notification", "channel_name", "channel_kind", "status", "attempt_count", "reason", "created_at")
    readonly_fields = fields
    inlines = [AttemptInline]
