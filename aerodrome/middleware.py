"""Middleware of the project package."""

from django.conf import settings
from django.http import Http404
from django.urls import get_resolver, get_urlconf


class BrandedNotFoundMiddleware:
    """With DEBUG on, Django answers a 404 with its technical page, which lists every URL pattern; answer with the
    page production shows instead (the URLconf's 404 handler), so `make run` looks like the product.

    Covers both ways to a 404: an address no URL pattern matches (the response comes back with no
    `resolver_match`), and Http404 raised by a view. Responses views build themselves, such as the API's JSON
    404, are left alone. Without DEBUG this does nothing: Django already uses the handler."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            return self._not_found(request, Http404())
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return self._not_found(request, exception)
        return None

    @staticmethod
    def _not_found(request, exception):
        handler = get_resolver(get_urlconf()).resolve_error_handler(404)
        return handler(request, exception)
