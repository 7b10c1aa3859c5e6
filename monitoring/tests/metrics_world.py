"""Two Deployments, in two organisations and two namespaces, on one platform cluster whose Prometheus (a real one)
scrapes a test exporter serving Airflow-shaped series (as the statsd mapping names them) and cAdvisor- and
kube-state-metrics-shaped series for both, with three hours of history backfilled by promtool.

Deployment A (Acme) and B (Globex) get different, round figures, so a test can tell whose series it sees:

| figure | A | B |
|---|---|---|
| scheduler heartbeats per minute | 12 | 6 |
| DAG runs per hour (success / failed) | 30 / 6 | 3 / 0 |
| task instances per hour (success / failed) | 120 / 12 | 9 / 0 |
| running / queued tasks | 4 / 2 | 1 / 7 |
| queued per worker queue | default 2 | default 7 |
| pool slots (open / running / queued), starving | 124 / 4 / 2, 1 | 127 / 1 / 7, 0 |
| scheduler CPU used / requested / limit (cores) | 0.25 / 1 / 1 | 0.5 / 1 / 1 |
| scheduler memory used / requested (bytes) | 1 GiB / 2 GiB | 512 MiB / 2 GiB |
| restarts of the worker pod | 3 | 0 |
"""

import time
from dataclasses import dataclass

from deployments.models import Deployment
from deployments.tests.factories import make_cluster, make_deployment
from monitoring.tests.engines.prometheus import Exporter, PrometheusServer, Sample

HISTORY_HOURS = 3
SCRAPE_INTERVAL = 15  # seconds, like a real Prometheus; the history is as dense
GIB = 1024**3


@dataclass(frozen=True)
class Figures:
    heartbeats_per_minute: float
    dag_runs_per_hour: dict
    tis_per_hour: dict
    running: float
    queued: float
    pool: dict
    starving: float
    cpu_used: float
    memory_used: float
    worker_restarts: float


A = Figures(12, {"success": 30, "failed": 6}, {"success": 120, "failed": 12}, 4, 2,
            {"open": 124, "running": 4, "queued": 2}, 1, 0.25, 1 * GIB, 3)  # fmt: skip
B = Figures(6, {"success": 3}, {"success": 9}, 1, 7, {"open": 127, "running": 1, "queued": 7}, 0, 0.5, GIB / 2, 0)


RELEASE_A = "steady-heron-0001"
RELEASE_B = "quiet-otter-0002"


def namespace(release: str) -> str:
    return f"aerodrome-{release}"


def pods(release: str) -> dict[str, str]:
    return {
        "scheduler": f"{release}-scheduler-7d9f8b6c5d-x2x9z",
        "worker": f"{release}-worker-default-0",
        "statsd": f"{release}-statsd-5c4b7d9f8-abcde",
    }


def gauges(release: str, figures: Figures) -> list[tuple[str, dict, float]]:
    ns = namespace(release)
    pod = pods(release)
    statsd = {"namespace": ns, "pod": pod["statsd"]}
    rows = [
        ("airflow_executor_running_tasks", {**statsd, "executor": ""}, figures.running),
        ("airflow_executor_queued_tasks", {**statsd, "executor": ""}, figures.queued),
        ("airflow_task_instances", {**statsd, "state": "queued", "queue": "default", "dag_id": "etl"}, figures.queued),
        ("airflow_pool_starving_tasks", {**statsd, "pool": "default_pool"}, figures.starving),
        ("container_memory_working_set_bytes", {"namespace": ns, "pod": pod["scheduler"], "container": "scheduler"},
         figures.memory_used),
        ("kube_pod_container_status_restarts_total", {"namespace": ns, "pod": pod["worker"], "container": "worker"},
         figures.worker_restarts),
    ]  # fmt: skip
    rows += [
        ("airflow_pool_slots", {**statsd, "pool": "default_pool", "state": state}, value)
        for state, value in figures.pool.items()
    ]
    for component, pod_name in (("scheduler", pod["scheduler"]), ("worker", pod["worker"])):
        where = {"namespace": ns, "pod": pod_name, "container": component}
        for metric in ("kube_pod_container_resource_requests", "kube_pod_container_resource_limits"):
            rows.append((metric, {**where, "resource": "cpu", "unit": "core"}, 1.0))
            rows.append((metric, {**where, "resource": "memory", "unit": "byte"}, 2.0 * GIB))
    return rows


