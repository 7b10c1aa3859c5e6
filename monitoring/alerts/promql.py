"""Alert rules as Prometheus rule groups: the built-in incident rules and people's rules, in PromQL over the series
the statsd exporter and kube-state-metrics produce (monitoring/metrics/SERIES.md), every expression scoped to the
Deployment's namespace.

Every rule carries the labels the receiver files its alerts by: `aerodrome_deployment` (the Deployment's id),
`aerodrome_rule` (a built-in's key or `rule-<id>`), `namespace` and `severity`. Rule labels override any label of
the same name a series brings, so nothing a DAG emits can move an alert to another Deployment or rule.
Pure: plain values in, plain dicts out (what a PrometheusRule's `spec.groups` holds).
"""

import re
from dataclasses import dataclass

from monitoring.alerts.models import AlertRule, Severity

LABEL_DEPLOYMENT = "aerodrome_deployment"
LABEL_RULE = "aerodrome_rule"
GROUP_INCIDENTS = "aerodrome-incidents"
GROUP_RULES = "aerodrome-rules"

# Series (monitoring/metrics/SERIES.md). statsd timers become summaries: <name>_count counts events, _sum adds
# their durations in seconds.
DAGRUN = "airflow_dagrun_duration"  # `state`: success, failed
TASK_DURATION = "airflow_task_duration"
TI_FINISH = "airflow_ti_finish"
SCHEDULER_HEARTBEAT = "airflow_scheduler_heartbeat"
EXECUTOR_RUNNING = "airflow_executor_running_tasks"
EXECUTOR_QUEUED = "airflow_executor_queued_tasks"

_PATTERN = re.compile(r"^[A-Za-z0-9_.\-*]+$")


@dataclass(frozen=True)
class Builtin:
    key: str
    alertname: str
    title: str  # what the rules page calls it
    description: str
    severity: str
    for_: str


BUILTINS: dict[str, Builtin] = {
    b.key: b
    for b in [
        Builtin(
            "scheduler_heartbeat",
            "AirflowSchedulerUnhealthy",
            "Scheduler heartbeat missing",
            "No scheduler heartbeat for 10 minutes.",
            Severity.CRITICAL,
            "10m",
        ),
        Builtin(
            "component_down",
            "AirflowComponentUnhealthy",
            "Component not running or crash-looping",
            "A component has fewer ready replicas than wanted for 15 minutes, or a container is crash-looping.",
            Severity.CRITICAL,
            "15m",
        ),
        Builtin(
            "oom_killed",
            "AirflowContainerOOMKilled",
            "Container killed for lack of memory",
            "A container restarted after being OOM-killed.",
            Severity.WARNING,
            "0s",
        ),
        Builtin(
            "queue_at_capacity",
            "AirflowWorkerQueueAtCapacity",
            "Worker capacity reached",
            "Running and queued tasks reach the workers' capacity (max workers × concurrency) for 10 minutes.",
            Severity.WARNING,
            "10m",
        ),
        Builtin(
            "tasks_pending_increasing",
            "AirflowTasksPendingIncreasing",
            "Queued tasks increasing",
            "The number of queued tasks has grown for 30 minutes.",
            Severity.WARNING,
            "30m",
        ),
        Builtin(
            "pod_quota",
            "AirflowPodQuota",
            "Pods near the quota",
            "The namespace uses more than 95% of its pod quota for 10 minutes.",
            Severity.WARNING,
            "10m",
        ),
        Builtin(
            "metadata_connections",
            "AirflowMetadataConnectionsExhausted",
            "Metadata database connections near pgbouncer's limit",
            "Clients wait for a metadata database connection: pgbouncer's pool is used up, for 5 minutes.",
            Severity.WARNING,
            "5m",
        ),
    ]
}


@dataclass(frozen=True)
class Target:
    """What the expressions need to know about the Deployment."""

    deployment_id: int
    namespace: str
    capacity: int  # task slots: sum of max workers × concurrency, or the KubernetesExecutor's task pods


# ------------------------------------------------------------------------------------------------ patterns


