"""The prices behind cost estimates: read (the price source `deployments.cost` asks) and changed (by staff in the
admin, audited). The arithmetic lives in `deployments.cost`."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import audit
from deployments import cost
from monitoring.models import Pricing


def pricing() -> Pricing:
    """The one price list (an unsaved, unset one before staff first save it)."""
    return Pricing.objects.filter(pk=Pricing.SINGLETON).first() or Pricing(pk=Pricing.SINGLETON)


def current_prices() -> cost.Prices | None:
    """What `deployments.cost` estimates with: None until both prices are set."""
    row = pricing()
    if not row.is_set:
        return None
    return cost.Prices(cpu_hour=row.cpu_hour, gib_hour=row.gib_hour, currency=row.currency)


def _summary(row: Pricing) -> dict:
    return {
        "cpu_hour": None if row.cpu_hour is None else f"{row.cpu_hour.normalize():f}",
        "gib_hour": None if row.gib_hour is None else f"{row.gib_hour.normalize():f}",
        "currency": row.currency,
    }


@transaction.atomic
def pricing_update(*, actor, cpu_hour: Decimal | None, gib_hour: Decimal | None, currency: str) -> Pricing:
    """Set (both prices) or unset (neither) the prices; every change is in the audit trail (`pricing.update`)."""
    if not getattr(actor, "is_staff", False):
        raise ValidationError("Only platform staff set prices.")
    if (cpu_hour is None) != (gib_hour is None):
        raise ValidationError("Set both prices (CPU-hour and GiB-hour) for estimates, or clear both to show none.")
    for value in (cpu_hour, gib_hour):
        if value is not None and value < 0:
            raise ValidationError("A price cannot be negative.")
    row = Pricing.objects.select_for_update().filter(pk=Pricing.SINGLETON).first() or Pricing(pk=Pricing.SINGLETON)
    before = _summary(row) if row.updated_at else {}
    row.cpu_hour, row.gib_hour, row.currency = cpu_hour, gib_hour, currency.strip().upper()
    row.full_clean()
    row.updated_by = actor
    row.save()
    changes = audit.diff(before, _summary(row))
    if changes:
        audit.record(actor=actor, action="pricing.update", target=row, changes=changes)
    return row
