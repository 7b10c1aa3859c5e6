"""Display helpers for the organisation overview."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def money(value, currency: str = "") -> str:
    """12345.6 -> "12,345.60 USD"; below 10 keeps cents, above rounds to whole units."""
    if value is None:
        return ""
    amount = Decimal(value)
    text = f"{amount:,.2f}" if amount < 10 else f"{amount.quantize(Decimal(1)):,}"
    return f"{text} {currency}".strip()


@register.filter
def figure(value) -> str:
    """A live figure: whole numbers without decimals, others with one."""
    if value is None:
        return "—"
    number = float(value)
    return f"{number:.0f}" if number == int(number) else f"{number:.1f}"
