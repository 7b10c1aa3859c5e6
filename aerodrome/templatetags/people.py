"""Who someone is and what role they hold, as every table shows them: `{% person user %}` (the name over the
address, or the address alone; `you=True` marks the signed-in person), `{% role_badge role label %}` (the label,
or the role itself, title-cased, coloured by role) and `{% role_options roles role %}` (a role picker's options,
the held one selected).

Tags rather than included templates: a table shows them on every row, and an include costs a context, a template
and its nodes each time (the workspace page spent more on its ~50 includes than on the rest of its template)."""

from django import template
from django.template.defaultfilters import title
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def person(user, you=False):
    name = user.full_name or user.email
    marker = format_html(' <span class="badge bg-green-lt ms-1">{}</span>', "you") if you else ""
    first = format_html('<div class="fw-medium">{}{}</div>', name, marker)
    if not user.full_name:
        return first
    return format_html('{}\n<div class="text-secondary small">{}</div>', first, user.email)


@register.simple_tag
def role_badge(role, label=None):
    return format_html(
        '<span class="badge role-badge role-{}">{}</span>', str(role).lower(), title(str(label or role or ""))
    )


@register.simple_tag
def role_options(choices, selected):
    """The <option>s of a row's role picker: one tag per row rather than a loop of nodes per option."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", label) for value, label in choices),
    )
