"""Reads of metrics: one Deployment's charts for a window (the Metrics tab and its API), and the overview's figures
for many Deployments at once. Every query comes from the catalogue, scoped to the Deployment's namespace; answers
are cached per Deployment, query and window for METRICS_CACHE_SECONDS."""

import contextvars
import hashlib
import math
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

from monitoring.metrics import catalogue
from monitoring.metrics.prometheus import Client, NotConfigured, PrometheusError, Series

PARALLEL_QUERIES = 4
_ROLE_ORDER = {"value": 0, "request": 1, "limit": 2}
MAX_MARKERS = 100


@dataclass
class OverviewFigures:
    running_tasks: float | None = None
    queued_tasks: float | None = None
    heartbeats_per_minute: float | None = None
    error: str | None = None


@dataclass
class Marker:
    time: float
    kind: str  # "deploy", "scaling", "status"
    label: str


@dataclass
class Panel:
    title: str  # the component for per-component charts, else ""
    series: list[dict] = field(default_factory=list)  # {"name", "role", "points": [[t, v], ...]}

    @property
    def empty(self) -> bool:
        """No measurement in the window (reference lines alone, such as requests and limits, do not count)."""
        return not any(s["points"] for s in self.series if s["role"] == "value")


@dataclass
class ChartData:
    key: str
    title: str
    unit: str
    description: str
    panels: list[Panel]

    @property
    def empty(self) -> bool:
        return all(panel.empty for panel in self.panels)


@dataclass
class DeploymentMetrics:
    window: str
    start: float
    end: float
    step: int
    charts: list[ChartData]
    markers: list[Marker]
    error: str | None = None  # no Prometheus, or it failed: the charts are then empty
    configured: bool = True  # False: the cluster has no Prometheus at all


