"""The one way single sign-on calls an identity provider over HTTP: OpenID discovery (`services.discover`) and
everything allauth asks for during a login (discovery, token, userinfo, JWKS), through
`SocialAccountAdapter.get_requests_session`. The session follows Aerodrome's outbound policy: an organisation's
issuer may not resolve to loopback, link-local, private or Aerodrome's own addresses, redirects included."""

import requests
from django.conf import settings

from aerodrome import outbound


def session() -> requests.Session:
    return outbound.session(timeout=settings.SOCIALACCOUNT_REQUESTS_TIMEOUT)
