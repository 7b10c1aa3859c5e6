"""Routes of the monitoring API; `aerodrome/api/urls.py` mounts them under /api/v1/."""

from rest_framework.routers import SimpleRouter

from deployments.api.urls import DEPLOYMENT
from monitoring.api import views

router = SimpleRouter()
router.register(rf"{DEPLOYMENT}/logs", views.DeploymentLogViewSet, basename="api-deployment-log")

urlpatterns = router.urls
