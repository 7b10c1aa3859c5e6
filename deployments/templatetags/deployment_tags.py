"""Small display helpers for the Deployment pages."""

from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def any_in_progress(deployments) -> bool:
    """True while some Deployment is still changing (its list keeps polling)."""
    return any(not d.is_final for d in deployments)


@register.filter
def cpu(value) -> str:
    """Cores without trailing zeros: 0.50 -> 0.5, 2.00 -> 2."""
    number = Decimal(str(value))
    return f"{number.normalize():f}" if number else "0"


@register.filter
def mib(value) -> str:
    """MiB as a reader would say it: 512 MiB, 2 GiB, 1.5 GiB."""
    value = int(value)
    if value >= 1024:
        gib = Decimal(value) / 1024
        return f"{gib.quantize(Decimal('0.1')).normalize():f} GiB"
    return f"{value} MiB"


@register.filter
def ago(value) -> str:
    """“just now” or “3 minutes ago”."""
    if not value:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value)} ago"
