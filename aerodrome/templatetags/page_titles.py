"""`{% filter page_title %}…{% endfilter %}`: a page's <title>, its own parts then the site's name once."""

from django import template
from django.conf import settings
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()
SEPARATOR = " · "


@register.filter(needs_autoescape=True)
def page_title(title, autoescape=True) -> str:
    """The title's parts, then the site's name: "Teams · Acme Data · Aerodrome", or "Aerodrome" alone. Templates
    nest title blocks (a section's inside its Deployment's), so a part may come empty or the title may already
    end with the site's name: neither is repeated."""
    escape = conditional_escape if autoescape else str
    site_name = escape(settings.SITE_NAME)
    parts = [part.strip() for part in str(title).split(SEPARATOR.strip())]
    while parts and parts[-1] in ("", site_name):
        parts.pop()
    return mark_safe(SEPARATOR.join([*(part for part in parts if part), site_name]))
