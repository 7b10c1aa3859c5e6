"""Middleware of the project package: branded 404s under DEBUG, refusing form bodies that are not UTF-8, and
messages on HTMX answers."""

from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import get_resolver, get_urlconf

from aerodrome.api import errors
from aerodrome.api.middleware import is_api

MESSAGE = "The request is not valid UTF-8 text. Send form fields encoded as UTF-8."
REPLACEMENT = "\ufffd"  # what Django puts where a multipart text field had bytes it could not decode


class Utf8BodyMiddleware:
    """Refuses form bodies that are not valid UTF-8 (400), for pages and the API alike.

    Django decodes form bodies leniently: bad bytes become U+FFFD (or, undecodable as a whole, Latin-1), and the
    result would be saved as if someone had typed it. JSON bodies need nothing here: the API's parser refuses them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            try:
                valid = _valid_text(request)
            except RequestDataTooBig as too_big:
                if is_api(request):  # a 413 in the API's format; pages keep Django's 400 page
                    return errors.response_for_exception(too_big, request)
                raise
            if not valid:
                return _refusal(request)
        return self.get_response(request)


def _valid_text(request) -> bool:
    encoding = request.encoding or "utf-8"
    try:
        if request.content_type == "application/x-www-form-urlencoded":
            # Decoding the whole body at once is enough: a field separator (& or =) breaks any sequence it splits.
            unquote_to_bytes(request.body.replace(b"+", b" ")).decode(encoding)
        elif request.content_type == "multipart/form-data":
            # Files stay bytes; text fields are already decoded (streamed, so there is no whole body to check).
            return not any(
                REPLACEMENT in key or any(REPLACEMENT in value for value in values)
                for key, values in request.POST.lists()
            )
    except UnicodeDecodeError:
        return False
    return True


def _refusal(request):
    if is_api(request):
        return errors.error_response(400, code="invalid_encoding", message=MESSAGE)
    return render(request, "400.html", {"message": MESSAGE}, status=400)


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


class HtmxMessagesMiddleware:
    """Messages a view added but its HTMX answer does not show (a partial, such as a table row, has no toasts) go
    along with it as an out-of-band swap into the page's toasts (templates/partials/messages.html).

    An answer that makes htmx load a page (HX-Location, HX-Redirect, HX-Refresh; 204 carries no content) leaves
    them for that page, and a page that rendered them (the storage was read) needs nothing added. Reads (GET,
    such as a status polled every few seconds) take none: they may be meant for a page loading at that moment."""

    LOADS_A_PAGE = ("HX-Location", "HX-Redirect", "HX-Refresh")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not self._swapped_in_by_htmx(request, response):
            return response
        storage = messages.get_messages(request)
        if storage.used or not len(storage):
            return response
        toasts = render_to_string("partials/messages.html", {"messages": storage, "oob": True})
        response.content += toasts.encode(response.charset)
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response

    def _swapped_in_by_htmx(self, request, response) -> bool:
        return (
            bool(getattr(request, "htmx", False))
            and request.method not in ("GET", "HEAD")
            and not response.streaming
            and 200 <= response.status_code < 300
            and response.status_code != 204
            and response.get("Content-Type", "").startswith("text/html")
            and not any(response.has_header(header) for header in self.LOADS_A_PAGE)
        )
