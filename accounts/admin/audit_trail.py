"""The audit trail in the admin: read-only for everyone, superusers included."""

import json

from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from django.utils.html import format_html, format_html_join

from accounts.models import AuditEvent
from aerodrome.admin_helpers import ReadOnly


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnly, admin.ModelAdmin):
    """The trail is evidence: nobody, superusers included, may add, edit or delete entries here."""

    list_display = ("created_at", "actor_label", "action", "target", "organization", "ip_address", "summary")
    list_select_related = ("organization",)
    list_filter = ("action", "target_type", "organization")
    date_hierarchy = "created_at"
    search_fields = ("actor_label", "target_label")
    show_full_result_count = False  # the trail grows without bound; skip the unfiltered COUNT(*)
    fields = (
        "created_at",
        "actor",
        "actor_label",
        "action",
        "organization",
        "target_type",
        "target_id",
        "target_label",
        "changes_pretty",
        "ip_address",
    )
    readonly_fields = fields

    @admin.display(description="Target", ordering="target_label")
    def target(self, event):
        return f"{event.target_type}: {event.target_label}"

    @admin.display(description="Changes")
    def summary(self, event):
        text = "; ".join(f"{key}: {value}" for key, value in event.change_lines())
        return text if len(text) <= 120 else text[:119] + "…"

    @admin.display(description="Changes")
    def changes_pretty(self, event):
        if not event.changes:
            return "—"
        return format_html(
            "<table><tbody>{}</tbody></table><details><summary>JSON</summary><pre>{}</pre></details>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", event.change_lines()),
            json.dumps(event.changes, indent=2, sort_keys=True, ensure_ascii=False),
        )

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        return {}  # not even delete_selected
