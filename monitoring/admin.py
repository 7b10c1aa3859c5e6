"""Platform staff set the prices behind cost estimates here. One price list (monitoring.models.Pricing): the
changelist opens it directly; saving goes through `pricing.pricing_update`, which checks and audits it."""

from django import forms
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from aerodrome.admin_helpers import ServiceBackedAdmin
from deployments.cost import HOURS_PER_MONTH
from monitoring import pricing
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
