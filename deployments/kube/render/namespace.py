"""The namespace and its guard rails: pod security labels, the ResourceQuota, the LimitRange and the
NetworkPolicies (deny by default, open within the namespace, the UI reachable from the ingress controller)."""

from deployments import catalog, quota
from deployments.catalog import Size, TLSMode
from deployments.kube.render.base import (
    AIRFLOW_PORT,
    INGRESS_CONTROLLER_NAMESPACE,
    allow_from_namespace,
    cpu,
    dns_name,
    labels,
    memory,
    meta,
    selector,
    ui_component,
)
from deployments.kube.spec import DeploymentSpec

# cert-manager answers an ACME HTTP-01 challenge from a solver pod it starts in the Ingress's namespace, labelled
# so and listening on this port; the ingress controller must reach it or no certificate is ever issued.
ACME_SOLVER_LABEL = "acme.cert-manager.io/http01-solver"
ACME_SOLVER_PORT = 8089

# What a container gets when it says nothing (pods users launch themselves, e.g. KubernetesPodOperator). Our own
# containers all state CPU and memory; ephemeral storage always comes from here (the quota requires it).
_DEFAULT_LIMIT = {"cpu": "500m", "memory": "512Mi"}
_DEFAULT_REQUEST = {"cpu": "100m", "memory": "256Mi"}
_MAX_EPHEMERAL_MIB = 2048


def objects(spec: DeploymentSpec) -> list[dict]:
    return [_namespace(spec), _resource_quota(spec), _limit_range(spec), *_network_policies(spec)]


def _namespace(spec: DeploymentSpec) -> dict:
    namespace_labels = labels(spec)
    # Baseline is enforced (no privileged pods, host namespaces...); restricted is what we aim for, so a pod
    # that falls short of it shows up as a warning and in the audit log rather than failing to start.
    namespace_labels.update(
        {
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
        }
    )
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": spec.namespace, "labels": namespace_labels}}


def _resource_quota(spec: DeploymentSpec) -> dict:
    figures = quota.for_spec(spec)
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": meta(spec, dns_name(spec.release_name, "quota")),
        "spec": {
            "hard": {
                "requests.cpu": figures.cpu_quantity,
                "limits.cpu": figures.cpu_quantity,
                "requests.memory": figures.memory_quantity,
                "limits.memory": figures.memory_quantity,
                "pods": str(figures.pods),
                "requests.ephemeral-storage": figures.ephemeral_storage_quantity,
                "limits.ephemeral-storage": figures.ephemeral_storage_quantity,
            }
        },
    }


def _ephemeral_storage_mib(spec: DeploymentSpec) -> int:
    """Each pod's share of the namespace's ephemeral storage: the quota's pod count times this fits the quota,
    so scaling out is never refused for storage (many task pods each get less, never none)."""
    figures = quota.for_spec(spec)
    return min(_MAX_EPHEMERAL_MIB, catalog.EPHEMERAL_STORAGE_GIB * 1024 // figures.pods)


def _limit_range(spec: DeploymentSpec) -> dict:
    # The size of every kind of pod this Deployment runs (one main container each, with the DAG sync sidecar where
    # DAGs are read; init containers are no larger): the quota's lines.
    sizes = [line.each for line in quota.for_spec(spec).lines]
    largest = Size(max(s.cpu for s in sizes), max(s.memory_mib for s in sizes))
    ephemeral = _ephemeral_storage_mib(spec)
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": meta(spec, dns_name(spec.release_name, "limits")),
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {**_DEFAULT_LIMIT, "ephemeral-storage": memory(ephemeral)},
                    "defaultRequest": {**_DEFAULT_REQUEST, "ephemeral-storage": memory(min(128, ephemeral))},
                },
                # No single pod may be larger than the largest one we run, so one runaway pod cannot take the
                # whole quota.
                {"type": "Pod", "max": {"cpu": cpu(largest.cpu), "memory": memory(largest.memory_mib)}},
            ]
        },
    }


def _network_policies(spec: DeploymentSpec) -> list[dict]:
    api = "networking.k8s.io/v1"
    ui = ui_component(spec)
    policies = [
        {
            "apiVersion": api,
            "kind": "NetworkPolicy",
            "metadata": meta(spec, dns_name(spec.release_name, "default-deny-ingress")),
            # An empty podSelector with no ingress rules: nothing gets in unless another policy allows it.
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        },
        {
            "apiVersion": api,
            "kind": "NetworkPolicy",
            "metadata": meta(spec, dns_name(spec.release_name, "allow-same-namespace")),
            # The components talk to each other freely (scheduler -> pgbouncer, workers -> redis, log fetching).
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}]},
        },
        # Only the UI is reachable from outside, and only through the cluster's ingress controller.
        allow_from_namespace(
            spec, "allow-ingress-controller", selector(spec, ui), INGRESS_CONTROLLER_NAMESPACE, AIRFLOW_PORT, ui
        ),
    ]
    if spec.tls.mode == TLSMode.CLUSTER_ISSUER:
        # Harmless with a DNS-01 issuer (no solver pod then); required with HTTP-01.
        solver = {ACME_SOLVER_LABEL: "true"}
        policies.append(
            allow_from_namespace(spec, "allow-acme-solver", solver, INGRESS_CONTROLLER_NAMESPACE, ACME_SOLVER_PORT)
        )
    return policies
