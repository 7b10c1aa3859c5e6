"""The per-request instruments (prometheus-client): HTTP requests counted and timed by view and status.

Requests are counted in the process that served them. Under gunicorn that is one of several worker processes, so
prometheus-client's multiprocess mode is used when `PROMETHEUS_MULTIPROC_DIR` is set (platform/gunicorn.conf.py
sets it and clears it at start-up): each process writes its values to memory-mapped files there, and a scrape,
whichever process answers it, adds up every process's files. Without it (runserver, tests) one process keeps them
in memory."""

import os

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.multiprocess import MultiProcessCollector

# Not the library's global registry: only these, whatever else a dependency registers there.
REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "aerodrome_http_requests",
    "HTTP requests answered, by view (its URL name), method and status code.",
    ["view", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "aerodrome_http_request_duration_seconds",
    "Time to answer an HTTP request, by view and status code.",
    ["view", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def request_collectors(registry: CollectorRegistry) -> None:
    """Adds the request series to a scrape's registry: every process's (multiprocess mode) or this one's."""
    if multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))


class _Forward:
    """This process's request instruments, as one collector of a scrape's registry."""

    def __init__(self, source: CollectorRegistry):
        self.source = source

    def collect(self):
        return self.source.collect()
