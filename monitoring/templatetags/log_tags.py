"""How log lines look: search matches highlighted, pod names without the release's prefix."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

LEVEL_CLASSES = {"DEBUG": "text-secondary", "INFO": "text-azure", "WARNING": "text-orange", "ERROR": "text-red"}


@register.simple_tag
def log_lines(lines, release: str, search: str = "") -> str:
    """The lines' HTML, built in one pass: a template per line made a page of 1,000 lines take ~0.4 s to render.
    Each line: time (full ISO in its title), level, pod/container (the release's prefix dropped), source, message
    (escaped; search matches in <mark>)."""
    pattern = re.compile(f"({re.escape(search)})", re.IGNORECASE) if search else None
    prefix = f"{release}-"
    parts = []
    for line in lines:
        time = line.time
        level = line.level or ""
        pod = line.pod[len(prefix) :] if line.pod.startswith(prefix) else line.pod
        message = _marked(line.message, pattern) if pattern else escape(line.message)
        source = f'<span class="log-source">{escape(line.source)}</span> ' if line.source else ""
        parts.append(
            f'<div class="log-line lvl-{(level or "none").lower()}"><time class="log-time" datetime="{time}" '
            f'title="{time}">{time[11:23]}</time><span class="log-level {level_class(level)}">{level}</span>'
            f'<span class="log-origin" title="pod {escape(line.pod)} · container {escape(line.container)}" '
            f'data-pod="{escape(line.pod)}" data-container="{escape(line.container)}">{escape(pod)}'
            f'<span class="text-secondary">/{escape(line.container)}</span></span>'
            f'<span class="log-msg">{source}{message}</span></div>\n'
        )
    return mark_safe("".join(parts))


def _marked(text: str, pattern: re.Pattern) -> str:
    pieces = pattern.split(text)
    return "".join(f"<mark>{escape(p)}</mark>" if i % 2 else escape(p) for i, p in enumerate(pieces))


@register.filter
def short_pod(pod: str, release: str) -> str:
    prefix = f"{release}-"
    return pod[len(prefix) :] if pod.startswith(prefix) else pod


@register.filter
def level_class(level: str | None) -> str:
    return LEVEL_CLASSES.get(level or "", "text-red" if level == "CRITICAL" else "text-secondary")
