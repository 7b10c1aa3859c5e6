"""Building blocks of the pods: security contexts, the Airflow container (secrets as environment, airflow.cfg
mounted from the ConfigMap), probes, the migration init container and the Deployment around a pod."""

from decimal import Decimal

from deployments import quota
from deployments.catalog import Size
from deployments.kube.render import async_engine, dags
from deployments.kube.render.base import (
    AIRFLOW_HOME,
    AIRFLOW_UID,
    ANNOTATION_CONFIG_HASH,
    POD_TEMPLATE_DIR,
    airflow_image,
    dns_name,
    labels,
    meta,
    resources,
    selector,
    service_account_name,
)
from deployments.kube.render.secrets import airflow_secret_refs
from deployments.kube.spec import DeploymentSpec


def task_pod_size(spec: DeploymentSpec) -> Size:
    return Size(Decimal(spec.task_pod_cpu), spec.task_pod_memory_mib)


def container_security() -> dict:
    # Satisfies pod security "restricted" (and so "baseline"): no privilege escalation, no capabilities.
    return {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def pod_security(uid: int, gid: int, fs_group: int) -> dict:
    return {
        "runAsUser": uid,
        "runAsGroup": gid,
        "fsGroup": fs_group,
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def airflow_pod_security() -> dict:
    # As in the chart: the airflow user, group 0 (the official image makes AIRFLOW_HOME group-writable).
    return pod_security(AIRFLOW_UID, 0, 0)


def _airflow_env(spec: DeploymentSpec) -> list[dict]:
    return [
        {"name": env, "valueFrom": {"secretKeyRef": {"name": dns_name(spec.release_name, suffix), "key": key}}}
        for suffix, key, env in airflow_secret_refs(spec)
    ]


def airflow_volumes(spec: DeploymentSpec) -> list[dict]:
    return [
        {"name": "config", "configMap": {"name": dns_name(spec.release_name, "config")}},
        {"name": "logs", "emptyDir": {}},
    ]


def _airflow_mounts(spec: DeploymentSpec, with_pod_template: bool) -> list[dict]:
    mounts = [
        {"name": "config", "mountPath": f"{AIRFLOW_HOME}/airflow.cfg", "subPath": "airflow.cfg", "readOnly": True},
        {"name": "logs", "mountPath": f"{AIRFLOW_HOME}/logs"},
    ]
    if async_engine.configured(spec):
        mounts.append(
            {"name": "config", "mountPath": async_engine.MOUNT_PATH, "subPath": async_engine.FILE, "readOnly": True}
        )
    if with_pod_template and not spec.is_celery:
        mounts.append(
            {
                "name": "config",
                "mountPath": f"{POD_TEMPLATE_DIR}/pod_template_file.yaml",
                "subPath": "pod_template_file.yaml",
                "readOnly": True,
            }
        )
    return mounts


def airflow_container(
    spec: DeploymentSpec,
    name: str,
    size: Size,
    args: list[str] | None,
    *,
    with_pod_template: bool = True,
    extra_env: list[dict] | None = None,
) -> dict:
    container = {"name": name, "image": airflow_image(spec), "imagePullPolicy": "IfNotPresent"}
    if args is not None:
        container["args"] = args  # the image's entrypoint runs `airflow ...` commands
    container.update(
        {
            # The user's variables first; ours after them win (and the service layer forbids clashes anyway).
            "envFrom": [{"secretRef": {"name": dns_name(spec.release_name, "env")}}],
            "env": _airflow_env(spec) + (extra_env or []),
            "resources": resources(size),
            "securityContext": container_security(),
            "volumeMounts": _airflow_mounts(spec, with_pod_template),
        }
    )
    return container


def job_check_probe(job_type: str) -> dict:
    # The chart's liveness check: is this process's job heartbeating in the metadata database?
    command = (
        "CONNECTION_CHECK_MAX_COUNT=0 AIRFLOW__LOGGING__LOGGING_LEVEL=ERROR "
        f"exec /entrypoint airflow jobs check --job-type {job_type} --local"
    )
    return {
        "exec": {"command": ["sh", "-c", command]},
        "initialDelaySeconds": 10,
        "periodSeconds": 60,
        "timeoutSeconds": 20,
        "failureThreshold": 5,
    }


def http_probe(path: str, port: str, *, period: int, failures: int) -> dict:
    return {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }


def _init_container(spec: DeploymentSpec, size: Size, migrate: bool) -> dict:
    """The scheduler migrates the metadata database before it starts (`airflow db migrate` is idempotent and
    locks, so two scheduler replicas are safe); everything else waits until the schema is current. Same size
    as the main container, so the pod's effective request (and the quota) do not change."""
    args = (
        ["airflow", "db", "migrate"]
        if migrate
        else ["airflow", "db", "check-migrations", "--migration-wait-timeout=60"]
    )
    name = "run-airflow-migrations" if migrate else "wait-for-airflow-migrations"
    return airflow_container(spec, name, size, args, with_pod_template=False)


def pod_template_spec(
    spec: DeploymentSpec,
    component: str,
    pod_spec: dict,
    config_hash: str,
    **extra_labels: str,
) -> dict:
    return {
        "metadata": {
            "labels": labels(spec, component, **extra_labels),
            "annotations": {ANNOTATION_CONFIG_HASH: config_hash},
        },
        "spec": pod_spec,
    }


def deployment(
    spec: DeploymentSpec,
    name: str,
    component: str,
    replicas: int | None,
    pod_spec: dict,
    config_hash: str,
    *,
    max_replicas: int | None = None,
    **extra_labels: str,
) -> dict:
    body = {}
    if replicas is not None:  # None: an autoscaler owns the replica count (up to max_replicas): apply none
        body["replicas"] = replicas
    body["selector"] = {"matchLabels": selector(spec, component, **extra_labels)}
    # New pods start before old ones stop, so a rollout never lowers capacity; the quota has room for them.
    surge = quota.max_surge(max_replicas or replicas)
    body["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": 0}}
    body["template"] = pod_template_spec(spec, component, pod_spec, config_hash, **extra_labels)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(spec, name, component, **extra_labels),
        "spec": body,
    }


def airflow_pod_spec(
    spec: DeploymentSpec,
    component: str,
    container: dict,
    size: Size,
    *,
    migrate: bool = False,
    grace_seconds: int | None = None,
) -> dict:
    pod_spec = {"serviceAccountName": service_account_name(spec, component)}
    if grace_seconds is not None:
        pod_spec["terminationGracePeriodSeconds"] = grace_seconds
    init_containers = [_init_container(spec, size, migrate)]
    containers = [container]
    volumes = airflow_volumes(spec)
    if dags.reads_dags(spec, component):
        # The first fetch before Airflow starts, then the sidecar that keeps the DAGs current.
        for airflow in (*init_containers, container):
            airflow["volumeMounts"].append(dags.airflow_mount())
        init_containers.insert(0, dags.init_container(spec))
        containers.append(dags.sidecar(spec))
        volumes.append(dags.volume())
    pod_spec.update(
        {
            "securityContext": airflow_pod_security(),
            "initContainers": init_containers,
            "containers": containers,
            "volumes": volumes,
        }
    )
    return pod_spec
