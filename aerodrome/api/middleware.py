"""Keeps every answer under /api/ in the API's one JSON error format, also where DRF's exception handler cannot:
an address no route matches, a body Django refuses to read (too large, too many fields), an exception no
handler took (the database or the broker down: 503 with Retry-After), and Django's own error pages, which
other middleware may answer with (DisallowedHost, the branded 404 under DEBUG)."""

from aerodrome.api import errors


def is_api(request) -> bool:
    return request.path_info.startswith(errors.API_PREFIX)


class ApiErrorMiddleware:
    """Sits near the top of MIDDLEWARE, so it sees the responses every inner middleware produced."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if is_api(request) and response.status_code >= 400 and not _is_json(response):
            return errors.response_for_status(response, request)
        return response

    def process_exception(self, request, exception):
        """An exception escaping an API view (DRF's handler returned None for it)."""
        if is_api(request):
            return errors.response_for_exception(exception, request)
        return None


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")
