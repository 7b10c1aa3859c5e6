"""Writes for alert rules, built-in rule settings and acknowledgements.

A rule is part of a Deployment's desired state (it renders into its PrometheusRule): every change checks the role,
validates every field at once, writes the audit entry and bumps the generation of each Deployment it applies to,
so reconcile applies it like any other change. Silences are in `silences`, the receiver in `receiver`.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.permissions import acting_user, require
from aerodrome.validation import ErrorCollector, clean_name
from deployments import services as deployment_services
from deployments.models import Deployment
from monitoring.alerts import promql
from monitoring.alerts.models import Alert, AlertRule, BuiltinRuleSetting, Severity
from workspaces.models import Workspace

RULE_FIELDS = (
    "name",
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
)
MAX_THRESHOLD_SECONDS = 7 * 24 * 3600
MAX_LOOKBACK_MINUTES = 7 * 24 * 60
DAY_NAMES = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}


# ------------------------------------------------------------------------------------------------ validation


def _choice(value, choices, *, field: str, what: str) -> str:
    if value not in [c[0] for c in choices]:
        allowed = ", ".join(str(label) for _, label in choices)
        raise ValidationError({field: f"Choose a {what}: {allowed}."})
    return value


def _patterns(value, *, field: str) -> list[str]:
    try:
        return promql.clean_patterns(value)
    except ValueError as error:
        raise ValidationError({field: str(error)}) from None


def _whole_number(value, *, field: str, what: str, minimum: int, maximum: int) -> int:
    if value in (None, ""):
        raise ValidationError({field: f"Enter the {what}."})
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError({field: f"The {what} must be a whole number."}) from None
    if not minimum <= number <= maximum:
        raise ValidationError({field: f"The {what} must be between {minimum} and {maximum}."})
    return number


def _deadline(value) -> datetime.time:
    if isinstance(value, datetime.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        hours, minutes = str(value or "").strip().split(":")[:2]
        return datetime.time(int(hours), int(minutes))
    except ValueError:
        raise ValidationError({"deadline": "Enter the deadline as HH:MM in UTC, e.g. 09:30."}) from None


def _days(value) -> list[int]:
    if isinstance(value, str):
        value = [part for part in value.replace(" ", "").split(",") if part]
    try:
        days = sorted({int(day) for day in value or ()})
    except (TypeError, ValueError):
        raise ValidationError({"deadline_days": "Days are numbers from 1 (Monday) to 7 (Sunday)."}) from None
    if not days:
        raise ValidationError({"deadline_days": "Choose at least one day on which the deadline applies."})
    if days[0] < 1 or days[-1] > 7:
        raise ValidationError({"deadline_days": "Days are numbers from 1 (Monday) to 7 (Sunday)."})
    return days


def _channels(value, *, workspace_id: int) -> list:
    """Channels of the rule's workspace, from Channel objects or ids."""
    from monitoring.alerts.channels.models import Channel

    ids = []
    for item in value or ():
        pk = getattr(item, "pk", item)
        if not str(pk).isdigit():
            raise ValidationError({"channels": "Give channels by their id."})
        ids.append(int(pk))
    found = list(Channel.objects.filter(workspace=workspace_id, pk__in=ids).order_by("name"))
    if len(found) != len(set(ids)):
        raise ValidationError({"channels": "Choose channels of this workspace."})
    return found


