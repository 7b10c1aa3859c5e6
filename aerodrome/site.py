"""Absolute links to Aerodrome's pages, for places a relative one cannot go (emails, links people copy).

They start with SITE_URL. Settings require it outside DEBUG; in DEBUG it may be unset, and links then use the
address of the request being served (RequestOriginMiddleware remembers it), so `make run` on any host or port
sends working links.
"""

from contextvars import ContextVar

from django.conf import settings

_request_origin: ContextVar[str | None] = ContextVar("request_origin", default=None)
_FALLBACK = "http://localhost:8000"  # no SITE_URL and no request: a command run by hand in DEBUG


def absolute_url(path: str) -> str:
    """`path` (from reverse()) as an absolute URL."""
    base = settings.SITE_URL or _request_origin.get() or _FALLBACK
    return base.rstrip("/") + path


class RequestOriginMiddleware:
    """Remembers scheme://host of the request for absolute_url() while it is served."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_origin.set(f"{request.scheme}://{request.get_host()}")
        try:
            return self.get_response(request)
        finally:
            _request_origin.reset(token)
