"""What a reconcile that changes nothing costs, over real HTTP against the fake cluster: its reads (GETs) and SQL
queries per run, one client per cluster reused across runs (and replaced when the cluster's settings change)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deployments import selectors, services
from deployments.kube import clusters, reconcile, render, scheduling
from deployments.kube.gateway import ObjectRef
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
    kube.request_log.clear()
    return deployment


NOOP_GETS = 14  # issue 9: at most, per no-op Deployment


def namespace_reads(kube, deployment) -> list[str]:
    path = f"/api/v1/namespaces/{Deployment.objects.get(pk=deployment.pk).namespace}"
    return [p for method, p in kube.request_log if method == "GET" and p.split("?")[0] == path]


def test_a_no_op_reconcile_reads_each_kind_once(kube, applied):
    outcome = reconcile.run(applied.pk)
    assert outcome.status == Deployment.Status.HEALTHY and not (outcome.created or outcome.updated)
    assert kube.writes == 0
    # One list per namespaced kind we manage; readiness reads the workloads from those lists (17 before), and the
    # namespace is not read: its quota carries its hash (15 before).
    # Custom kinds (PodMonitor) are listed only where the spec renders them (this cluster has no Prometheus).
    expected = len(render.MANAGED_KINDS) - 1 - len(render.CUSTOM_KINDS)
    assert kube.requests["GET"] == expected <= NOOP_GETS, kube.request_log
    assert not namespace_reads(kube, applied)


def test_a_deleted_namespace_is_created_again(kube, applied, cluster):
    namespace = Deployment.objects.get(pk=applied.pk).namespace
    # As `kubectl delete namespace` would, over HTTP: everything in it goes too.
    assert clusters.gateway_for(cluster).delete(ObjectRef("v1", "Namespace", None, namespace))
    assert not kube.objects("ResourceQuota")
    outcome = reconcile.run(applied.pk)
    assert f"Namespace/{namespace}" in outcome.created
    assert kube.objects("Namespace") and kube.objects("ResourceQuota", namespace)
    assert outcome.status == Deployment.Status.HEALTHY


def test_a_quota_without_the_namespace_hash_has_the_namespace_read_and_the_quota_stamped(kube, applied):
    """What an upgrade from the version whose quota did not carry the namespace's hash meets: the namespace is read
    as before, and only the quota is applied again."""
    (quota,) = kube.objects("ResourceQuota")
    (rendered,) = [obj for obj in render.render(selectors.deployment_spec(applied)) if obj["kind"] == "ResourceQuota"]
    quota["metadata"]["annotations"] = reconcile.stamp(rendered)["metadata"]["annotations"]  # as it stamped it
    assert reconcile.NAMESPACE_HASH_ANNOTATION not in quota["metadata"]["annotations"]
    kube.put(quota)
    outcome = reconcile.run(applied.pk)
    assert outcome.updated == [f"ResourceQuota/{quota['metadata']['name']}"] and not outcome.created
    assert len(namespace_reads(kube, applied)) == 1
    kube.requests.clear()
    kube.request_log.clear()
    assert not reconcile.run(applied.pk).changed
    assert kube.requests["GET"] == len(render.MANAGED_KINDS) - 1 - len(render.CUSTOM_KINDS) and not namespace_reads(
        kube, applied
    )


def test_a_namespace_rendered_differently_is_applied_again(kube, applied, monkeypatch):
    """When what we render for the namespace changes (a new version of Aerodrome), its quota no longer witnesses it:
    the namespace is read, and applied again with the quota that carries its new hash."""
    from deployments.kube.render import namespace as namespace_module

    rendered = namespace_module._namespace

    def relabelled(spec):
        obj = rendered(spec)
        obj["metadata"]["labels"]["example.com/new-label"] = "yes"
        return obj

    monkeypatch.setattr(namespace_module, "_namespace", relabelled)
    outcome = reconcile.run(applied.pk)
    (quota,) = kube.objects("ResourceQuota")
    namespace = quota["metadata"]["namespace"]
    assert sorted(outcome.updated) == [f"Namespace/{namespace}", f"ResourceQuota/{quota['metadata']['name']}"]
    (live,) = [ns for ns in kube.objects("Namespace") if ns["metadata"]["name"] == namespace]
    assert live["metadata"]["labels"]["example.com/new-label"] == "yes"
    assert len(namespace_reads(kube, applied)) == 1


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
