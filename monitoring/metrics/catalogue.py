"""The fixed catalogue of Prometheus queries behind the Metrics tab, its API and the overview: the only PromQL
Aerodrome sends. People choose a chart window from WINDOWS, nothing else; every query is built here around one
Deployment's namespace selector, so no one can read another Deployment's series (SERIES.md lists the names).
"""

import json
from dataclasses import dataclass

# The windows people can choose, and the number of points a chart aims for: the step is the window divided by it
# (never under STEP_MIN, about a scrape interval), so a week is as light to draw as an hour.
WINDOWS: dict[str, int] = {"1h": 3600, "6h": 6 * 3600, "24h": 24 * 3600, "7d": 7 * 24 * 3600}
DEFAULT_WINDOW = "6h"
POINTS = 240
STEP_MIN = 15
RATE_MIN = 300  # rates average over at least five minutes, so a few scrapes make a point


def step_for(window: str) -> int:
    return max(STEP_MIN, WINDOWS[window] // POINTS)


def rate_range(window: str) -> str:
    return f"{max(step_for(window), RATE_MIN)}s"


def namespace_matcher(namespace: str) -> str:
    """`namespace="<ns>"`, the value quoted as PromQL reads it (JSON's escaping is a subset of it)."""
    return f"namespace={json.dumps(namespace)}"


@dataclass(frozen=True)
class Query:
    key: str
    template: str  # {ns}: the namespace matcher; {range}: the rate range
    legend: str = ""  # the label whose value names each series, or...
    name: str = ""  # ...one fixed name
    role: str = "value"  # "value", "request", "limit" (drawn as reference lines)

    def promql(self, namespace: str, window: str) -> str:
        return self.template.format(ns=namespace_matcher(namespace), range=rate_range(window))

    def series_name(self, labels: dict) -> str:
        return labels.get(self.legend, "") or self.name if self.legend else self.name


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    unit: str  # "per hour", "per minute", "tasks", "slots", "cores", "bytes", "restarts"
    description: str
    queries: tuple[Query, ...]
    per_component: bool = False  # one panel per `container` (the component), each with used/requested/limit
    celery_only: bool = False


_CONTAINERS = 'container!="",container!="POD"'

CHARTS: tuple[Chart, ...] = (
    Chart(
        "dag_runs",
        "DAG runs by state",
        "per hour",
        "DAG runs that finished, per hour, by their final state.",
        (Query("dag_runs", "sum by (state) (rate(airflow_dagrun_duration_count{{{ns}}}[{range}])) * 3600", "state"),),
    ),
    Chart(
        "task_instances",
        "Task instances by state",
        "per hour",
        "Task instances that finished, per hour, by their final state.",
        (Query("task_instances", "sum by (state) (rate(airflow_ti_finish{{{ns}}}[{range}])) * 3600", "state"),),
    ),
    Chart(
        "heartbeat",
        "Scheduler heartbeat",
        "per minute",
        "Scheduler heartbeats per minute, all schedulers together; a healthy scheduler beats about 12 times a minute.",
        (Query("heartbeat", "sum(rate(airflow_scheduler_heartbeat{{{ns}}}[{range}])) * 60", name="heartbeats"),),
    ),
    Chart(
        "tasks",
        "Running and queued tasks",
        "tasks",
        "Task instances the executor runs and holds queued.",
        (
            Query("running", 'sum(airflow_executor_running_tasks{{{ns},executor=""}})', name="running"),
            Query("queued", 'sum(airflow_executor_queued_tasks{{{ns},executor=""}})', name="queued"),
        ),
    ),
    Chart(
        "queues",
        "Queued tasks per worker queue",
        "tasks",
        "Task instances waiting in each worker queue, against what the queue can run at once (max workers × "
        "concurrency).",
        (Query("queued_by_queue", 'sum by (queue) (airflow_task_instances{{{ns},state="queued"}})', "queue"),),
        celery_only=True,
    ),
    Chart(
        "pools",
        "Pool slots",
        "slots",
        "Slots of all pools by state, and tasks starving for a slot.",
        (
            Query("pool_slots", "sum by (state) (airflow_pool_slots{{{ns}}})", "state"),
            Query("pool_starving", "sum(airflow_pool_starving_tasks{{{ns}}})", name="starving"),
        ),
    ),
    Chart(
        "cpu",
        "CPU per component",
        "cores",
        "CPU used by each component's containers, against their requests and limits.",
        (
            Query(
                "cpu_used",
                f"sum by (container) (rate(container_cpu_usage_seconds_total{{{{{{ns}},{_CONTAINERS}}}}}[{{range}}]))",
                name="used",
            ),
            Query(
                "cpu_requests",
                'sum by (container) (kube_pod_container_resource_requests{{{ns},resource="cpu"}})',
                name="requested",
                role="request",
            ),
            Query(
                "cpu_limits",
                'sum by (container) (kube_pod_container_resource_limits{{{ns},resource="cpu"}})',
                name="limit",
                role="limit",
            ),
        ),
        per_component=True,
    ),
    Chart(
        "memory",
        "Memory per component",
        "bytes",
        "Working-set memory of each component's containers, against their requests and limits.",
        (
            Query(
                "memory_used",
                f"sum by (container) (container_memory_working_set_bytes{{{{{{ns}},{_CONTAINERS}}}}})",
                name="used",
            ),
            Query(
                "memory_requests",
                'sum by (container) (kube_pod_container_resource_requests{{{ns},resource="memory"}})',
                name="requested",
                role="request",
            ),
            Query(
                "memory_limits",
                'sum by (container) (kube_pod_container_resource_limits{{{ns},resource="memory"}})',
                name="limit",
                role="limit",
            ),
        ),
        per_component=True,
    ),
    Chart(
        "restarts",
        "Pod restarts",
        "restarts",
        "Container restarts of each pod since it started.",
        (Query("restarts", "sum by (pod) (kube_pod_container_status_restarts_total{{{ns}}})", "pod"),),
    ),
)

CHART_KEYS = tuple(chart.key for chart in CHARTS)
# What an event marker on the charts stands for (selectors._marker_kind), as the API names it, and the tab's legend.
MARKER_KINDS = {"deploy": "Deploys and changes", "scaling": "Scaling", "status": "Status changes"}


def charts_for(*, celery: bool) -> tuple[Chart, ...]:
    return tuple(chart for chart in CHARTS if celery or not chart.celery_only)


def overview_query(namespaces: list[str]) -> str:
    """One instant query for several Deployments of one cluster: running and queued tasks and heartbeats per minute
    per namespace, each marked with a `figure` label."""
    matcher = "namespace=~" + json.dumps("|".join(_regex_literal(ns) for ns in sorted(namespaces)))
    parts = [
        ("running", f'sum by (namespace) (airflow_executor_running_tasks{{{matcher},executor=""}})'),
        ("queued", f'sum by (namespace) (airflow_executor_queued_tasks{{{matcher},executor=""}})'),
        ("heartbeats", f"sum by (namespace) (rate(airflow_scheduler_heartbeat{{{matcher}}}[5m])) * 60"),
    ]
    return " or ".join(f'label_replace({expr}, "figure", "{figure}", "", "")' for figure, expr in parts)


def _regex_literal(text: str) -> str:
    return "".join(f"\\{char}" if not char.isalnum() and char not in "-_" else char for char in text)
