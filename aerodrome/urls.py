from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import profile_views
from accounts import views as account_views
from accounts.invitations import views as invitation_views
from aerodrome import health
from deployments import oidc
from deployments.deploys import views as deploy_views

# Under /api/ errors answer in the API's JSON format; elsewhere with the product's pages.
handler400 = "aerodrome.api.handlers.bad_request"
handler403 = "aerodrome.api.handlers.permission_denied"
handler404 = "aerodrome.api.handlers.page_not_found"
handler500 = "aerodrome.api.handlers.server_error"

admin.site.site_header = "Aerodrome platform administration"
admin.site.site_title = "Aerodrome admin"
admin.site.index_title = "Platform"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("accounts.sso.urls")),  # single sign-on; before allauth, whose callback it guards
    path("accounts/", include("allauth.urls")),
    path("profile/", profile_views.profile, name="profile"),
    path("profile/logout-others/", profile_views.logout_other_sessions, name="logout_other_sessions"),
    path("admin/", admin.site.urls),
    # Aerodrome as the OpenID Connect provider of its Deployments' Airflow (django-oauth-toolkit).
    path("o/", include((oidc.urlpatterns, "oauth2_provider"))),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("aerodrome.api.urls")),
    # The DAG sync sidecars of Deployments' pods (deployments/kube/dag_sync.py), with their read-only token.
    path("dag-sync/<slug:release>/", deploy_views.dag_sync_current, name="dag_sync_current"),
    path("dag-sync/<slug:release>/bundles/<str:sha256>.tar.gz", deploy_views.dag_sync_bundle, name="dag_sync_bundle"),
    path("invitations/<str:token>/", invitation_views.invitation_accept, name="invitation_accept"),
    path("orgs/", account_views.organization_list, name="organization_list"),
    path("orgs/<slug:org_slug>/", include("workspaces.urls")),
    path("orgs/<slug:org_slug>/", include("accounts.urls")),
    path("orgs/<slug:org_slug>/", include("deployments.urls")),
    path("orgs/<slug:org_slug>/", include("monitoring.alerts.urls")),
    path("orgs/<slug:org_slug>/", include("monitoring.urls")),
    path("orgs/<slug:org_slug>/", include("monitoring.alerts.channels.urls")),
    path("orgs/<slug:org_slug>/", include("monitoring.urls")),
    path("orgs/<slug:org_slug>/", include("monitoring.overview.urls")),
]
