"""Alert rules (built-in incident rules per Deployment, and people's rules at Deployment or workspace scope), the
alerts Alertmanager reports, each notification of them, and silences. Writes go through `monitoring.alerts.services`.
"""

from django.db import models
from django.db.models import Q

from accounts import permissions
from accounts.models import User
from deployments.models import Cluster, Deployment
from workspaces.models import Workspace


class Severity(models.TextChoices):
    INFO = "INFO", "Info"
    WARNING = "WARNING", "Warning"
    CRITICAL = "CRITICAL", "Critical"


class AlertingQuerySet(models.QuerySet):
    """Rules, alerts and silences: a person sees them where they may view alerts."""

    def for_actor(self, actor, permission: str = "alert.view"):
        return self.filter(self.model.tenancy.q(actor, permission))


class AlertRule(models.Model):
    """A rule people write: one of Astro's six types, for one Deployment or every Deployment of a workspace."""

    class Type(models.TextChoices):
        DAG_FAILURE = "DAG_FAILURE", "DAG failure"
        DAG_SUCCESS = "DAG_SUCCESS", "DAG success"
        DAG_DURATION = "DAG_DURATION", "DAG duration"
        DAG_TIMELINESS = "DAG_TIMELINESS", "DAG timeliness"
        TASK_FAILURE = "TASK_FAILURE", "Task failure"
        TASK_DURATION = "TASK_DURATION", "Task duration"

    class Match(models.TextChoices):
        IS = "IS", "is"
        EXCLUDES = "EXCLUDES", "excludes"

    TASK_TYPES = (Type.TASK_FAILURE, Type.TASK_DURATION)  # match task ids too
    THRESHOLD_TYPES = (Type.DAG_DURATION, Type.TASK_DURATION)  # compare a run's duration with threshold_seconds

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="alert_rules")
    deployment = models.ForeignKey(
        Deployment, null=True, blank=True, on_delete=models.CASCADE, related_name="alert_rules"
    )  # None: every Deployment of the workspace
    name = models.CharField(max_length=100)
    type = models.CharField(max_length=16, choices=Type.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.WARNING)
    enabled = models.BooleanField(default=True)
    dag_match = models.CharField(max_length=8, choices=Match.choices, default=Match.IS)
    dag_patterns = models.JSONField(default=list, blank=True)  # ["etl_*", "report"]; empty: every DAG
    task_match = models.CharField(max_length=8, choices=Match.choices, default=Match.IS)
    task_patterns = models.JSONField(default=list, blank=True)  # task types only
    threshold_seconds = models.PositiveIntegerField(null=True, blank=True)  # duration types only
    deadline = models.TimeField(null=True, blank=True)  # timeliness: succeeded by HH:MM UTC ...
    deadline_days = models.JSONField(default=list, blank=True)  # ... on these ISO weekdays (1 Monday .. 7 Sunday)
    lookback_minutes = models.PositiveIntegerField(null=True, blank=True)  # ... within this long before the deadline
    # Where its alerts go: channels of the same workspace (monitoring.alerts.channels).
    channels = models.ManyToManyField("monitoring.Channel", blank=True, related_name="alert_rules")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AlertingQuerySet.as_manager()
    tenancy = permissions.Tenancy(
        organization="workspace__organization", workspace="workspace", deployment="deployment"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def key(self) -> str:
        """How rendered rules and recorded alerts name it (the `aerodrome_rule` label)."""
        return f"rule-{self.pk}"

    @property
    def is_workspace_wide(self) -> bool:
        return self.deployment_id is None

    @property
    def uses_tasks(self) -> bool:
        return self.type in self.TASK_TYPES

    @property
    def uses_threshold(self) -> bool:
        return self.type in self.THRESHOLD_TYPES


class BuiltinRuleSetting(models.Model):
    """A built-in incident rule turned off (or back on) for one Deployment; without a row it is on."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="builtin_rule_settings")
    key = models.CharField(max_length=40)  # a key of monitoring.alerts.builtin.RULES
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenancy = permissions.Tenancy(
        organization="deployment__workspace__organization", workspace="deployment__workspace", deployment="deployment"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deployment", "key"], name="unique_builtin_rule_setting")]

    def __str__(self):
        return f"{self.key}: {'on' if self.enabled else 'off'}"


class AlertQuerySet(AlertingQuerySet):
    def firing(self):
        return self.filter(state=Alert.State.FIRING)


class Alert(models.Model):
    """One alert as Alertmanager reports it: the same fingerprint and start time is the same alert, however
    often it is notified."""

    class State(models.TextChoices):
        FIRING = "FIRING", "Firing"
        RESOLVED = "RESOLVED", "Resolved"

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="alerts")
    cluster = models.ForeignKey(Cluster, null=True, on_delete=models.SET_NULL, related_name="+")
    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    rule_key = models.CharField(max_length=40)  # "rule-17" or a built-in's key; stays when the rule is deleted
    rule_name = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    alertname = models.CharField(max_length=200)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.WARNING)
    state = models.CharField(max_length=8, choices=State.choices, default=State.FIRING)
    summary = models.CharField(max_length=1000, blank=True)
    labels = models.JSONField(default=dict)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)  # when Alertmanager says it resolved
    first_received_at = models.DateTimeField(auto_now_add=True)
    last_received_at = models.DateTimeField()
    notification_count = models.PositiveIntegerField(default=0)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_by_label = models.CharField(max_length=254, blank=True)

    objects = AlertQuerySet.as_manager()
    tenancy = permissions.Tenancy(
        organization="deployment__workspace__organization", workspace="deployment__workspace", deployment="deployment"
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["deployment", "fingerprint", "starts_at"], name="unique_alert_occurrence")
        ]
        indexes = [
            models.Index(fields=["deployment", "state", "-starts_at"]),
            models.Index(fields=["state"], condition=Q(state="FIRING"), name="alert_firing_idx"),
        ]

    def __str__(self):
        return f"{self.rule_name or self.alertname} ({self.get_state_display()})"

    @property
    def is_firing(self) -> bool:
        return self.state == self.State.FIRING

    @property
    def duration(self):
        return (self.ends_at - self.starts_at) if self.ends_at else None


class AlertEvent(models.Model):
    """One notification of an alert reaching Aerodrome: each firing notification, and the one resolve. Delivery
    to channels hangs off these (`monitoring.alerts.delivery.notify`)."""

    class Kind(models.TextChoices):
        FIRING = "FIRING", "Firing"
        RESOLVED = "RESOLVED", "Resolved"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = permissions.Tenancy(
        organization="alert__deployment__workspace__organization",
        workspace="alert__deployment__workspace",
        deployment="alert__deployment",
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.alert}: {self.kind}"


class Silence(models.Model):
    """A maintenance window on one Deployment, held by the cluster's Alertmanager (`alertmanager_id`)."""

    class Origin(models.TextChoices):
        PERSON = "PERSON", "Set by a person"
        DEPLOYING = "DEPLOYING", "While deploying"

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="silences")
    alertmanager_id = models.CharField(max_length=64, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.PERSON)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    comment = models.CharField(max_length=500)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by_label = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by_label = models.CharField(max_length=254, blank=True)

    objects = AlertingQuerySet.as_manager()
    tenancy = permissions.Tenancy(
        organization="deployment__workspace__organization", workspace="deployment__workspace", deployment="deployment"
    )

    class Meta:
        ordering = ["-ends_at", "-id"]

    def __str__(self):
        return self.comment

    def is_active(self, now) -> bool:
        return self.cancelled_at is None and self.starts_at <= now < self.ends_at
