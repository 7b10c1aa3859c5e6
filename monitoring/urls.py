"""Monitoring pages under /orgs/<slug>/ (aerodrome/urls.py mounts them): the Deployment's Metrics tab."""

from django.urls import path

from monitoring.metrics import views as metrics_views

D = "deployments/<int:pk>/"

urlpatterns = [
    path(D + "metrics/", metrics_views.deployment_metrics, name="deployment_metrics"),
    path(D + "metrics/charts/", metrics_views.deployment_metrics_body, name="deployment_metrics_body"),
]
