"""What every part of the renderer shares: names, labels, metadata, quantities and the components' vocabulary."""

import base64
import hashlib
import re
from decimal import Decimal

import yaml

from deployments.catalog import Size
from deployments.kube.spec import DeploymentSpec

LABEL_MANAGED = "aerodrome.io/managed-by"
MANAGED_BY = "aerodrome"
LABEL_DEPLOYMENT = "aerodrome.io/deployment"
LABEL_WORKSPACE = "aerodrome.io/workspace"
LABEL_ORGANIZATION = "aerodrome.io/organization"
LABEL_QUEUE = "aerodrome.io/queue"
LABEL_INSTANCE = "app.kubernetes.io/instance"
LABEL_COMPONENT = "app.kubernetes.io/component"
ANNOTATION_CONFIG_HASH = "aerodrome.io/config-hash"

INGRESS_CLASS = "nginx"
INGRESS_CONTROLLER_NAMESPACE = "ingress-nginx"

AIRFLOW_HOME = "/opt/airflow"
AIRFLOW_UID = 50000
AIRFLOW_PORT = 8080
WORKER_LOG_PORT = 8793
STATSD_PORT = 9125
STATSD_SCRAPE_PORT = 9102
PGBOUNCER_PORT = 6543
REDIS_PORT = 6379
FLOWER_PORT = 5555
POD_TEMPLATE_DIR = f"{AIRFLOW_HOME}/pod_templates"
CONFIG_DIR = f"{AIRFLOW_HOME}/config"  # on sys.path of every Airflow process

# Component names, as the chart calls them.
SCHEDULER = "scheduler"
API_SERVER = "api-server"
WEBSERVER = "webserver"
TRIGGERER = "triggerer"
DAG_PROCESSOR = "dag-processor"
WORKER = "worker"
STATSD = "statsd"
PGBOUNCER = "pgbouncer"
REDIS = "redis"
FLOWER = "flower"

_MAX_NAME = 63


def dns_name(*parts: str) -> str:
    """`<release>-<thing>` as a DNS-1123 label: at most 63 characters, long names cut and suffixed with a hash so
    that two long queue names never collide."""
    name = "-".join(parts)
    if len(name) <= _MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: _MAX_NAME - 9].rstrip('-')}-{digest}"


def label_value(value: str) -> str:
    """A label value: at most 63 characters, starting and ending with an alphanumeric."""
    return value[:63].strip("-_.")


def labels(spec: DeploymentSpec, component: str | None = None, **extra: str) -> dict:
    result = {
        "app.kubernetes.io/name": "airflow",
        LABEL_INSTANCE: spec.release_name,
    }
    if component:
        result[LABEL_COMPONENT] = component
    result.update(
        {
            "app.kubernetes.io/version": label_value(spec.airflow_version),
            "app.kubernetes.io/managed-by": MANAGED_BY,
            LABEL_MANAGED: MANAGED_BY,
            LABEL_DEPLOYMENT: spec.release_name,
            LABEL_WORKSPACE: str(spec.workspace_id),
            LABEL_ORGANIZATION: label_value(spec.organization_slug),
        }
    )
    result.update(extra)
    return result


def selector(spec: DeploymentSpec, component: str, **extra: str) -> dict:
    """Only labels that never change for the life of a workload (selectors are immutable; no version here)."""
    return {LABEL_INSTANCE: spec.release_name, LABEL_COMPONENT: component, **extra}


def meta(spec: DeploymentSpec, name: str, component: str | None = None, **extra_labels: str) -> dict:
    return {"name": name, "namespace": spec.namespace, "labels": labels(spec, component, **extra_labels)}


def cpu(cores: Decimal) -> str:
    cores = Decimal(cores)
    if cores == cores.to_integral_value():
        return str(int(cores))
    return f"{int(cores * 1000)}m"


def memory(mib: int) -> str:
    return f"{mib}Mi"


def resources(size: Size) -> dict:
    """Requests equal limits: Guaranteed QoS, and exactly what the quota was computed from."""
    amounts = {"cpu": cpu(size.cpu), "memory": memory(size.memory_mib)}
    return {"requests": dict(amounts), "limits": dict(amounts)}


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def airflow_image(spec: DeploymentSpec) -> str:
    """Pinned by digest after an image deploy, so what runs is exactly what was deployed."""
    if spec.image_digest:
        return f"{spec.image_repository}@{spec.image_digest}"
    return f"{spec.image_repository}:{spec.image_tag}"


def is_v3(spec: DeploymentSpec) -> bool:
    return spec.airflow_major >= 3


def airflow_at_least(spec: DeploymentSpec, *version: int) -> bool:
    """Whether the Deployment's Airflow is this version or newer (compared on the numeric parts)."""
    parts = tuple(int(part) for part in re.findall(r"\d+", spec.airflow_version)[: len(version)])
    return parts >= version


def ui_component(spec: DeploymentSpec) -> str:
    return API_SERVER if is_v3(spec) else WEBSERVER


def has_triggerer(spec: DeploymentSpec) -> bool:
    return spec.triggerer_replicas > 0


def service_account_name(spec: DeploymentSpec, component: str) -> str:
    return dns_name(spec.release_name, component)


def service(spec: DeploymentSpec, component: str, ports: list[dict]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(spec, dns_name(spec.release_name, component), component),
        "spec": {"type": "ClusterIP", "selector": selector(spec, component), "ports": ports},
    }


def port(name: str, number: int, protocol: str = "TCP") -> dict:
    return {"name": name, "port": number, "targetPort": name, "protocol": protocol}


def disruption_budget(spec: DeploymentSpec, component: str) -> dict:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(spec, dns_name(spec.release_name, component), component),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(spec, component)}},
    }


def allow_from_namespace(
    spec: DeploymentSpec, name: str, pods: dict, namespace: str, port: int, component: str | None = None
) -> dict:
    """A NetworkPolicy `<release>-<name>` that lets pods of `namespace` through the default-deny policy to TCP
    `port` of the pods matching the labels `pods`."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(spec, dns_name(spec.release_name, name), component),
        "spec": {
            "podSelector": {"matchLabels": pods},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}],
                    "ports": [{"protocol": "TCP", "port": port}],
                }
            ],
        },
    }


_SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def safe_yaml(data) -> str:
    """What `yaml.safe_dump(data, sort_keys=False)` writes, from libyaml's emitter when PyYAML has it (the same text,
    several times faster than the pure-Python one)."""
    return yaml.dump(data, Dumper=_SAFE_DUMPER, sort_keys=False)
