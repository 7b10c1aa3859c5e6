"""How log lines look: search matches highlighted, pod names without the release's prefix."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

LEVEL_CLASSES = {"DEBUG": "text-secondary", "INFO": "text-azure", "WARNING": "text-orange", "ERROR": "text-red"}


@register.filter
def highlight(text: str, needle: str) -> str:
    """The text, escaped, with every case-insensitive occurrence of `needle` in <mark>."""
    if not needle:
        return escape(text)
    parts = re.split(f"({re.escape(needle)})", text, flags=re.IGNORECASE)
    return mark_safe("".join(f"<mark>{escape(p)}</mark>" if i % 2 else escape(p) for i, p in enumerate(parts)))


@register.filter
def short_pod(pod: str, release: str) -> str:
    prefix = f"{release}-"
    return pod[len(prefix) :] if pod.startswith(prefix) else pod


@register.filter
def level_class(level: str | None) -> str:
    return LEVEL_CLASSES.get(level or "", "text-red" if level == "CRITICAL" else "text-secondary")
