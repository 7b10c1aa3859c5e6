"""Serializers of the alerts API: what rules, alerts and silences look like, and what a write may send (the
services validate every field; these only shape the input)."""

from rest_framework import serializers

from deployments.api.serializers import StrictSerializer
from monitoring.alerts.models import Alert, AlertRule, Severity, Silence


class AlertRuleSerializer(serializers.ModelSerializer):
    scope = serializers.SerializerMethodField(help_text="`deployment` (one Deployment) or `workspace` (all of them).")

    class Meta:
        model = AlertRule
        fields = [
            "id",
            "name",
            "scope",
            "workspace",
            "deployment",
            "type",
            "severity",
            "enabled",
            "dag_match",
            "dag_patterns",
            "task_match",
            "task_patterns",
            "threshold_seconds",
            "deadline",
            "deadline_days",
            "lookback_minutes",
            "channels",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "dag_patterns": {"help_text": "DAG id patterns (`*` matches anything); empty: every DAG."},
            "task_patterns": {"help_text": "Task id patterns, for the task types; empty: every task."},
            "threshold_seconds": {"help_text": "DAG or task duration types: alert when a run takes longer."},
            "deadline": {"help_text": "DAG timeliness: the DAG must have succeeded by this time (UTC)."},
            "deadline_days": {"help_text": "DAG timeliness: ISO days of the week (1 Monday .. 7 Sunday)."},
            "lookback_minutes": {"help_text": "DAG timeliness: how far back a success counts."},
            "channels": {"help_text": "Ids of the workspace's channels its alerts notify."},
        }

    def get_scope(self, rule) -> str:
        return "workspace" if rule.is_workspace_wide else "deployment"


class AlertRuleWriteSerializer(StrictSerializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=500)
    type = serializers.ChoiceField(choices=AlertRule.Type.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    enabled = serializers.BooleanField(required=False)
    dag_match = serializers.ChoiceField(choices=AlertRule.Match.choices, required=False)
    dag_patterns = serializers.ListField(child=serializers.CharField(max_length=500), required=False, max_length=100)
    task_match = serializers.ChoiceField(choices=AlertRule.Match.choices, required=False)
    task_patterns = serializers.ListField(child=serializers.CharField(max_length=500), required=False, max_length=100)
    threshold_seconds = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10**9)
    deadline = serializers.TimeField(required=False, allow_null=True)
    deadline_days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=10), required=False, max_length=7
    )
    lookback_minutes = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10**9)
    channels = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        required=False,
        max_length=50,
        help_text="Ids of the workspace's channels to notify.",
    )


class AlertRuleCreateSerializer(AlertRuleWriteSerializer):
    name = serializers.CharField(allow_blank=True, max_length=500)
    type = serializers.ChoiceField(choices=AlertRule.Type.choices)


class AlertSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule_key", read_only=True, help_text="`rule-<id>` or a built-in's key.")
    acknowledged_by = serializers.CharField(
        source="acknowledged_by_label", read_only=True, help_text="Who acknowledged it; empty until someone does."
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "deployment",
            "rule",
            "rule_name",
            "alertname",
            "severity",
            "state",
            "summary",
            "labels",
            "starts_at",
            "ends_at",
            "notification_count",
            "last_received_at",
            "acknowledged_at",
            "acknowledged_by",
        ]
        read_only_fields = fields


class SilenceSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by_label", read_only=True)

    class Meta:
        model = Silence
        fields = ["id", "deployment", "origin", "starts_at", "ends_at", "comment", "created_by", "cancelled_at"]
        read_only_fields = fields


class SilenceCreateSerializer(StrictSerializer):
    comment = serializers.CharField(allow_blank=True, max_length=2000)
    duration_minutes = serializers.IntegerField(required=False, allow_null=True, min_value=-(10**9), max_value=10**9)
    until = serializers.DateTimeField(required=False, allow_null=True)
