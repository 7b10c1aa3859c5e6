"""Render one Deployment's desired state as Kubernetes objects.

`render(spec)` is pure: no I/O, no models, no randomness, no clock. The same spec always gives the same list of
plain dicts, in the same order (the Namespace first, then by kind in `MANAGED_KINDS` order, then by name), ready
for server-side apply. Names and Airflow configuration follow the official Apache Airflow Helm chart
(`<release>-<thing>`), so people who know the chart find their way around.

The modules follow the chart's templates: `namespace` (the namespace and its guard rails), `identity`
(ServiceAccounts and RBAC), `secrets` and `config` (what the Airflow containers read), `pods` (the building blocks
of every pod), then one module per component, each rendering its workload with its Service, disruption budget or
autoscaler.

One namespace per Deployment (`aerodrome-<release>`) holds everything; the reconciler lists and prunes what it
owns with `owned_selector` over `MANAGED_KINDS`.
"""

from deployments.kube.render import (
    api_server,
    config,
    dag_processor,
    flower,
    identity,
    ingress,
    namespace,
    pgbouncer,
    prometheus_rules,
    redis,
    scheduler,
    secrets,
    statsd,
    triggerer,
    workers,
)
from deployments.kube.render.base import (
    ANNOTATION_CONFIG_HASH,
    LABEL_DEPLOYMENT,
    LABEL_MANAGED,
    MANAGED_BY,
    has_triggerer,
    is_v3,
)
from deployments.kube.render.config import EXPECTED_ENV_RESERVED
from deployments.kube.render.output import REDACTED, redact, to_yaml
from deployments.kube.spec import DeploymentSpec

__all__ = [
    "ANNOTATION_CONFIG_HASH",
    "CUSTOM_KINDS",
    "EXPECTED_ENV_RESERVED",
    "LABEL_DEPLOYMENT",
    "LABEL_MANAGED",
    "MANAGED_BY",
    "MANAGED_KINDS",
    "REDACTED",
    "owned_selector",
    "redact",
    "render",
    "to_yaml",
]

# Kinds a cluster has only when an operator installed their CRD (the prometheus-operator's): listing them where it
# did not finds nothing. A PodMonitor on clusters with a Prometheus; a PrometheusRule with alert rules
# (monitoring.alerts).
_CUSTOM = [("monitoring.coreos.com/v1", "PodMonitor"), (prometheus_rules.API_VERSION, prometheus_rules.KIND)]
CUSTOM_KINDS: frozenset[tuple[str, str]] = frozenset(_CUSTOM)

# Everything render can produce, in apply order: the namespace and its guard rails first, identities and
# configuration before the workloads that use them, the ingress, and last the custom resources.
MANAGED_KINDS: list[tuple[str, str]] = [
    ("v1", "Namespace"),
    ("v1", "ResourceQuota"),
    ("v1", "LimitRange"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("v1", "ServiceAccount"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "Ingress"),
    *_CUSTOM,
]


def custom_kinds(spec: DeploymentSpec) -> frozenset[tuple[str, str]]:
    """The custom kinds reconcile lists for this spec: those of a cluster with a Prometheus (a no-op reconcile's reads
    stay within budget elsewhere). Both are listed whenever the cluster has one, so a PrometheusRule whose last rule
    was turned off is pruned; a PodMonitor left behind when the cluster loses its Prometheus URL goes with the
    namespace, not before."""
    return CUSTOM_KINDS if spec.monitoring_namespace else frozenset()


_KIND_ORDER = {pair: index for index, pair in enumerate(MANAGED_KINDS)}


def render(spec: DeploymentSpec) -> list[dict]:
    """Every object of one Deployment, Namespace first, then by kind (MANAGED_KINDS order) and name."""
    configuration = [
        *secrets.objects(spec),
        *pgbouncer.configuration(spec),
        *config.objects(spec),
        *statsd.configuration(spec),
    ]
    hashes = config.hashes(spec, configuration)
    objects = [*namespace.objects(spec), *identity.objects(spec), *configuration]
    for component in _components(spec):
        objects += component.objects(spec, hashes)
    objects += ingress.objects(spec)
    objects += prometheus_rules.objects(spec)
    return sorted(objects, key=_order)


def _components(spec: DeploymentSpec) -> list:
    components = [scheduler, api_server, statsd, pgbouncer]
    if has_triggerer(spec):
        components.append(triggerer)
    if is_v3(spec):
        components.append(dag_processor)
    if spec.is_celery:
        components += [redis, flower, workers]
    return components


def owned_selector(spec_or_release: DeploymentSpec | str) -> str:
    """The label selector matching every object Aerodrome owns for one release."""
    release = spec_or_release if isinstance(spec_or_release, str) else spec_or_release.release_name
    return f"{LABEL_MANAGED}={MANAGED_BY},{LABEL_DEPLOYMENT}={release}"


def _order(obj: dict) -> tuple:
    return (_KIND_ORDER[(obj["apiVersion"], obj["kind"])], obj["metadata"]["name"])
