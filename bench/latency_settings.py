"""Settings of the server bench/page_latency.py starts: the production settings, plus the trivial view it measures
pages against and headers with each request's CPU time and time inside Django (bench/latency_urls.py). Nothing in
the product uses this module."""

from aerodrome.settings import *  # noqa: F403

ROOT_URLCONF = "bench.latency_urls"
MIDDLEWARE = ["bench.latency_urls.ThreadCpuMiddleware", *MIDDLEWARE]  # noqa: F405
