"""Platform staff's read-only view of notification channels and deliveries (for support: did it go out, what did the
service answer). Tenants manage channels on their pages and the API, where changes are checked and audited; here
nothing changes, and secrets never appear."""

from django.contrib import admin

from monitoring.alerts.channels import kind
from monitoring.alerts.channels.models import Channel, Delivery, DeliveryAttempt


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Channel)
class ChannelAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "workspace", "organization", "enabled", "last_test_ok", "last_test_at")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "workspace__name", "workspace__organization__name")
    list_select_related = ("workspace__organization",)
    fields = ("name", "kind", "workspace", "enabled", "target", "created_by", "created_at", "last_test_message")
    readonly_fields = fields

    @admin.display(description="Organisation")
    def organization(self, channel):
        return channel.workspace.organization

    @admin.display(description="Sends to")
    def target(self, channel):
        return kind(channel).target(channel) or "—"


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("number", "outcome", "response_status", "reason", "retry_in", "started_at", "duration_ms")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "notification", "channel_name", "channel_kind", "status", "attempt_count")
    list_filter = ("status", "channel_kind")
    search_fields = ("channel_name", "notification__title", "notification__workspace__name")
    list_select_related = ("notification",)
    fields = ("notification", "channel_name", "channel_kind", "status", "attempt_count", "reason", "created_at")
    readonly_fields = fields
    inlines = [AttemptInline]
