"""`Authorization: Bearer <token>` for the API (REST_FRAMEWORK's authentication classes; never for pages).

A request with a Bearer header is the token's or nobody's: a malformed, unknown, rotated-away, deleted or expired
token is a 401 with a message saying which (and `WWW-Authenticate: Bearer`), whatever session cookie comes along.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

KEYWORD = "Bearer"
MALFORMED_MESSAGE = "Invalid Authorization header: send `Authorization: Bearer <token>`."


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: session authentication (or none) decides
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(MALFORMED_MESSAGE)
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(MALFORMED_MESSAGE) from None
        from accounts.tokens import services as tokens  # models are ready by the time a request arrives

        try:
            token = tokens.authenticate(raw, ip=request.META.get("REMOTE_ADDR") or None)
        except tokens.InvalidToken as error:
            raise exceptions.AuthenticationFailed(error.message) from None
        return token, token

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document describes the scheme."""

    target_class = "accounts.tokens.authentication.BearerTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "aero_<prefix>_<secret>",
            "description": "An API token, created by the owners of an organisation, a workspace or a Deployment. "
            "It acts with its role at its scope only.",
        }
