"""Routes of the workspaces API; `aerodrome/api/urls.py` mounts them under /api/v1/."""

from rest_framework.routers import SimpleRouter

from workspaces.api import views

router = SimpleRouter()
router.register(r"workspaces", views.WorkspaceViewSet, basename="api-workspace")
router.register(r"workspaces/(?P<workspace_pk>[0-9]+)/bindings", views.BindingViewSet, basename="api-binding")

urlpatterns = router.urls
