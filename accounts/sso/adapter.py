"""django-allauth's social accounts, customised for organisation single sign-on (SOCIALACCOUNT_ADAPTER).

Every `SSOConnection` is an allauth `openid_connect` app whose provider id is `org-<slug>`; the apps are built here
from the connections (the one source of truth; no SocialApp rows, and SocialApp rows made in the admin are ignored).
A disabled connection refuses logins. Providers are never listed on the login page: the email's domain picks one
(home realm discovery, `accounts.sso.forms.LoginForm`).

On top of allauth's OpenID Connect provider (authorization code flow with PKCE, `state` kept in the session)
`OrganizationOIDCProvider` sends a `nonce` bound to the state and checks it, passes `login_hint`, and keeps
subjects longer than allauth's uid column as a digest; `OrganizationOIDCAdapter` checks the ID token's signature
against the provider's keys and its claims (accounts/sso/tokens.py), which allauth skips for a token that comes
straight from the token endpoint. The business rules of a login live in `accounts.sso.services`.
"""

import hashlib
import logging
from urllib.parse import urlsplit

import jwt
import requests
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount import app_settings as socialaccount_settings
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.socialaccount.providers.base.constants import AuthError, AuthProcess
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from allauth.utils import get_request_param
from django.db import transaction
from django.db.models import Q
from django.shortcuts import render
from django.utils.crypto import constant_time_compare

from accounts.models import SSOConnection, User
from accounts.sso import domains as sso_domains
from accounts.sso import http as sso_http
from accounts.sso import services as sso
from accounts.sso import tokens

logger = logging.getLogger(__name__)


SWITCHED_OFF = (
    "Single sign-on is switched off",
    "Your organisation does not sign in through its identity provider right now. Sign in with your password, "
    "or ask an owner of your organisation.",
)


class NonceMismatch(OAuth2Error):
    pass


def account_uid(sub: str) -> str:
    """The uid an IdP subject is linked under: the subject itself when it fits allauth's uid column (so existing
    links keep working), else a fixed-length digest of it (OpenID Connect allows subjects of 255 characters)."""
    if len(sub) <= socialaccount_settings.UID_MAX_LENGTH:
        return sub
    return "sha256:" + hashlib.sha256(sub.encode()).hexdigest()


class OrganizationOIDCAdapter(OpenIDConnectOAuth2Adapter):
    """allauth's OpenID Connect adapter, checking the ID token's signature whatever channel brought it."""

    def _decode_id_token(self, app, id_token: str) -> dict:
        config = self.openid_config
        issuer = str(config.get("issuer") or "")
        if issuer.rstrip("/") != str(app.settings.get("server_url") or "").rstrip("/"):
            raise OAuth2Error("The identity provider's OpenID configuration names another issuer.")
        try:
            claims = tokens.verify_id_token(
                id_token, jwks_uri=config["jwks_uri"], issuer=issuer, client_id=app.client_id
            )
        except jwt.PyJWTError as error:
            raise OAuth2Error(f"Invalid ID token: {error}") from error
        jwtkit.verify_jti(claims)
        return claims


class OrganizationOIDCProvider(OpenIDConnectProvider):
    """allauth's OpenID Connect provider for one organisation's IdP, with a nonce and `login_hint`."""

    @property
    def connection(self) -> SSOConnection | None:
        if not hasattr(self, "_connection"):
            self._connection = sso.connection_for_provider_id(self.app.provider_id)
        return self._connection

    def get_oauth2_adapter(self, request):
        return OrganizationOIDCAdapter(request, self.app.provider_id)

    def extract_uid(self, data):
        return account_uid(super().extract_uid(data))

    def get_auth_params_from_request(self, request, action):
        params = super().get_auth_params_from_request(request, action)
        hint = request.POST.get("login_hint") or request.GET.get("login_hint")
        if hint:
            params["login_hint"] = hint
        return params

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        """Starts a login at the IdP. The state id is chosen here so the nonce can be derived from it."""
        if self.connection is None or not self.connection.enabled:
            return refusal_response(request, sso.Refusal(*SWITCHED_OFF))
        state_id = get_social_adapter(request).generate_state_param({})
        auth_params = dict(kwargs.pop("auth_params", None) or self.get_auth_params())
        auth_params["nonce"] = sso.nonce_for(state_id)
        # Always a login: an organisation's identity is never "connected" to whichever account is signed in.
        process = AuthProcess.LOGIN
        try:
            return super().redirect(
                request, process, next_url, data, auth_params=auth_params, state_id=state_id, **kwargs
            )
        except (requests.RequestException, ValueError, KeyError) as exc:  # discovery failed: IdP down or broken
            return render_authentication_error(request, self, exception=exc)

    def sociallogin_from_response(self, request, response):
        """Called with the verified ID token (and the userinfo answer) once the code has been exchanged."""
        id_token = response.get("id_token") if isinstance(response, dict) else None
        if not id_token:
            raise OAuth2Error("The identity provider returned no ID token.")
        state_id = get_request_param(request, "state") or ""
        if not state_id or not constant_time_compare(str(id_token.get("nonce", "")), sso.nonce_for(state_id)):
            raise NonceMismatch("The ID token's nonce does not match this login.")
        userinfo = response.get("userinfo")
        if userinfo and userinfo.get("sub") != id_token.get("sub"):
            raise OAuth2Error("The userinfo answer is about another subject than the ID token.")
        try:
            return super().sociallogin_from_response(request, response)
        except (KeyError, ValueError) as exc:
            raise OAuth2Error(f"Unusable claims from the identity provider: {exc!r}") from exc


