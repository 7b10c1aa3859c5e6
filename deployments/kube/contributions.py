"""What apps above `deployments` add to a Deployment's desired state, without `deployments` importing them.

Layering forbids `deployments` to import `monitoring`, yet a Deployment's alert rules are part of what reconcile
applies (a PrometheusRule in its namespace). So the monitoring app registers a provider here when it loads
(`MonitoringConfig.ready`), and `deployments.selectors.deployment_spec` asks it for plain data (an
`AlertRulesSpec`: rule groups as dicts, selector labels) that render places without knowing what the rules mean.
Without a provider (an install without monitoring) no PrometheusRule is rendered.
"""

from collections.abc import Callable

from deployments.kube.spec import AlertRulesSpec

_alert_rules_provider: Callable[..., AlertRulesSpec] | None = None


def register_alert_rules(provider: Callable[..., AlertRulesSpec]) -> None:
    """`provider(deployment)` answers the Deployment's AlertRulesSpec; registering again replaces it."""
    global _alert_rules_provider
    _alert_rules_provider = provider


def alert_rules(deployment) -> AlertRulesSpec:
    return _alert_rules_provider(deployment) if _alert_rules_provider else AlertRulesSpec()
