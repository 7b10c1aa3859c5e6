"""The Deployment's Metrics tab. The page renders at once with the window picker and loads the charts into
`#metrics-body` (so a slow or unreachable Prometheus never holds the page up; the client's short timeout bounds
the wait); the charts are drawn in the browser by uPlot from the JSON the body carries. Anyone who may see the
Deployment (MEMBER and up) may see its metrics; outsiders get a 404 like any Deployment page."""

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.tenancy import organization_view
from deployments.selectors import deployment_for
from deployments.views import deployment_layout
from monitoring.metrics import catalogue, selectors

WINDOW_LABELS = {"1h": "1 hour", "6h": "6 hours", "24h": "24 hours", "7d": "7 days"}


def _window(request) -> str:
    window = request.GET.get("window", "")
    return window if window in catalogue.WINDOWS else catalogue.DEFAULT_WINDOW


def _urls(deployment, window: str) -> dict:
    args = [deployment.workspace.organization.slug, deployment.pk]
    return {
        "page_url": f"{reverse('deployment_metrics', args=args)}?window={window}",
        "body_url": f"{reverse('deployment_metrics_body', args=args)}?window={window}",
    }


@require_GET
@organization_view()
def deployment_metrics(request, org, pk):
    deployment = deployment_for(request.user, org, pk)
    window = _window(request)
    context = deployment_layout(
        request,
        deployment,
        "metrics",
        window=window,
        windows=[{"key": key, "label": label, **_urls(deployment, key)} for key, label in WINDOW_LABELS.items()],
        marker_kinds=catalogue.MARKER_KINDS,
        **_urls(deployment, window),
    )
    return render(request, "monitoring/metrics.html", context)


@require_GET
@organization_view()
def deployment_metrics_body(request, org, pk):
    deployment = deployment_for(request.user, org, pk)
    window = _window(request)
    metrics = selectors.deployment_metrics(deployment=deployment, window=window)
    context = {
        "deployment": deployment,
        "metrics": metrics,
        "window_label": WINDOW_LABELS[window],
        "step_label": f"{metrics.step // 60} min" if metrics.step % 60 == 0 else f"{metrics.step} s",
        "charts": [chart_view(chart, metrics) for chart in metrics.charts],
        "markers": [{"time": m.time, "kind": m.kind, "label": m.label} for m in metrics.markers],
        "marker_kinds": catalogue.MARKER_KINDS,
    }
    return render(request, "monitoring/partials/metrics_body.html", context)


def chart_view(chart: selectors.ChartData, metrics: selectors.DeploymentMetrics) -> dict:
    """What the template shows of a chart: each panel's latest figures as text, and its data for uPlot."""
    panels = []
    for panel in chart.panels:
        figures = [
            {"name": series["name"], "role": series["role"], "value": format_value(series["points"][-1][1], chart.unit)}
            for series in panel.series
            if series["points"]
        ]
        panels.append(
            {
                "title": panel.title,
                "figures": figures,
                "empty": panel.empty,
                "data": {
                    "unit": chart.unit,
                    "start": metrics.start,
                    "end": metrics.end,
                    "series": panel.series,
                },
            }
        )
    return {
        "key": chart.key,
        "title": chart.title,
        "unit": chart.unit,
        "description": chart.description,
        "per_component": any(panel.title for panel in chart.panels),
        "panels": panels,
        "empty": chart.empty,
    }


def format_value(value: float, unit: str) -> str:
    if unit == "bytes":
        for size, suffix in ((1024**3, "GiB"), (1024**2, "MiB"), (1024, "KiB")):
            if abs(value) >= size:
                return f"{value / size:.1f} {suffix}"
        return f"{value:.0f} B"
    if unit == "cores":
        return f"{value:.2f} cores"
    if unit in ("per hour", "per minute"):
        return f"{value:.1f} {unit}"
    return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