def counters(release: str, figures: Figures) -> list[tuple[str, dict, float]]:
    """(name, labels, increase per second)."""
    ns = namespace(release)
    pod = pods(release)
    statsd = {"namespace": ns, "pod": pod["statsd"]}
    rows = [("airflow_scheduler_heartbeat", statsd, figures.heartbeats_per_minute / 60)]
    rows += [
        ("airflow_dagrun_duration_count", {**statsd, "dag_id": "etl", "state": s}, n / 3600)
        for s, n in figures.dag_runs_per_hour.items()
    ]
    rows += [
        ("airflow_ti_finish", {**statsd, "dag_id": "etl", "task_id": "load", "state": s}, n / 3600)
        for s, n in figures.tis_per_hour.items()
    ]
    where = {"namespace": ns, "pod": pod["scheduler"], "container": "scheduler"}
    rows.append(("container_cpu_usage_seconds_total", where, figures.cpu_used))
    return rows


def history(releases_and_figures, *, now: float, target: dict) -> list[Sample]:
    """Samples every minute for HISTORY_HOURS up to `now`, labelled like the live scrape (`target`: job, instance)."""
    samples = []
    start = now - HISTORY_HOURS * 3600  # the counters' zero, as Exporter.grow continues them
    # One point per scrape interval, as the live scrapes that follow: rates over any five minutes come out exact.
    times = [now - i * SCRAPE_INTERVAL for i in range(int((now - start) // SCRAPE_INTERVAL), -1, -1)]
    for release, figures in releases_and_figures:
        for name, labels, value in gauges(release, figures):
            kind = "counter" if name.endswith("_total") else "gauge"
            samples += [Sample(name, {**labels, **target}, value, t, kind) for t in times]
        for name, labels, per_second in counters(release, figures):
            labels = {**labels, **target}
            kind = "counter" if name.endswith("_total") else "unknown"  # statsd exporter counters have no _total
            samples += [Sample(name, labels, round(per_second * (t - start), 6), t, kind) for t in times]
    return samples


@dataclass
class Engines:
    prometheus: PrometheusServer
    exporter: Exporter

    def stop(self) -> None:
        self.prometheus.stop()
        self.exporter.stop()


def start_engines(directory) -> Engines:
    """The exporter serving both releases' series, and Prometheus holding their history (shared by a module's
    tests: a Prometheus takes about 6 s to scrape for the first time)."""
    now = time.time()
    exporter = Exporter().start()
    history_start = now - HISTORY_HOURS * 3600
    for release, figures in ((RELEASE_A, A), (RELEASE_B, B)):
        for name, labels, value in gauges(release, figures):
            exporter.set(name, value, kind="counter" if name.endswith("_total") else "gauge", **labels)
        for name, labels, per_second in counters(release, figures):
            exporter.grow(name, per_second, since=history_start, **labels)
    target = {"job": "exporters", "instance": exporter.address}
    samples = history(((RELEASE_A, A), (RELEASE_B, B)), now=now, target=target)
    # The history reaches the present; the live scrapes continue it from the first one on (about 5 s after start).
    server = PrometheusServer(directory, [exporter], samples, scrape_interval=SCRAPE_INTERVAL).start()
    server.wait_for_scrape(exporter, scrapes=1)
    return Engines(server, exporter)


@dataclass
class World:
    engines: Engines
    cluster: object
    a: Deployment
    b: Deployment


def build(tenancy, engines: Engines) -> World:
    """Deployment A (Acme) and B (Globex) on one platform cluster with the engines' Prometheus."""
    cluster = make_cluster(name="shared", prometheus_url=engines.prometheus.url)
    a = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Acme ETL", cluster=cluster)
    b = make_deployment(actor=tenancy.outsider, workspace=tenancy.other_workspace, name="Globex ETL", cluster=cluster)
    Deployment.objects.filter(pk=a.pk).update(release_name=RELEASE_A)
    Deployment.objects.filter(pk=b.pk).update(release_name=RELEASE_B)
    return World(engines, cluster, Deployment.objects.get(pk=a.pk), Deployment.objects.get(pk=b.pk))
