"""The workspace page's "People with access" rows: `{% access_row a %}` for one `selectors.Access`, with the page's
`org`, `workspace`, `roles` and `can_manage` (and, after an inline change, `row_saved` or `row_error`) from the
context. Written here rather than as template nodes: the page's rows of people cost it more than the rest of it."""

from django import template
from django.template.defaultfilters import title
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from aerodrome.row_urls import row_url
from aerodrome.templatetags.people import person, role_badge, role_options

register = template.Library()

_ROW = """<tr id="access-{pk}"{flash}>
  <td>{person}</td>
  <td data-testid="effective-role">{effective}</td>
  <td>
    {direct}{feedback}
  </td>
  <td>
    {owner}{teams}
  </td>
  <td>{remove}</td>
</tr>
"""
_PICKER = """<select name="role" class="form-select form-select-sm w-auto" aria-label="Direct role of {email}"
            hx-post="{url}" hx-trigger="change" hx-target="closest tr" hx-swap="outerHTML">{options}</select>"""
_REMOVE = """<button class="btn btn-sm btn-ghost-danger" title="Remove direct role" hx-post="{url}"
            hx-confirm="Remove {email}'s direct role on {workspace}?"><i class="ti ti-user-minus"></i></button>"""
_NO_ROLE = mark_safe('<span class="text-secondary">—</span>')  # a constant
_OWNER = mark_safe('<span class="badge bg-purple-lt">Organisation owner</span>')  # a constant


def _urls(context):
    """The row links, reversed once per page (the render context lives as long as one rendering)."""
    urls = context.render_context.get("access_row_urls")
    if urls is None:
        leading = (context["org"].slug, context["workspace"].pk)
        urls = row_url("workspace_binding_role", *leading), row_url("workspace_binding_remove", *leading)
        context.render_context["access_row_urls"] = urls
    return urls


def _feedback(context) -> str:
    if error := context.get("row_error"):
        return format_html('\n    <div class="text-danger small mt-1">{}</div>', error)
    if saved := context.get("row_saved"):
        return format_html('\n    <div class="text-success small mt-1"><i class="ti ti-check"></i> {}</div>', saved)
    return ""


@register.simple_tag(takes_context=True)
def access_row(context, a):
    direct, email = a.direct, a.user.email
    remove = ""
    if direct and context.get("can_manage"):
        role_url, remove_url = _urls(context)
        options = role_options(context["roles"], direct.role)
        shown = format_html(_PICKER, email=email, url=role_url(direct.pk), options=options)
        remove = format_html(_REMOVE, url=remove_url(direct.pk), email=email, workspace=context["workspace"].name)
    elif direct:
        shown = role_badge(direct.role, direct.get_role_display())
    else:
        shown = _NO_ROLE
    teams = format_html_join(
        "", '<span class="badge bg-azure-lt me-1">{} · {}</span>', ((team, title(role)) for team, role in a.via_teams)
    )
    return format_html(
        _ROW,
        pk=a.user.pk,
        flash=mark_safe(' class="row-flash"') if context.get("row_saved") else "",
        person=person(a.user),
        effective=role_badge(a.effective_role, a.effective_role_label),
        direct=shown,
        feedback=_feedback(context),
        owner=_OWNER if a.org_owner else "",
        teams=teams,
        remove=remove,
    )
