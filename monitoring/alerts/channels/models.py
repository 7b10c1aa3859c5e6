"""Where alerts go: a workspace's notification channels, and the record of every notification sent to them (one
Delivery per notification and channel, every attempt of it)."""

from django.db import models
from django.db.models.functions import Lower

from accounts import permissions
from accounts.models import NAME_MAX_LENGTH, User
from aerodrome.crypto import EncryptedJSONField
from workspaces.models import Workspace

WORKSPACE_TENANCY = permissions.Tenancy(organization="workspace__organization", workspace="workspace")


class TenantQuerySet(models.QuerySet):
    def for_actor(self, actor, permission: str = "channel.view"):
        return self.filter(self.model.tenancy.q(actor, permission))


class Channel(models.Model):
    """One destination of a workspace's alerts, shared by its Deployments. What is secret in it (webhook URLs
    with their tokens, routing keys, API keys, the signing secret) is in `secrets`: encrypted, never shown."""

    class Kind(models.TextChoices):
        EMAIL = "EMAIL", "Email"
        SLACK = "SLACK", "Slack"
        TEAMS = "TEAMS", "Microsoft Teams"
        PAGERDUTY = "PAGERDUTY", "PagerDuty"
        OPSGENIE = "OPSGENIE", "Opsgenie"
        WEBHOOK = "WEBHOOK", "Webhook"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    enabled = models.BooleanField(default=True)
    config = models.JSONField(default=dict, blank=True)  # what may be shown: email addresses, the target's host
    secrets = EncryptedJSONField(blank=True, default="")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_test_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True, blank=True)
    last_test_message = models.CharField(max_length=500, blank=True)

    objects = TenantQuerySet.as_manager()
    tenancy = WORKSPACE_TENANCY

    class Meta:
        ordering = [Lower("name")]
        constraints = [models.UniqueConstraint(Lower("name"), "workspace", name="unique_channel_name_per_workspace")]

    def __str__(self):
        return self.name


class Notification(models.Model):
    """One notice about one alert (it fired, it resolved) or a test, as it was sent to the channels."""

    class Status(models.TextChoices):
        FIRING = "FIRING", "Firing"
        RESOLVED = "RESOLVED", "Resolved"
        TEST = "TEST", "Test"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="notifications")
    deployment = models.ForeignKey(
        "deployments.Deployment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    alert_key = models.CharField(max_length=200)  # stable per alert: PagerDuty's dedup_key, Opsgenie's alias
    status = models.CharField(max_length=16, choices=Status.choices)
    title = models.CharField(max_length=500)
    payload = models.JSONField(default=dict)  # the Notice, as the channels were given it
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenancy = WORKSPACE_TENANCY

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["workspace", "alert_key", "-id"], name="notification_alert_latest")]

    def __str__(self):
        return f"{self.get_status_display()}: {self.title}"


class Delivery(models.Model):
    """A notification to one channel: PENDING while attempts go on, then SENT or FAILED (with the reason)."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SENT = "SENT", "Sent"
        FAILED = "FAILED", "Failed"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    channel_name = models.CharField(max_length=NAME_MAX_LENGTH)  # kept when the channel is deleted
    channel_kind = models.CharField(max_length=16, choices=Channel.Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(max_length=500, blank=True)  # the last failure's
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # while PENDING: when the sweep may ring again
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()
    tenancy = permissions.Tenancy(
        organization="notification__workspace__organization", workspace="notification__workspace"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_pending_due")]

    def __str__(self):
        return f"{self.notification} → {self.channel_name}"


class DeliveryAttempt(models.Model):
    """One try at a delivery: what the other end answered, or why nothing was sent."""

    class Outcome(models.TextChoices):
        SENT = "SENT", "Sent"
        RETRYING = "RETRYING", "Failed, will retry"
        FAILED = "FAILED", "Failed"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    retry_in = models.PositiveIntegerField(null=True, blank=True)  # seconds until the next attempt
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint("delivery", "number", name="unique_attempt_number")]

    def __str__(self):
        return f"Attempt {self.number}: {self.get_outcome_display()}"