def build_app(connection: SSOConnection) -> SocialApp:
    """The allauth app (never saved) for a connection."""
    return SocialApp(
        provider=OpenIDConnectProvider.id,
        provider_id=sso.provider_id_for(connection.organization),
        name=connection.organization.name[:40],
        client_id=connection.client_id,
        secret=connection.client_secret,
        settings={
            "server_url": connection.issuer_url,
            "scope": list(sso.SCOPES),
            "oauth_pkce_enabled": True,
            "fetch_userinfo": True,
            # The IdP manages these domains; its word on their addresses is enough.
            "verified_email": list(connection.domains),
        },
    )


def describe(error, exception, extra_context: dict, request) -> tuple[str, str]:
    """A title and a sentence for the person whose SSO login failed."""
    cause = getattr(exception, "__cause__", None)
    network = next((e for e in (exception, cause) if isinstance(e, requests.RequestException)), None)
    if network is not None:
        host = urlsplit(getattr(network.request, "url", None) or "").netloc
        where = f" ({host})" if host else ""
        return "Your identity provider is unreachable", (
            f"Aerodrome could not reach your organisation's identity provider{where}. Try again in a few minutes; "
            "if it keeps failing, tell your administrator."
        )
    if isinstance(exception, NonceMismatch):
        return "This sign-in answer is not yours", (
            "The identity provider's answer does not belong to this sign-in attempt (the nonce does not match). "
            "Start again from the login page."
        )
    if isinstance(cause, jwt.InvalidAudienceError):
        return "Token for another application", (
            "The identity provider sent a sign-in token issued for another application, so Aerodrome cannot accept "
            "it. Ask your administrator to check the client ID of the SSO connection."
        )
    if isinstance(cause, jwt.InvalidIssuerError):
        return "Token from another issuer", (
            "The sign-in token was not issued by your organisation's identity provider. "
            "Ask your administrator to check the issuer URL of the SSO connection."
        )
    if isinstance(cause, jwt.ExpiredSignatureError):
        return "Expired sign-in token", "The identity provider's token had already expired. Start again."
    if isinstance(cause, jwt.PyJWTError):
        return "Invalid sign-in token", "The identity provider sent an ID token Aerodrome could not verify."
    if isinstance(exception, OAuth2Error | ValueError | KeyError):
        return "The identity provider did not complete the sign-in", (
            "Exchanging the sign-in code with your identity provider failed. Start again; if it keeps failing, "
            "ask your administrator to check the connection's client ID and secret."
        )
    if exception is None and "state" not in extra_context and "state_id" in extra_context:
        return "This sign-in attempt has expired", (
            "The sign-in took too long, was already used, or was started in another browser, so Aerodrome cannot "
            "match the identity provider's answer to it. Start again from the login page."
        )
    idp_error = request.GET.get("error")
    if idp_error:
        detail = request.GET.get("error_description") or idp_error
        return "Your identity provider refused the sign-in", f"It said: {detail}"
    return "Single sign-on failed", "Something went wrong while signing you in. Start again from the login page."


