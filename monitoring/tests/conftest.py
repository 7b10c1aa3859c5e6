"""The fake cluster of the deployments tests (kmock over real HTTP), for the logs tests; a real Prometheus with a
test exporter, for the metrics tests."""

import pytest
from django.core.cache import cache

from deployments.tests.conftest import fake_cluster, kube  # noqa: F401
from monitoring.tests import metrics_world
from monitoring.tests.engines.prometheus import Exporter, PrometheusServer


@pytest.fixture
def exporter():
    exporter = Exporter().start()
    yield exporter
    exporter.stop()


@pytest.fixture
def prometheus_factory(tmp_path):
    """Starts real Prometheus servers (`factory(exporters, history=[...])`) and stops every one afterwards."""
    started: list[PrometheusServer] = []

    def factory(exporters=(), *, history=()) -> PrometheusServer:
        server = PrometheusServer(tmp_path / f"prometheus-{len(started)}", list(exporters), list(history))
        started.append(server)
        return server.start()

    yield factory
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def metrics_engines(tmp_path_factory):
    """A real Prometheus with both test Deployments' series (monitoring/tests/metrics_world.py), shared by the test
    session (it takes ~20 s to be ready: the backfill, then a first scrape at the exporter's slot in a 15 s interval).
    Tests only read it: nothing changes what the exporter serves."""
    engines = metrics_world.start_engines(tmp_path_factory.mktemp("prometheus"))
    yield engines
    engines.stop()


@pytest.fixture
def fresh_cache():
    """An empty cache before and after the test: metrics answers are cached per Deployment and window."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(tenancy, metrics_engines):
    return metrics_world.build(tenancy, metrics_engines)
