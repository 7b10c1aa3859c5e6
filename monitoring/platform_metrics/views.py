"""The platform's own `/metrics` in Prometheus's text format, for the operators' Prometheus.

Who may read it (settings, README): a caller sending `Authorization: Bearer <PLATFORM_METRICS_TOKEN>`, or one whose
address is in PLATFORM_METRICS_ALLOWED_NETWORKS. With neither setting the endpoint does not exist (404); with
either, anyone else gets 403. Answered by `MetricsEndpointMiddleware` before the host check, sessions and CSRF:
Prometheus scrapes a pod at its IP, which ALLOWED_HOSTS does not list, and sends no cookies."""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from monitoring.platform_metrics import instruments
from monitoring.platform_metrics.collector import StateCollector

PATH = "/metrics"


def _allowed(request) -> bool | None:
    """True to answer, False for 403, None for 404 (not configured)."""
    token = settings.PLATFORM_METRICS_TOKEN
    networks = settings.PLATFORM_METRICS_ALLOWED_NETWORKS
    if not token and not networks:
        return None
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        if getattr(address, "ipv4_mapped", None):
            address = address.ipv4_mapped
        return any(address in network for network in networks)
    return False


def metrics(request) -> HttpResponse:
    allowed = _allowed(request)
    if allowed is None:
        return HttpResponse("Not found.\n", status=404, content_type="text/plain")
    if not allowed:
        response = HttpResponse(
            "Forbidden: send the platform metrics token as a Bearer token, or scrape from an allowed address.\n",
            status=403,
            content_type="text/plain",
        )
        if settings.PLATFORM_METRICS_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="aerodrome-metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    instruments.request_collectors(registry)
    registry.register(StateCollector())
    response = HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


class MetricsEndpointMiddleware:
    """Answers GET /metrics ahead of the host check, redirects and sessions (next to the probes' middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == PATH and request.method in ("GET", "HEAD"):
            return metrics(request)
        return self.get_response(request)
