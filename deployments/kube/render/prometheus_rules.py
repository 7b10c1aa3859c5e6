"""The Deployment's alert rules as a prometheus-operator `PrometheusRule` in its namespace.

The rule groups arrive as plain data in the spec (`spec.alert_rules`, provided by the monitoring app through
`deployments.kube.contributions`); this module only wraps them, labelled with our ownership labels plus the
cluster's rule selector labels, so the cluster's Prometheus loads them.
"""

import copy

from deployments.kube.render.base import dns_name, meta
from deployments.kube.spec import DeploymentSpec

API_VERSION = "monitoring.coreos.com/v1"
KIND = "PrometheusRule"


def name(spec: DeploymentSpec) -> str:
    return dns_name(spec.release_name, "alerts")


def objects(spec: DeploymentSpec) -> list[dict]:
    if not spec.alert_rules.groups:
        return []
    metadata = meta(spec, name(spec), "alerts")
    metadata["labels"].update(dict(spec.alert_rules.labels))
    return [
        {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "metadata": metadata,
            "spec": {"groups": copy.deepcopy(list(spec.alert_rules.groups))},
        }
    ]
