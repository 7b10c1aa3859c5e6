"""Counts and times every request (after the probes and `/metrics`, which answer before it), by the URL name of
the view that answered: a bounded set of labels, never the path (which holds ids and slugs)."""

import time

from django.urls import Resolver404, resolve

from monitoring.platform_metrics import instruments

UNMATCHED = "<unmatched>"  # no URL pattern: a 404 for an unknown address


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        view = _view_name(request)
        status = str(response.status_code)
        instruments.REQUESTS.labels(view, request.method if request.method in METHODS else "other", status).inc()
        instruments.LATENCY.labels(view, status).observe(time.perf_counter() - started)
        return response


def _view_name(request) -> str:
    """The URL name of the view; also for answers given before the view was resolved (an HTTPS redirect, a refused
    host), where it is looked up from the path."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return UNMATCHED
    return match.view_name or match._func_path


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
