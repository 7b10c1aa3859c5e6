"""Routes of the monitoring API; `aerodrome/api/urls.py` mounts them under /api/v1/: the router's, and `paths`.

The logs and the metrics are one answer each (lines, cursor, notices; charts and markers), not a paginated list of
objects, so they are plain routes, not a router's `-list` one (whose conventions, `results` and `?search=` over
items, do not fit)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from monitoring.api import views
from monitoring.metrics.api import DeploymentMetricsViewSet

router = SimpleRouter()

paths = [
    path(
        "deployments/<int:deployment_pk>/logs/",
        views.DeploymentLogViewSet.as_view({"get": "list"}, basename="api-deployment-logs"),
        name="api-deployment-logs",
    ),
    path(
        "deployments/<int:deployment_pk>/metrics/",
        DeploymentMetricsViewSet.as_view({"get": "list"}, basename="api-deployment-metrics"),
        name="api-deployment-metrics",
    ),
]
