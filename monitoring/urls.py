"""Monitoring pages under /orgs/<slug>/ (aerodrome/urls.py mounts them): the Deployment's Logs tab."""

from django.urls import path

from monitoring import views

D = "deployments/<int:pk>/"

urlpatterns = [
    path(D + "logs/", views.deployment_logs, name="deployment_logs"),
    path(D + "logs/lines/", views.deployment_log_lines, name="deployment_log_lines"),
    path(D + "logs/tail/", views.deployment_log_tail, name="deployment_log_tail"),
    path(D + "logs/download/", views.deployment_log_download, name="deployment_log_download"),
]
