"""Monitoring pages under /orgs/<slug>/ (aerodrome/urls.py mounts them): the Deployment's Logs and Metrics tabs."""

from django.urls import path

from monitoring import views
from monitoring.metrics import views as metrics_views

D = "deployments/<int:pk>/"

urlpatterns = [
    path(D + "metrics/", metrics_views.deployment_metrics, name="deployment_metrics"),
    path(D + "metrics/charts/", metrics_views.deployment_metrics_body, name="deployment_metrics_body"),
    path(D + "logs/", views.deployment_logs, name="deployment_logs"),
    path(D + "logs/lines/", views.deployment_log_lines, name="deployment_log_lines"),
    path(D + "logs/tail/", views.deployment_log_tail, name="deployment_log_tail"),
    path(D + "logs/download/", views.deployment_log_download, name="deployment_log_download"),
]
