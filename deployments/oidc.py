"""Aerodrome's OpenID Connect provider for its Deployments' Airflow: django-oauth-toolkit, with the claims Airflow
maps to its roles and a consent-free authorize page that refuses people without access (deployments/airflow_login.py
holds the rules)."""

from django.shortcuts import render
from django.urls import path
from oauth2_provider import urls as oauth_urls
from oauth2_provider import views as oauth_views
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views import AuthorizationView

from deployments import airflow_login


class AirflowOAuth2Validator(OAuth2Validator):
    """The ID token and userinfo carry the person's Airflow role for the Deployment whose client asks, evaluated
    when Airflow redeems the code, so at every login."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, airflow_login.ROLE_CLAIM: "openid"}

    def get_additional_claims(self, request):
        user = request.user
        names = (user.full_name or "").split(None, 1)
        claims = {
            "email": user.email,
            "email_verified": True,
            "name": user.full_name or user.email,
            "given_name": names[0] if names else "",
            "family_name": names[1] if len(names) > 1 else "",
            "preferred_username": user.email,
        }
        deployment = airflow_login.deployment_for_client(request.client.client_id) if request.client else None
        role = airflow_login.airflow_role(user, deployment) if deployment else None
        claims[airflow_login.ROLE_CLAIM] = [role] if role else []
        return claims


class AirflowAuthorizationView(AuthorizationView):
    """The authorize endpoint for Deployments' Airflow: signed-in people with a role on the workspace go straight
    back to Airflow (no consent page); anyone else gets a page saying why, and Airflow gets nothing."""

    def get(self, request, *args, **kwargs):
        try:
            _, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError:
            return super().get(request, *args, **kwargs)  # the toolkit's own answer to a malformed request
        try:
            airflow_login.authorize(user=request.user, client_id=credentials["client_id"])
        except airflow_login.LoginRefused as refusal:
            return render(
                request,
                "deployments/airflow_login_refused.html",
                {"message": refusal.message, "deployment": refusal.deployment},
                status=403,
            )
        return super().get(request, *args, **kwargs)


# Only what Airflow needs of the provider under /o/: no application management pages, no device flow, no dynamic
# client registration (clients are made by the platform, one per Deployment).
urlpatterns = [
    path("authorize/", AirflowAuthorizationView.as_view(), name="authorize"),
    path("token/", oauth_views.TokenView.as_view(), name="token"),
    path("revoke_token/", oauth_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", oauth_views.IntrospectTokenView.as_view(), name="introspect"),
    *oauth_urls.oidc_urlpatterns,
]