def refusal_response(request, refusal: sso.Refusal):
    context = {"sso_error": {"title": refusal.title, "message": refusal.message}}
    return render(request, "socialaccount/authentication_error.html", context, status=403)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    # Apps and providers: one per SSO connection.

    def list_apps(self, request, provider=None, client_id=None):
        if "\x00" in (provider or "") or "\x00" in (client_id or ""):
            return []  # from the URL; no provider id has one, and the database refuses NUL bytes
        connections = SSOConnection.objects.select_related("organization")
        if provider and provider != OpenIDConnectProvider.id:
            if not provider.startswith(sso.PROVIDER_ID_PREFIX):
                return []
            connections = connections.filter(organization__slug=provider.removeprefix(sso.PROVIDER_ID_PREFIX))
        if client_id:
            connections = connections.filter(client_id=client_id)
        return [build_app(connection) for connection in connections]

    def get_provider(self, request, provider, client_id=None):
        try:
            app = self.get_app(request, provider=provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            if "\x00" in provider or not SocialAccount.objects.filter(provider=provider).exists():
                raise
            # Accounts linked through an SSO connection removed since still display (allauth's connections
            # page); such a provider cannot start or finish a login (no connection: refused).
            app = SocialApp(provider=OpenIDConnectProvider.id, provider_id=provider, name="Removed SSO", settings={})
        return OrganizationOIDCProvider(request, app=app)

    def list_providers(self, request):
        return []  # never offered as buttons: the email's domain picks the IdP

    def get_requests_session(self):
        return sso_http.session()  # every request allauth makes to an identity provider goes through it

    # The login itself.

    def pre_social_login(self, request, sociallogin):
        """After allauth verified the IdP's answer, before anyone is logged in or created."""
        connection = sso.connection_for_provider_id(sociallogin.account.provider)
        claims = sso.claims_of(sociallogin.account.extra_data)
        try:
            email = sso.check_sso_login(connection=connection, claims=claims)
            verified_domain = sso_domains.is_verified(connection, sso.email_domain(email))
            if sociallogin.is_existing:
                if not verified_domain and not sso.may_sign_in_unverified(
                    connection=connection, user=sociallogin.user, email=email
                ):
                    raise sso.refuse_unverified(connection=connection, email=email)
                if sociallogin.user.is_active:
                    sso.sso_login_sync(connection=connection, user=sociallogin.user, claims=claims)
                return  # allauth logs them in, or explains that the account is inactive
            # A secondary address names an account only once verified (an unverified one was merely typed in,
            # e.g. an email change awaiting confirmation, and may be someone else's).
            verified = Q(emailaddress__email__iexact=email, emailaddress__verified=True)
            existing = User.objects.filter(Q(email__iexact=email) | verified).distinct().first()
            if not verified_domain and not sso.may_sign_in_unverified(
                connection=connection, user=existing, email=email
            ):
                raise sso.refuse_unverified(connection=connection, email=email)
            if existing is not None:  # an account from before SSO with this address: link it
                if not sso.may_link(connection=connection, user=existing):
                    raise sso.refuse_link(connection=connection, email=email)
                with transaction.atomic():
                    sociallogin.connect(request, existing)
                    sso.sso_login_sync(connection=connection, user=existing, claims=claims, linked=True)
            # else: a new person; allauth signs them up (save_user below provisions them).
        except sso.Refusal as refusal:
            logger.info("SSO login refused (%s): %s", sociallogin.account.provider, refusal.message)
            raise ImmediateHttpResponse(refusal_response(request, refusal)) from None

    def is_open_for_signup(self, request, sociallogin):
        return True  # the organisation's IdP vouches for its managed domains (checked in pre_social_login)

    def is_auto_signup_allowed(self, request, sociallogin):
        return True

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.email = (user.email or "").lower()
        name = data.get("name") or " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        user.full_name = (name or "").strip()[:150]
        return user

    @transaction.atomic
    def save_user(self, request, sociallogin, form=None):
        """First SSO login of a new person: create the account and provision it into the organisation."""
        user = super().save_user(request, sociallogin, form)
        connection = sso.connection_for_provider_id(sociallogin.account.provider)
        claims = sso.claims_of(sociallogin.account.extra_data)
        sso.sso_login_sync(connection=connection, user=user, claims=claims, created=True)
        return user

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        super().on_authentication_error(
            request, provider, error=error, exception=exception, extra_context=extra_context
        )
        if error == AuthError.CANCELLED:
            return
        title, message = describe(error, exception, extra_context or {}, request)
        logger.warning(
            "SSO login failed (%s): %s: %r",
            getattr(getattr(provider, "app", None), "provider_id", provider),
            title,
            exception,
        )
        if extra_context is not None:
            extra_context["sso_error"] = {"title": title, "message": message}
