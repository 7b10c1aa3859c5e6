"""The statsd exporter that turns Airflow's metrics into Prometheus ones: its mappings ConfigMap, Deployment and
Service."""

from deployments import catalog
from deployments.kube.render.base import (
    STATSD,
    STATSD_PORT,
    STATSD_SCRAPE_PORT,
    dns_name,
    meta,
    port,
    resources,
    safe_yaml,
    service,
    service_account_name,
)
from deployments.kube.render.pods import container_security, deployment, http_probe, pod_security
from deployments.kube.spec import DeploymentSpec

STATSD_IMAGE = "quay.io/prometheus/statsd-exporter:v0.28.0"
NOBODY = 65534  # the statsd-exporter image runs as nobody

# Our own short statsd mapping set: tag-style labels for the per-DAG and per-pool metrics people chart most.
_STATSD_MAPPINGS = {
    "mappings": [
        {
            "match": "airflow.dag.*.*.duration",
            "name": "airflow_task_duration",
            "labels": {"dag_id": "$1", "task_id": "$2"},
        },
        {
            "match": "airflow.dagrun.duration.success.*",
            "name": "airflow_dagrun_success_duration",
            "labels": {"dag_id": "$1"},
        },
        {
            "match": "airflow.dagrun.duration.failed.*",
            "name": "airflow_dagrun_failed_duration",
            "labels": {"dag_id": "$1"},
        },
        {
            "match": "airflow.dagrun.schedule_delay.*",
            "name": "airflow_dagrun_schedule_delay",
            "labels": {"dag_id": "$1"},
        },
        {"match": "airflow.pool.open_slots.*", "name": "airflow_pool_open_slots", "labels": {"pool": "$1"}},
        {"match": "airflow.pool.queued_slots.*", "name": "airflow_pool_queued_slots", "labels": {"pool": "$1"}},
        {"match": "airflow.pool.running_slots.*", "name": "airflow_pool_running_slots", "labels": {"pool": "$1"}},
        {
            "match": "airflow.ti.finish.*.*.*",
            "name": "airflow_ti_finish",
            "labels": {"dag_id": "$1", "task_id": "$2", "state": "$3"},
        },
    ]
}


_STATSD_MAPPINGS_YAML = safe_yaml(_STATSD_MAPPINGS)  # the same for every Deployment


def configuration(spec: DeploymentSpec) -> list[dict]:
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta(spec, dns_name(spec.release_name, STATSD), STATSD),
            "data": {"mappings.yml": _STATSD_MAPPINGS_YAML},
        }
    ]


def objects(spec: DeploymentSpec, hashes: dict) -> list[dict]:
    container = {
        "name": STATSD,
        "image": STATSD_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "args": [
            "--statsd.mapping-config=/etc/statsd-exporter/mappings.yml",
            f"--statsd.listen-udp=:{STATSD_PORT}",
            f"--web.listen-address=:{STATSD_SCRAPE_PORT}",
        ],
        "ports": [
            {"name": "statsd-ingest", "containerPort": STATSD_PORT, "protocol": "UDP"},
            {"name": "statsd-scrape", "containerPort": STATSD_SCRAPE_PORT, "protocol": "TCP"},
        ],
        "readinessProbe": http_probe("/metrics", "statsd-scrape", period=10, failures=3),
        "livenessProbe": http_probe("/metrics", "statsd-scrape", period=30, failures=5),
        "resources": resources(catalog.STATSD),
        "securityContext": {**container_security(), "readOnlyRootFilesystem": True},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/statsd-exporter", "readOnly": True}],
    }
    pod_spec = {
        "serviceAccountName": service_account_name(spec, STATSD),
        "securityContext": pod_security(NOBODY, NOBODY, NOBODY),
        "containers": [container],
        "volumes": [{"name": "config", "configMap": {"name": dns_name(spec.release_name, STATSD)}}],
    }
    return [
        deployment(spec, dns_name(spec.release_name, STATSD), STATSD, 1, pod_spec, hashes[STATSD]),
        service(spec, STATSD, [port("statsd-ingest", STATSD_PORT, "UDP"), port("statsd-scrape", STATSD_SCRAPE_PORT)]),
    ]
