"""The statsd exporter that turns Airflow's metrics into Prometheus ones: its mappings ConfigMap, Deployment and
Service, and, on a cluster with a Prometheus, the PodMonitor that has the Prometheus operator scrape it and the
NetworkPolicy that lets the monitoring namespace through the default-deny policy to its scrape port."""

from deployments import catalog
from deployments.kube.render.base import (
    STATSD,
    STATSD_PORT,
    STATSD_SCRAPE_PORT,
    allow_from_namespace,
    dns_name,
    meta,
    port,
    resources,
    safe_yaml,
    selector,
    service,
    service_account_name,
)
from deployments.kube.render.pods import container_security, deployment, http_probe, pod_security
from deployments.kube.spec import DeploymentSpec

STATSD_IMAGE = "quay.io/prometheus/statsd-exporter:v0.28.0"
SCRAPE_INTERVAL = "30s"  # about 2 points a minute: the heartbeat chart's "12 a minute" stays readable
NOBODY = 65534  # the statsd-exporter image runs as nobody


# Airflow's statsd metrics as labelled Prometheus series. Based on the official Airflow Helm chart's
# files/statsd-mappings.yml (same series names where the chart has one), with the labels people filter by pulled out
# of the dotted names: dag_id, task_id, queue, pool, state. monitoring/metrics/SERIES.md lists what comes out, and
# the Metrics tab, the alert rules and the overview query only those names. Series carry `namespace` and `pod` from
# the PodMonitor's scrape. Timers become summaries in seconds (`_count` counts events, `_sum` adds durations).
def _m(match: str, name: str, match_type: str = "", **labels: str) -> dict:
    mapping = {"match": match}
    if match_type:
        mapping["match_type"] = match_type
    mapping["name"] = name
    if labels:
        mapping["labels"] = labels
    return mapping


_POOL_STATES = ("open", "queued", "running", "deferred", "scheduled")
_TI_STATES = ("scheduled", "queued", "running", "deferred")
_EXECUTOR_GAUGES = ("open_slots", "queued_tasks", "running_tasks")

_STATSD_MAPPINGS = {
    "mappings": [
        # heartbeats (counters): about 12 a minute per healthy scheduler
        _m("airflow.scheduler_heartbeat", "airflow_scheduler_heartbeat"),
        _m("airflow.triggerer_heartbeat", "airflow_triggerer_heartbeat"),
        # DAG runs that finished, by state (timers: `_count` is the number of runs)
        _m("airflow.dagrun.duration.success.*", "airflow_dagrun_duration", dag_id="$1", state="success"),
        _m("airflow.dagrun.duration.failed.*", "airflow_dagrun_duration", dag_id="$1", state="failed"),
        _m("airflow.dagrun.schedule_delay.*", "airflow_dagrun_schedule_delay", dag_id="$1"),
        _m("airflow.dagrun.dependency-check.*", "airflow_dagrun_dependency_check", dag_id="$1"),
        # task instances that finished, by state (counter), and that started
        _m("airflow.ti.finish.*.*.*", "airflow_ti_finish", dag_id="$1", task_id="$2", state="$3"),
        _m("airflow.ti.start.*.*", "airflow_ti_start", dag_id="$1", task_id="$2"),
        _m("airflow.dag.*.*.duration", "airflow_task_duration", dag_id="$1", task_id="$2"),
        # task instances in each state right now, per worker queue (gauges, Airflow 2.10+)
        *(
            _m(
                f"airflow.ti.{state}.*.*.*",
                "airflow_task_instances",
                state=state,
                queue="$1",
                dag_id="$2",
                task_id="$3",
            )
            for state in _TI_STATES
        ),
        # executor slots and tasks (gauges); `executor` is empty unless several executors are configured
        *(_m(f"airflow.executor.{gauge}", f"airflow_executor_{gauge}", executor="") for gauge in _EXECUTOR_GAUGES),
        *(_m(f"airflow.executor.{gauge}.*", f"airflow_executor_{gauge}", executor="$1") for gauge in _EXECUTOR_GAUGES),
        # pools (gauges)
        *(_m(f"airflow.pool.{state}_slots.*", "airflow_pool_slots", pool="$1", state=state) for state in _POOL_STATES),
        _m("airflow.pool.starving_tasks.*", "airflow_pool_starving_tasks", pool="$1"),
        # DAG file processing
        _m("airflow.dag_processing.last_duration.*", "airflow_dag_processing_last_duration", dag_file="$1"),
        _m(
            "airflow.dag_processing.last_run.seconds_ago.*",
            "airflow_dag_processing_last_run_seconds_ago",
            dag_file="$1",
        ),
        # operators
        _m(r"airflow\.operator_successes_(.*)", "airflow_operator_successes", "regex", operator="$1"),
        _m(r"airflow\.operator_failures_(.*)", "airflow_operator_failures", "regex", operator="$1"),
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
        *scraping(spec),
    ]


def scraping(spec: DeploymentSpec) -> list[dict]:
    """The PodMonitor and the NetworkPolicy that let the cluster's Prometheus (in `spec.monitoring_namespace`)
    scrape the exporter; nothing without a monitoring namespace."""
    if not spec.monitoring_namespace:
        return []
    name = dns_name(spec.release_name, STATSD)
    metadata = meta(spec, name, STATSD)
    # The cluster's selector labels: its Prometheus picks PodMonitors by them as it picks PrometheusRules
    # (kube-prometheus-stack: `release=<its release>` for both).
    metadata["labels"].update(dict(spec.alert_rules.labels))
    pod_monitor = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": metadata,
        "spec": {
            # job="<namespace>/<release>-statsd"; the operator adds namespace, pod and container to every series.
            "selector": {"matchLabels": selector(spec, STATSD)},
            "namespaceSelector": {"matchNames": [spec.namespace]},
            "podMetricsEndpoints": [{"port": "statsd-scrape", "path": "/metrics", "interval": SCRAPE_INTERVAL}],
        },
    }
    network_policy = allow_from_namespace(
        spec, "allow-monitoring", selector(spec, STATSD), spec.monitoring_namespace, STATSD_SCRAPE_PORT, STATSD
    )
    return [pod_monitor, network_policy]
