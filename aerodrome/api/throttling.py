"""Rate limits of the API (`API_RATE_LIMIT`, `API_ANON_RATE_LIMIT`): a signed-in person or an API token has its
own allowance, anonymous callers one per address. Over it, a 429 in the error format with Retry-After.

Counts live in the cache (`CACHE_URL`): with several web processes, a shared cache makes the limit exact."""

from django.conf import settings
from rest_framework import throttling


class _Throttle(throttling.SimpleRateThrottle):
    def get_rate(self):
        return settings.API_RATE_LIMITS[self.scope]  # read per request: settings may change (tests, reloads)


class ClientRateThrottle(_Throttle):
    """Per person or per API token. A token and a user may share a database id, so the model names the bucket."""

    scope = "client"

    def get_cache_key(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"{user._meta.label_lower}:{user.pk}"}


class AnonymousRateThrottle(_Throttle):
    scope = "anonymous"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
