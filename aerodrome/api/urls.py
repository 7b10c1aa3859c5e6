"""/api/v1/: every app's API routes, gathered on one router (which also serves the API root)."""

from rest_framework.routers import DefaultRouter

from accounts.api.urls import router as accounts_router
from deployments.api.urls import router as deployments_router
from workspaces.api.urls import router as workspaces_router

router = DefaultRouter()
for app_router in (accounts_router, workspaces_router, deployments_router):
    router.registry.extend(app_router.registry)

urlpatterns = router.urls