def clean_rule(fields: dict, *, rule: AlertRule | None = None, workspace_id: int | None = None) -> dict:
    """The rule's fields, cleaned; for a change, the missing ones keep their values. Every invalid field is
    reported at once; fields a type does not use are cleared."""
    current = {name: getattr(rule, name) for name in RULE_FIELDS} if rule else {}
    values = {**current, **{k: v for k, v in fields.items() if k in RULE_FIELDS}}
    errors = ErrorCollector()
    cleaned = {"name": errors.check(clean_name, values.get("name"), max_length=100, what="rule name")}
    kind = cleaned["type"] = errors.check(
        _choice, values.get("type"), AlertRule.Type.choices, field="type", what="rule type"
    )
    cleaned["severity"] = errors.check(
        _choice, values.get("severity") or Severity.WARNING, Severity.choices, field="severity", what="severity"
    )
    cleaned["enabled"] = bool(values.get("enabled", True))
    cleaned["dag_match"] = errors.check(
        _choice, values.get("dag_match") or "IS", AlertRule.Match.choices, field="dag_match", what="DAG match"
    )
    cleaned["dag_patterns"] = errors.check(_patterns, values.get("dag_patterns"), field="dag_patterns")
    uses_tasks, uses_threshold = kind in AlertRule.TASK_TYPES, kind in AlertRule.THRESHOLD_TYPES
    timeliness = kind == AlertRule.Type.DAG_TIMELINESS
    cleaned["task_match"], cleaned["task_patterns"] = AlertRule.Match.IS, []
    if uses_tasks:
        cleaned["task_match"] = errors.check(
            _choice, values.get("task_match") or "IS", AlertRule.Match.choices, field="task_match", what="task match"
        )
        cleaned["task_patterns"] = errors.check(_patterns, values.get("task_patterns"), field="task_patterns")
    cleaned["threshold_seconds"] = None
    if uses_threshold:
        cleaned["threshold_seconds"] = errors.check(
            _whole_number,
            values.get("threshold_seconds"),
            field="threshold_seconds",
            what="duration threshold in seconds",
            minimum=1,
            maximum=MAX_THRESHOLD_SECONDS,
        )
    cleaned["deadline"], cleaned["deadline_days"], cleaned["lookback_minutes"] = None, [], None
    if timeliness:
        cleaned["deadline"] = errors.check(_deadline, values.get("deadline"))
        cleaned["deadline_days"] = errors.check(_days, values.get("deadline_days"))
        cleaned["lookback_minutes"] = errors.check(
            _whole_number,
            values.get("lookback_minutes"),
            field="lookback_minutes",
            what="look-back in minutes",
            minimum=1,
            maximum=MAX_LOOKBACK_MINUTES,
        )
    if "channels" in fields:
        cleaned["channels"] = errors.check(
            _channels, fields["channels"], workspace_id=workspace_id or getattr(rule, "workspace_id", None)
        )
    errors.raise_if_any()
    return cleaned


# ------------------------------------------------------------------------------------------------ rules


def _summary(rule: AlertRule) -> dict:
    summary = {
        "name": rule.name,
        "type": rule.type,
        "severity": rule.severity,
        "enabled": rule.enabled,
        "scope": f"deployment {rule.deployment_id}" if rule.deployment_id else "workspace",
        "dag": f"{rule.dag_match} {', '.join(rule.dag_patterns) or '*'}",
    }
    if rule.uses_tasks:
        summary["task"] = f"{rule.task_match} {', '.join(rule.task_patterns) or '*'}"
    if rule.threshold_seconds:
        summary["threshold_seconds"] = rule.threshold_seconds
    if rule.deadline:
        days = ",".join(DAY_NAMES[d] for d in rule.deadline_days)
        summary["deadline"] = f"{rule.deadline:%H:%M} UTC {days}, look back {rule.lookback_minutes} min"
    if rule.pk:
        summary["channels"] = sorted(channel.name for channel in rule.channels.all())
    return summary


def _affected(workspace_id: int, deployment_id: int | None):
    deployments = Deployment.objects.live().filter(workspace=workspace_id)
    return deployments.filter(pk=deployment_id) if deployment_id else deployments


def _apply(*, actor, workspace_id: int, deployment_id: int | None, message: str) -> None:
    """Each Deployment the rule applies to gets a new generation (its PrometheusRule changes)."""
    for deployment in _affected(workspace_id, deployment_id).order_by("pk"):
        deployment_services.desired_state_changed(actor=actor, deployment=deployment, message=message)