def deployment_metrics(*, deployment, window: str = catalogue.DEFAULT_WINDOW, now: float | None = None):
    """The Deployment's charts over `window` (a key of catalogue.WINDOWS), with the markers of its events."""
    if window not in catalogue.WINDOWS:
        raise ValueError(f"Unknown window {window!r}; choose one of {', '.join(catalogue.WINDOWS)}.")
    step = catalogue.step_for(window)
    end = float(int(now if now is not None else time.time()) // step * step)
    start = end - catalogue.WINDOWS[window]
    charts = catalogue.charts_for(celery=deployment.is_celery)
    metrics = DeploymentMetrics(window, start, end, step, [], _markers(deployment, start, end + step))
    try:
        client = Client.for_cluster(deployment.cluster)
    except NotConfigured as missing:
        metrics.error, metrics.configured = missing.message, False
        return metrics
    queries = [query for chart in charts for query in chart.queries]
    try:
        results = _run(client, deployment, queries, window, start, end, step)
    except PrometheusError as failure:
        metrics.error = failure.message
        return metrics
    finally:
        client.close()
    capacity = _queue_capacity(deployment)
    for chart in charts:
        metrics.charts.append(_chart(chart, results, capacity, start, end, step))
    return metrics


def _run(client, deployment, queries, window, start, end, step) -> dict[str, list[Series]]:
    """Every query's answer: from the cache, else from Prometheus (a few at a time)."""
    prefix = _cache_prefix(deployment, window)
    cached = cache.get_many([f"{prefix}:{query.key}" for query in queries])
    results: dict[str, list[Series]] = {}
    missing = []
    for query in queries:
        hit = cached.get(f"{prefix}:{query.key}")
        if hit is not None and hit[0] == end:
            results[query.key] = hit[1]
        else:
            missing.append(query)
    if missing:

        def fetch(query):
            return client.query_range(query.promql(deployment.namespace, window), start=start, end=end, step=step)

        with ThreadPoolExecutor(max_workers=min(PARALLEL_QUERIES, len(missing))) as pool:
            futures = [(q, pool.submit(contextvars.copy_context().run, fetch, q)) for q in missing]
            fresh = {query.key: future.result() for query, future in futures}  # the first failure raises
        cache.set_many(
            {f"{prefix}:{key}": (end, value) for key, value in fresh.items()}, settings.METRICS_CACHE_SECONDS
        )
        results.update(fresh)
    return results


def _cache_prefix(deployment, window: str) -> str:
    # The URL is part of the key, so a cluster pointed at another Prometheus never shows the old one's answers.
    url = hashlib.sha256(deployment.cluster.prometheus_url.encode()).hexdigest()[:12]
    return f"metrics:{deployment.pk}:{deployment.namespace}:{url}:{window}"


def _chart(chart, results, capacity: dict[str, float], start, end, step) -> ChartData:
    panels: dict[str, Panel] = {}
    for query in chart.queries:
        for series in results.get(query.key, []):
            title = series.labels.get("container", "") if chart.per_component else ""
            panel = panels.setdefault(title, Panel(title))
            points = [[t, v] for t, v in series.points if math.isfinite(v)]
            panel.series.append({"name": query.series_name(series.labels), "role": query.role, "points": points})
    if chart.key == "queues":
        panel = panels.setdefault("", Panel(""))
        times = [start + i * step for i in range(int((end - start) // step) + 1)]
        for queue, slots in sorted(capacity.items()):
            points = [[t, slots] for t in times]
            panel.series.append({"name": f"{queue} capacity", "role": "limit", "points": points})
    ordered = [panels[title] for title in sorted(panels)]
    for panel in ordered:
        panel.series.sort(key=lambda s: (_ROLE_ORDER[s["role"]], s["name"]))
    return ChartData(chart.key, chart.title, chart.unit, chart.description, ordered)


def _queue_capacity(deployment) -> dict[str, float]:
    if not deployment.is_celery:
        return {}
    return {queue.name: float(queue.max_workers * queue.concurrency) for queue in deployment.queues.all()}


_SCALING_WORDS = ("scaled", "scale ", "replicas", "workers")


def _markers(deployment, start: float, end: float) -> list[Marker]:
    """The Deployment's events in the window: deploys, scaling and status changes, oldest first."""
    from datetime import UTC, datetime

    events = deployment.events.filter(
        created_at__gte=datetime.fromtimestamp(start, UTC), created_at__lt=datetime.fromtimestamp(end, UTC)
    ).order_by("-created_at")[:MAX_MARKERS]
    markers = [Marker(event.created_at.timestamp(), _marker_kind(event), _marker_label(event)) for event in events]
    return sorted(markers, key=lambda marker: marker.time)


def _marker_kind(event) -> str:
    text = f"{event.reason} {event.message}".lower()
    if "deploy" in event.reason.lower() and event.reason not in ("Deploying",):
        return "deploy"
    if event.reason == "Updated" and any(word in text for word in _SCALING_WORDS):
        return "scaling"
    if event.reason == "Updated":
        return "deploy"
    return "status"


def _marker_label(event) -> str:
    return f"{event.reason}: {event.message}"[:200]


# --------------------------------------------------------------------------------------------------- overview


def overview_figures(*, deployments) -> dict[int, OverviewFigures]:
    """Running and queued tasks and scheduler heartbeats per minute now, for each Deployment (by id): one
    Prometheus query per cluster. A Deployment whose cluster has no Prometheus, or whose Prometheus failed, gets
    figures of None and the reason in `error`."""
    by_cluster: dict[int | None, list] = defaultdict(list)
    for deployment in deployments:
        by_cluster[deployment.cluster_id].append(deployment)
    figures: dict[int, OverviewFigures] = {}
    for members in by_cluster.values():
        figures.update(_cluster_figures(members))
    return figures


def _cluster_figures(deployments: list) -> dict[int, OverviewFigures]:
    key = (
        "metrics:overview:"
        + hashlib.sha256(
            repr(sorted((d.pk, d.namespace, getattr(d.cluster, "prometheus_url", "")) for d in deployments)).encode()
        ).hexdigest()
    )
    hit = cache.get(key)
    if hit is not None:
        return hit
    try:
        client = Client.for_cluster(deployments[0].cluster)
    except NotConfigured as missing:
        return {d.pk: OverviewFigures(error=missing.message) for d in deployments}
    try:
        rows = client.query(catalogue.overview_query([d.namespace for d in deployments]))
    except PrometheusError as failure:
        return {d.pk: OverviewFigures(error=failure.message) for d in deployments}
    finally:
        client.close()
    values: dict[tuple[str, str], float] = {(labels["namespace"], labels["figure"]): v for labels, v in rows}
    result = {
        d.pk: OverviewFigures(
            running_tasks=values.get((d.namespace, "running")),
            queued_tasks=values.get((d.namespace, "queued")),
            heartbeats_per_minute=values.get((d.namespace, "heartbeats")),
        )
        for d in deployments
    }
    cache.set(key, result, settings.METRICS_CACHE_SECONDS)
    return result
