"""Fixtures for the deployments app: a fake Kubernetes cluster served over real HTTP (see kmock_harness)."""

import pytest

from deployments.tests.kmock_harness import FakeCluster


@pytest.fixture(scope="session")
def fake_cluster():
    """One fake cluster for the whole session (starting a server per test would dominate the run time)."""
    cluster = FakeCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def kube(fake_cluster):
    """The fake cluster, emptied: no objects, faults or counters left over from other tests."""
    fake_cluster.reset()
    return fake_cluster


@pytest.fixture(scope="session")
def tenant_postgres():
    """The admin URL of an organisation cluster's metadata PostgreSQL (the suite's, through a relay of its own)."""
    from django.conf import settings

    from deployments.tests.tcp_relay import TcpRelay

    database = settings.DATABASES["default"]
    relay = TcpRelay((database["HOST"], int(database["PORT"])))
    yield f"postgresql://{database['USER']}@127.0.0.1:{relay.port}/postgres"
    relay.close()
