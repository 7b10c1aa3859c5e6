"""What a reconcile that changes nothing costs, over real HTTP against the fake cluster: its reads (GETs) and SQL
queries per run, one client per cluster reused across runs (and replaced when the cluster's settings change)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deployments import services
from deployments.kube import clusters, reconcile, render, scheduling
from deployments.models import Deployment
from deployments.tests.factories import kubeconfig_for, make_cluster, make_deployment
from deployments.tests.kmock_harness import FakeCluster

NOOP_QUERIES = 7  # issue 9: at most, per no-op Deployment


@pytest.fixture(autouse=True)
def quick_kubernetes(settings):
    settings.KUBE_BACKOFF_MS = 5
    settings.KUBE_REQUEST_TIMEOUT = 1
    settings.KUBE_RETRIES = 4


@pytest.fixture(autouse=True)
def wake_ups(monkeypatch):
    """The wake-ups the code under test would publish, recorded instead (these tests run reconcile inline)."""
    monkeypatch.setattr(scheduling, "_publish", lambda deployment_id, due, now: 1)


@pytest.fixture
def cluster(tenancy, kube):
    return make_cluster(organization=tenancy.org, url=kube.url)


@pytest.fixture
def applied(tenancy, cluster, kube):
    """A Deployment applied once and healthy: the next run has nothing to do."""
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    assert reconcile.run(deployment.pk).status == Deployment.Status.HEALTHY
    kube.requests.clear()
    return deployment


def test_a_no_op_reconcile_reads_each_kind_once(kube, applied):
    outcome = reconcile.run(applied.pk)
    assert outcome.status == Deployment.Status.HEALTHY and not (outcome.created or outcome.updated)
    assert kube.writes == 0
    # The namespace, then one list per kind we manage: readiness reads the workloads from those lists (17 before).
    assert kube.requests["GET"] == len(render.MANAGED_KINDS), kube.requests


def test_a_no_op_reconcile_runs_few_sql_queries(applied):
    with CaptureQueriesContext(connection) as queries:
        outcome = reconcile.run(applied.pk)
    assert outcome.status == Deployment.Status.HEALTHY
    assert len(queries) <= NOOP_QUERIES, "\n".join(q["sql"][:200] for q in queries.captured_queries)


def test_a_changed_deployment_is_still_observed_after_its_apply(tenancy, kube, applied):
    """Readiness read from before an apply would be stale: after a change, the rollout is watched afresh."""
    services.deployment_update(actor=tenancy.owner, deployment=applied, scheduler_replicas=2)
    kube.mark_workloads_unready()
    outcome = reconcile.run(applied.pk)
    assert outcome.updated
    assert outcome.status == Deployment.Status.DEPLOYING


def test_runs_reuse_one_client_per_cluster(applied, cluster):
    first = clusters.gateway_for(Deployment.objects.select_related("cluster").get(pk=applied.pk).cluster)
    second = clusters.gateway_for(Deployment.objects.select_related("cluster").get(pk=applied.pk).cluster)
    assert first is second


def test_a_changed_kubeconfig_gets_a_new_client_at_the_new_address(tenancy, applied, cluster, kube):
    other = FakeCluster().start()
    try:
        before = clusters.gateway_for(cluster)
        cluster.kubeconfig = kubeconfig_for(other.url)
        cluster.save()
        after = clusters.gateway_for(type(cluster).objects.get(pk=cluster.pk))
        assert after is not before
        Deployment.objects.filter(pk=applied.pk).update(generation=applied.generation + 1)
        reconcile.run(applied.pk)
        assert other.writes > 0  # the objects went to the cluster the kubeconfig now names
    finally:
        other.stop()
