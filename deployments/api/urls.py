"""Routes of the deployments API; `aerodrome/api/urls.py` mounts them under /api/v1/."""

from rest_framework.routers import SimpleRouter

from deployments.api import views
from deployments.deploys import api as deploys_api

DEPLOYMENT = r"deployments/(?P<deployment_pk>[0-9]+)"

router = SimpleRouter()
router.register(r"clusters", views.ClusterViewSet, basename="api-cluster")
router.register(r"deployments", views.DeploymentViewSet, basename="api-deployment")
router.register(rf"{DEPLOYMENT}/queues", views.WorkerQueueViewSet, basename="api-deployment-queue")
router.register(rf"{DEPLOYMENT}/variables", views.VariableViewSet, basename="api-deployment-variable")
router.register(rf"{DEPLOYMENT}/events", views.DeploymentEventViewSet, basename="api-deployment-event")
router.register(rf"{DEPLOYMENT}/deploys", deploys_api.DeployViewSet, basename="api-deployment-deploy")

urlpatterns = router.urls