def clean_patterns(value) -> list[str]:
    """DAG or task id patterns from a list or a comma/newline separated text; `*` matches anything. Raises
    ValueError naming the bad one."""
    if isinstance(value, str):
        value = re.split(r"[,\n]", value)
    patterns = []
    for raw in value or ():
        pattern = str(raw).strip()
        if not pattern:
            continue
        if len(pattern) > 250:
            raise ValueError(f"“{pattern[:40]}…” is longer than 250 characters.")
        if not _PATTERN.match(pattern):
            raise ValueError(
                f"“{pattern}” is not a DAG or task id pattern: use letters, digits, “_”, “-”, “.”, "
                "and “*” as a wildcard."
            )
        if pattern not in patterns:
            patterns.append(pattern)
    return patterns


def pattern_regex(patterns: list[str]) -> str:
    """One RE2 alternation matching any of the patterns whole (PromQL anchors `=~` matchers)."""
    return "|".join(re.escape(p).replace(r"\*", ".*") for p in patterns)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _selector(target: Target, **matchers: tuple[str, str]) -> str:
    parts = [f"namespace={_quote(target.namespace)}"]
    for label, (op, value) in matchers.items():
        parts.append(f"{label}{op}{_quote(value)}")
    return "{" + ", ".join(parts) + "}"


def _id_matchers(rule: AlertRule) -> dict[str, tuple[str, str]]:
    matchers = {}
    for label, match, patterns in (
        ("dag_id", rule.dag_match, rule.dag_patterns),
        ("task_id", rule.task_match, rule.task_patterns if rule.uses_tasks else []),
    ):
        if patterns:
            matchers[label] = ("!~" if match == AlertRule.Match.EXCLUDES else "=~", pattern_regex(patterns))
    return matchers


# ----------------------------------------------------------------------------------------------- expressions


def _seconds(seconds: int) -> str:
    return f"{int(seconds)}s"


def user_rule_expr(rule: AlertRule, target: Target, *, window_seconds: int) -> str:
    window = _seconds(window_seconds)
    ids = _id_matchers(rule)
    t = AlertRule.Type
    if rule.type in (t.DAG_FAILURE, t.DAG_SUCCESS):
        selector = _selector(target, **ids, state=("=", "failed" if rule.type == t.DAG_FAILURE else "success"))
        return f"sum by (dag_id) (increase({DAGRUN}_count{selector}[{window}])) > 0"
    if rule.type == t.TASK_FAILURE:
        selector = _selector(target, **ids, state=("=", "failed"))
        return f"sum by (dag_id, task_id) (increase({TI_FINISH}{selector}[{window}])) > 0"
    if rule.uses_threshold:
        series, by = (DAGRUN, "dag_id") if rule.type == t.DAG_DURATION else (TASK_DURATION, "dag_id, task_id")
        selector = _selector(target, **ids)
        # The longest average run that finished in the window, successful or not (NaN, so no alert, when none did).
        return (
            f"max by ({by}) (increase({series}_sum{selector}[{window}]) / increase({series}_count{selector}[{window}]))"
            f" > {int(rule.threshold_seconds or 0)}"
        )
    if rule.type == t.DAG_TIMELINESS:
        selector = _selector(target, **ids, state=("=", "success"))
        lookback = _seconds((rule.lookback_minutes or 0) * 60)
        minutes = rule.deadline.hour * 60 + rule.deadline.minute
        # No success within the look-back, from the deadline to the end of the day (UTC), on the chosen days.
        # Prometheus counts days of the week from 0 (Sunday); people choose ISO days (1 Monday .. 7 Sunday).
        expr = f"(sum by (dag_id) (increase({DAGRUN}_count{selector}[{lookback}])) == 0)"
        expr += f" and on() (hour() * 60 + minute() >= {minutes})"
        days = sorted({int(d) % 7 for d in rule.deadline_days})
        if len(days) < 7:
            expr += " and on() (" + " or ".join(f"day_of_week() == {d}" for d in days) + ")"
        return expr
    raise ValueError(f"Unknown rule type {rule.type!r}")


