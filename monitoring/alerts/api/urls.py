"""Routes of the alerts API; `aerodrome/api/urls.py` mounts them under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from monitoring.alerts.api import receiver, views

DEPLOYMENT = r"deployments/(?P<deployment_pk>[0-9]+)"
WORKSPACE = r"workspaces/(?P<workspace_pk>[0-9]+)"

router = SimpleRouter()
router.register(rf"{DEPLOYMENT}/alert-rules", views.DeploymentAlertRuleViewSet, basename="api-deployment-alert-rule")
router.register(rf"{DEPLOYMENT}/alerts", views.DeploymentAlertViewSet, basename="api-deployment-alert")
router.register(rf"{DEPLOYMENT}/silences", views.SilenceViewSet, basename="api-deployment-silence")
router.register(rf"{WORKSPACE}/alert-rules", views.WorkspaceAlertRuleViewSet, basename="api-workspace-alert-rule")
router.register(rf"{WORKSPACE}/alerts", views.WorkspaceAlertViewSet, basename="api-workspace-alert")

urlpatterns = [
    path("alerts/alertmanager/", receiver.AlertmanagerReceiverView.as_view(), name="api-alertmanager-receiver"),
]
