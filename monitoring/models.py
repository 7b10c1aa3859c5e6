"""What the monitoring app stores itself: the prices behind cost estimates, and the tally of reconcile runs that
the platform's own `/metrics` serves. (Logs and metrics of Deployments are read live, never stored.)"""

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from accounts.models import User

PRICE_FIELD = {"max_digits": 12, "decimal_places": 6, "validators": [MinValueValidator(Decimal(0))]}


class Pricing(models.Model):
    """The platform's prices for requested resources, set by staff in the admin: one row (pk 1).

    One price list for the whole platform rather than one per cluster: it is a chargeback rate staff choose, the
    same for every organisation, and a Deployment's estimate then only depends on what it requests. Per-cluster
    prices would be a nullable `cluster` key on this model, the platform-wide row its default."""

    SINGLETON = 1

    cpu_hour = models.DecimalField(
        "price per CPU-hour", null=True, blank=True, help_text="Per core requested, per hour.", **PRICE_FIELD
    )
    gib_hour = models.DecimalField(
        "price per GiB-hour", null=True, blank=True, help_text="Per GiB of memory requested, per hour.", **PRICE_FIELD
    )
    currency = models.CharField(
        max_length=3,
        default="USD",
        validators=[RegexValidator(r"^[A-Z]{3}$", "An ISO 4217 code in capitals, such as USD or EUR.")],
        help_text="ISO 4217 code, shown next to every estimate.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "pricing"
        verbose_name_plural = "pricing"

    def __str__(self):
        if not self.is_set:
            return "Prices (not set: no cost estimates)"
        cpu, gib = f"{self.cpu_hour.normalize():f}", f"{self.gib_hour.normalize():f}"
        return f"{cpu} {self.currency}/CPU-hour, {gib} {self.currency}/GiB-hour"

    @property
    def is_set(self) -> bool:
        return self.cpu_hour is not None and self.gib_hour is not None


class ReconcileTally(models.Model):
    """Reconcile runs counted by outcome and duration bucket (not cumulative: `le` is the bucket's upper bound as
    Prometheus writes it, "+Inf" for the last). Workers add to it as runs end; `/metrics` reads it whole at scrape
    time, so every web process and worker, on any machine, adds to and serves the same figures."""

    outcome = models.CharField(max_length=32)
    le = models.CharField(max_length=16)
    count = models.BigIntegerField(default=0)
    seconds = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["outcome", "le"], name="unique_reconcile_tally_bucket"),
        ]

    def __str__(self):
        return f"{self.outcome} ≤ {self.le}: {self.count}"


# The models of monitoring's subpackages, so Django finds them.
from monitoring.alerts.channels.models import Channel, Delivery, DeliveryAttempt, Notification  # noqa: E402
from monitoring.alerts.models import Alert, AlertEvent, AlertRule, BuiltinRuleSetting, Silence  # noqa: E402

__all__ = [
    "Alert",
    "AlertEvent",
    "AlertRule",
    "BuiltinRuleSetting",
    "Channel",
    "Delivery",
    "DeliveryAttempt",
    "Notification",
    "Pricing",
    "ReconcileTally",
    "Silence",
]