def builtin_expr(key: str, target: Target) -> str:
    ns = _selector(target)
    if key == "scheduler_heartbeat":
        return f"sum(rate({SCHEDULER_HEARTBEAT}{ns}[1m])) == 0 or absent({SCHEDULER_HEARTBEAT}{ns})"
    if key == "component_down":
        waiting = _selector(target, reason=("=~", "CrashLoopBackOff|ImagePullBackOff|ErrImagePull"))
        return (
            f"(kube_deployment_spec_replicas{ns} > kube_deployment_status_replicas_available{ns})"
            f" or (kube_pod_container_status_waiting_reason{waiting} > 0)"
        )
    if key == "oom_killed":
        oom = _selector(target, reason=("=", "OOMKilled"))
        return (
            f"(increase(kube_pod_container_status_restarts_total{ns}[10m]) > 0)"
            f" and on(namespace, pod, container) (kube_pod_container_status_last_terminated_reason{oom} == 1)"
        )
    if key == "queue_at_capacity":
        return f"(sum({EXECUTOR_RUNNING}{ns}) + sum({EXECUTOR_QUEUED}{ns})) >= {max(target.capacity, 1)}"
    if key == "tasks_pending_increasing":
        return f"deriv(sum({EXECUTOR_QUEUED}{ns})[30m:1m]) > 0"
    if key == "pod_quota":
        used = _selector(target, resource=("=", "pods"), type=("=", "used"))
        hard = _selector(target, resource=("=", "pods"), type=("=", "hard"))
        return f"(sum(kube_resourcequota{used}) / sum(kube_resourcequota{hard})) > 0.95"
    if key == "metadata_connections":
        return f"sum(pgbouncer_pools_client_waiting_connections{ns}) > 0"
    raise ValueError(f"Unknown built-in rule {key!r}")


# ------------------------------------------------------------------------------------------------- groups


def _labels(target: Target, key: str, severity: str) -> dict:
    return {
        LABEL_DEPLOYMENT: str(target.deployment_id),
        LABEL_RULE: key,
        "namespace": target.namespace,
        "severity": str(severity).lower(),
    }


ALERTNAMES = {
    AlertRule.Type.DAG_FAILURE: "DagFailure",
    AlertRule.Type.DAG_SUCCESS: "DagSuccess",
    AlertRule.Type.DAG_DURATION: "DagDuration",
    AlertRule.Type.DAG_TIMELINESS: "DagTimeliness",
    AlertRule.Type.TASK_FAILURE: "TaskFailure",
    AlertRule.Type.TASK_DURATION: "TaskDuration",
}

_SUMMARIES = {
    AlertRule.Type.DAG_FAILURE: "DAG {{ $labels.dag_id }} failed",
    AlertRule.Type.DAG_SUCCESS: "DAG {{ $labels.dag_id }} succeeded",
    AlertRule.Type.DAG_DURATION: "DAG {{ $labels.dag_id }} ran longer than {threshold}",
    AlertRule.Type.DAG_TIMELINESS: "DAG {{ $labels.dag_id }} has not succeeded by {deadline} UTC",
    AlertRule.Type.TASK_FAILURE: "Task {{ $labels.dag_id }}.{{ $labels.task_id }} failed",
    AlertRule.Type.TASK_DURATION: "Task {{ $labels.dag_id }}.{{ $labels.task_id }} ran longer than {threshold}",
}


def _summary(rule: AlertRule) -> str:
    text = _SUMMARIES[rule.type]
    text = text.replace("{threshold}", f"{rule.threshold_seconds or 0}s")
    return text.replace("{deadline}", rule.deadline.strftime("%H:%M") if rule.deadline else "")


def rule_groups(
    *, target: Target, builtins: list[str], rules: list[AlertRule], interval_seconds: int, window_seconds: int
) -> list[dict]:
    """The rule groups of one Deployment: its enabled built-ins, then its rules (by id). Empty groups are left out."""
    interval = _seconds(interval_seconds)
    groups = []
    incidents = []
    for key in (key for key in BUILTINS if key in builtins):
        builtin = BUILTINS[key]
        rule = {"alert": builtin.alertname, "expr": builtin_expr(key, target)}
        if builtin.for_ != "0s":
            rule["for"] = builtin.for_
        rule["labels"] = _labels(target, key, builtin.severity)
        rule["annotations"] = {"summary": builtin.title, "description": builtin.description}
        incidents.append(rule)
    if incidents:
        groups.append({"name": GROUP_INCIDENTS, "interval": interval, "rules": incidents})
    people = [
        {
            "alert": ALERTNAMES[rule.type],
            "expr": user_rule_expr(rule, target, window_seconds=window_seconds),
            "labels": _labels(target, rule.key, rule.severity),
            "annotations": {"summary": _summary(rule), "rule": rule.name},
        }
        for rule in sorted(rules, key=lambda r: r.pk)
    ]
    if people:
        groups.append({"name": GROUP_RULES, "interval": interval, "rules": people})
    return groups
