"""The workspace page's "People with access" rows: `{% access_row a %}` for one `selectors.Access`, with the page's
`org`, `workspace`, `roles` and `can_manage` (and, after an inline change, `row_saved` or `row_error`) from the
context. Written here rather than as template nodes: the page's rows of people cost it more than the rest of it."""

from django import template
from django.template.defaultfilters import title
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from accounts.roles import WorkspaceRole
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
    {owner}
    {teams}
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


class _Table:
    """What the rows of one rendering share, built once: the links (reversed once) and, per role, the picker's
    options and the badge (a page has a few roles and many rows). The render context lives for one rendering."""

    def __init__(self, context):
        leading = (context["org"].slug, context["workspace"].pk)
        self.role_url = row_url("workspace_binding_role", *leading)
        self.remove_url = row_url("workspace_binding_remove", *leading)
        self.roles = context["roles"]
        self._options, self._badges = {}, {}

    @classmethod
    def of(cls, context) -> "_Table":
        if (table := context.render_context.get(cls)) is None:
            table = context.render_context[cls] = cls(context)
        return table

    def options(self, role: str) -> str:
        if role not in self._options:
            self._options[role] = role_options(self.roles, role)
        return self._options[role]

    def badge(self, role: str) -> str:
        if role not in self._badges:
            self._badges[role] = role_badge(role, WorkspaceRole(role).label)
        return self._badges[role]


def _feedback(context) -> str:
    if error := context.get("row_error"):
        return format_html('\n    <div class="text-danger small mt-1">{}</div>', error)
    if saved := context.get("row_saved"):
        return format_html('\n    <div class="text-success small mt-1"><i class="ti ti-check"></i> {}</div>', saved)
    return ""


@register.simple_tag(takes_context=True)
def access_row(context, a):
    table, direct, email = _Table.of(context), a.direct, a.user.email
    remove = ""
    if direct and context.get("can_manage"):
        options = table.options(direct.role)
        shown = format_html(_PICKER, email=email, url=table.role_url(direct.pk), options=options)
        remove = format_html(_REMOVE, url=table.remove_url(direct.pk), email=email, workspace=context["workspace"].name)
    elif direct:
        shown = table.badge(direct.role)
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
        effective=table.badge(a.effective_role),
        direct=shown,
        feedback=_feedback(context),
        owner=_OWNER if a.org_owner else "",
        teams=teams,
        remove=remove,
    )
