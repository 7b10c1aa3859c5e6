"""Reads for alerts: history with its filters, rules that apply to a Deployment, silences, and the counts pages
show (the workspace's incidents badge)."""

from django.db.models import Count, Q

from accounts.selectors import in_period
from aerodrome.subqueries import count_of
from monitoring.alerts import promql
from monitoring.alerts.models import Alert, AlertRule, BuiltinRuleSetting, Silence


def alerts(queryset, *, state=None, severity=None, rule=None, since=None, until=None):
    """Alerts newest first; `rule` is a rule key (`rule-17`, a built-in's key) or a rule's name."""
    if state:
        queryset = queryset.filter(state=state)
    if severity:
        queryset = queryset.filter(severity=severity)
    if rule:
        queryset = queryset.filter(Q(rule_key=rule) | Q(rule_name=rule))
    queryset = in_period(queryset, since=since, until=until, field="starts_at")
    return queryset.select_related("deployment", "acknowledged_by").order_by("-starts_at", "-id")


def deployment_alerts(deployment, **filters):
    return alerts(Alert.objects.filter(deployment=deployment), **filters)


def workspace_alerts(*, actor, workspace, **filters):
    visible = Alert.objects.for_actor(actor).filter(
        deployment__workspace=workspace, deployment__deleted_at__isnull=True
    )
    return alerts(visible, **filters)


def rule_choices(queryset) -> list[tuple[str, str]]:
    """(key, name) of every rule the alerts in `queryset` came from, for the history's rule filter."""
    rows = queryset.order_by().values_list("rule_key", "rule_name").distinct()
    return sorted(set(rows), key=lambda row: row[1].lower())


def firing_counts(deployment_ids) -> dict[int, int]:
    rows = (
        Alert.objects.firing()
        .filter(deployment__in=deployment_ids)
        .values("deployment")
        .annotate(n=Count("id"))
        .values_list("deployment", "n")
    )
    return dict(rows)


def firing_total(deployments) -> int:
    """Firing alerts on the given Deployments (a queryset): the organisation overview's incidents figure."""
    return Alert.objects.firing().filter(deployment__in=deployments).count()


# A workspace's incidents: alerts firing on its live Deployments.
INCIDENTS = {"state": Alert.State.FIRING, "deployment__deleted_at__isnull": True}


def workspace_incidents(workspace) -> int:
    """How many incidents the workspace has now (its alerts page)."""
    return Alert.objects.filter(deployment__workspace=workspace, **INCIDENTS).count()


def incident_count():
    """The same count as an expression over a workspace row: the workspace page's badge, loaded with the workspace."""
    return count_of(Alert, "deployment__workspace", **INCIDENTS)


def deployment_rules(deployment):
    """People's rules that apply to the Deployment: its own, then its workspace's."""
    return (
        AlertRule.objects.filter(
            Q(deployment=deployment) | Q(deployment__isnull=True, workspace=deployment.workspace_id)
        )
        .select_related("deployment")
        .order_by("deployment_id", "name", "pk")
    )


def workspace_rules(workspace):
    return AlertRule.objects.filter(workspace=workspace, deployment__isnull=True).order_by("name", "pk")


def builtins_off(deployment) -> set[str]:
    """Keys of the built-in incident rules turned off for the Deployment (without a setting, one is on)."""
    return set(BuiltinRuleSetting.objects.filter(deployment=deployment, enabled=False).values_list("key", flat=True))


def builtin_rules(deployment) -> list[dict]:
    """Every built-in incident rule with whether it is on for the Deployment."""
    off = builtins_off(deployment)
    return [{"key": key, "rule": rule, "enabled": key not in off} for key, rule in promql.BUILTINS.items()]


def silences(deployment, *, now):
    """Active and upcoming silences first (soonest end first), then a few past ones."""
    current = Silence.objects.filter(deployment=deployment, cancelled_at__isnull=True, ends_at__gt=now)
    past = Silence.objects.filter(deployment=deployment).exclude(pk__in=current.values("pk"))
    return list(current.order_by("ends_at")), list(past.order_by("-ends_at")[:10])
