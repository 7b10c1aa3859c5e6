"""Routes of the monitoring API; `aerodrome/api/urls.py` mounts them under /api/v1/."""

from rest_framework.routers import SimpleRouter

from deployments.api.urls import DEPLOYMENT
from monitoring.metrics.api import DeploymentMetricsViewSet

router = SimpleRouter()
router.register(rf"{DEPLOYMENT}/metrics", DeploymentMetricsViewSet, basename="api-deployment-metrics")

urlpatterns = router.urls
