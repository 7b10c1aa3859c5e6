"""A Deployment's alert rules as the plain data render places in its PrometheusRule (`AlertRulesSpec`).

Registered with `deployments.kube.contributions` when the monitoring app loads, so `deployments` renders the rules
without importing this app. Rules render only on clusters with a Prometheus (a Prometheus URL: it runs the
prometheus-operator that loads PrometheusRules); the built-in manifests-only cluster and clusters without
monitoring get none, so their manifests hold no custom resource their cluster could not accept.
"""

from django.conf import settings

from deployments.kube.spec import AlertRulesSpec
from monitoring.alerts import promql, selectors


def rule_selector_labels(text: str) -> tuple[tuple[str, str], ...]:
    """`key=value` pairs (comma separated) of a cluster's rule selector setting; assumes it was validated."""
    pairs = []
    for item in (text or "").split(","):
        if item.strip():
            key, _, value = item.partition("=")
            pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


def capacity(deployment) -> int:
    if deployment.is_celery:
        return sum(q.max_workers * q.concurrency for q in deployment.queues.all())
    return deployment.max_task_pods


def alert_rules_for(deployment) -> AlertRulesSpec:
    cluster = deployment.cluster
    if cluster is None or not cluster.prometheus_url:
        return AlertRulesSpec()
    off = selectors.builtins_off(deployment)
    target = promql.Target(deployment_id=deployment.pk, namespace=deployment.namespace, capacity=capacity(deployment))
    groups = promql.rule_groups(
        target=target,
        builtins=[key for key in promql.BUILTINS if key not in off],
        rules=list(selectors.deployment_rules(deployment).filter(enabled=True).order_by("pk")),
        interval_seconds=settings.ALERT_RULE_INTERVAL_SECONDS,
        window_seconds=settings.ALERT_EVENT_WINDOW_SECONDS,
    )
    return AlertRulesSpec(groups=tuple(groups), labels=rule_selector_labels(cluster.prometheus_rule_labels))
