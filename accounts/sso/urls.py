"""Single sign-on routes under /accounts/, ahead of allauth's (see aerodrome/urls.py)."""

from allauth.socialaccount import app_settings as socialaccount_settings
from django.urls import path

from accounts.sso import views as sso_views

urlpatterns = [
    path("login/realm/", sso_views.login_realm, name="login_realm"),
    path("sso/bypass/<str:token>/", sso_views.bypass_link, name="sso_bypass"),
    path("sso/<slug:slug>/", sso_views.org_sign_in, name="sso_org_sign_in"),
    # The same path as allauth's `openid_connect_callback`, which still builds the redirect URI.
    path(
        f"{socialaccount_settings.OPENID_CONNECT_URL_PREFIX}/<str:provider_id>/login/callback/",
        sso_views.oidc_callback,
        name="sso_oidc_callback",
    ),
]
