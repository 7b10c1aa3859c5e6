"""/api/v1/: every app's API routes, gathered on one router (which also serves the API root).

No format-suffix routes (`/workspaces.json`): every answer is JSON already, and DRF's suffix routes reached
actions that take no `format` argument (a 500). `?format=` still chooses a representation where there are two."""

from rest_framework.routers import DefaultRouter

from accounts.api.urls import router as accounts_router
from deployments.api.urls import router as deployments_router
from monitoring.alerts.channels.api import router as channels_router
from monitoring.api.urls import router as monitoring_router
from workspaces.api.urls import router as workspaces_router

router = DefaultRouter()
router.include_format_suffixes = False
for app_router in (accounts_router, workspaces_router, deployments_router, channels_router, monitoring_router):
    router.registry.extend(app_router.registry)

urlpatterns = router.urls