@transaction.atomic
def rule_create(*, actor, workspace: Workspace, deployment: Deployment | None = None, **fields) -> AlertRule:
    """A rule for one Deployment, or (deployment=None) for every Deployment of the workspace."""
    require(actor, "alert.manage", deployment or workspace)
    if deployment is not None and deployment.workspace_id != workspace.pk:
        raise ValidationError("The Deployment is not in this workspace.")
    cleaned = clean_rule(fields, workspace_id=workspace.pk)
    channels = cleaned.pop("channels", None)
    rule = AlertRule.objects.create(
        workspace=workspace, deployment=deployment, created_by=acting_user(actor), **cleaned
    )
    if channels:
        rule.channels.set(channels)
    audit.record(
        actor=actor,
        action="alert_rule.create",
        target=rule,
        organization=workspace.organization,
        changes=_summary(rule),
    )
    _apply(
        actor=actor, workspace_id=workspace.pk, deployment_id=rule.deployment_id, message=f"Added alert rule {rule}."
    )
    return rule


@transaction.atomic
def rule_update(*, actor, rule: AlertRule, **fields) -> AlertRule:
    require(actor, "alert.manage", rule)
    rule = AlertRule.objects.select_for_update().get(pk=rule.pk)
    before = _summary(rule)
    cleaned = clean_rule(fields, rule=rule)
    channels = cleaned.pop("channels", None)
    for key, value in cleaned.items():
        setattr(rule, key, value)
    if channels is not None:
        rule.channels.set(channels)
    changes = audit.diff(before, _summary(rule))
    if changes:
        rule.save()
        audit.record(
            actor=actor,
            action="alert_rule.update",
            target=rule,
            organization=rule.workspace.organization,
            changes=changes,
        )
        if set(changes) - {"channels"}:  # where alerts go is not rendered: only the rule itself is desired state
            _apply(
                actor=actor,
                workspace_id=rule.workspace_id,
                deployment_id=rule.deployment_id,
                message=f"Changed alert rule {rule}.",
            )
    return rule


@transaction.atomic
def rule_delete(*, actor, rule: AlertRule) -> None:
    require(actor, "alert.manage", rule)
    audit.record(
        actor=actor,
        action="alert_rule.delete",
        target=rule,
        organization=rule.workspace.organization,
        changes=_summary(rule),
    )
    workspace_id, deployment_id, name = rule.workspace_id, rule.deployment_id, rule.name
    rule.delete()
    _apply(actor=actor, workspace_id=workspace_id, deployment_id=deployment_id, message=f"Removed alert rule {name}.")


@transaction.atomic
def builtin_rule_set(*, actor, deployment: Deployment, key: str, enabled: bool) -> BuiltinRuleSetting:
    """Turn one built-in incident rule on or off for a Deployment."""
    require(actor, "alert.manage", deployment)
    if key not in promql.BUILTINS:
        raise ValidationError({"key": f"“{key}” is not a built-in rule."})
    setting, _ = BuiltinRuleSetting.objects.select_for_update().get_or_create(deployment=deployment, key=key)
    if setting.enabled != enabled:
        before = setting.enabled
        setting.enabled = enabled
        setting.save()
        title = promql.BUILTINS[key].title
        audit.record(
            actor=actor,
            action="alert_rule.builtin",
            target=deployment,
            organization=deployment.workspace.organization,
            changes={key: [before, enabled]},
        )
        deployment_services.desired_state_changed(
            actor=actor,
            deployment=deployment,
            message=f"Turned {'on' if enabled else 'off'} the built-in alert “{title}”.",
        )
    return setting


# ------------------------------------------------------------------------------------------------ alerts


@transaction.atomic
def alert_acknowledge(*, actor, alert: Alert) -> Alert:
    """Someone is on it: who and when, once (acknowledging again changes nothing)."""
    require(actor, "alert.manage", alert)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = acting_user(actor)
        alert.acknowledged_by_label = str(actor)[:254]
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledged_by_label"])
        audit.record(
            actor=actor,
            action="alert.acknowledge",
            target=alert,
            organization=alert.deployment.workspace.organization,
            changes={"alert": alert.summary or alert.alertname},
        )
    return alert
