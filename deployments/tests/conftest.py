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
