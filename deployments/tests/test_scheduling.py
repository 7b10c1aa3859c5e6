"""When reconciles run (deployments/kube/scheduling.py): one queued wake-up per Deployment however many changes,
one retry chain whose backoff nothing shortcuts, Failed after the budget and left alone until someone retries,
the sweep ringing only for what is wanted, due and neither queued nor leased, and a lease that lives as long as
its run. The task runs inline here; the wake-ups it would publish are recorded."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from deployments import services, tasks
from deployments.kube import reconcile, scheduling
from deployments.models import Deployment
from deployments.tests.factories import make_cluster, make_deployment

pytestmark = pytest.mark.django_db
PUBLISH = scheduling._publish


@pytest.fixture(autouse=True)
def quick_kubernetes(settings):
    settings.KUBE_BACKOFF_MS = 5
    settings.KUBE_REQUEST_TIMEOUT = 1
    settings.KUBE_RETRIES = 0  # one request per attempt
    settings.RECONCILE_BACKOFF_SECONDS = 5


@pytest.fixture(autouse=True)
def wake_ups(monkeypatch):
    """(deployment id, when due) of every wake-up published."""
    published = []

    def publish(deployment_id, due, now):
        published.append((deployment_id, due))
        return True

    monkeypatch.setattr(scheduling, "_publish", publish)
    return published


@pytest.fixture
def deployment(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url)
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what the code under test asked to do once its transaction commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def fresh(deployment) -> Deployment:
    return Deployment.objects.get(pk=deployment.pk)


def edit(tenancy, deployment, committed, **fields):
    with committed():
        services.deployment_update(actor=tenancy.owner, deployment=deployment, **fields)


def skip_backoff(deployment):
    Deployment.objects.filter(pk=deployment.pk).update(next_attempt_at=timezone.now())


def test_a_burst_of_changes_queues_one_wake_up(tenancy, deployment, committed, wake_ups):
    for i in range(20):
        edit(tenancy, deployment, committed, description=f"edit {i}")

    assert [deployment_id for deployment_id, _ in wake_ups] == [deployment.pk]
    assert fresh(deployment).generation == 21


def test_a_change_made_during_a_run_rings_again(tenancy, kube, deployment, committed, wake_ups):
    edit(tenancy, deployment, committed, description="first")
    (_, due), *_ = wake_ups
    scheduling.woken(deployment.pk, due.isoformat())  # a worker took the wake-up and is running

    edit(tenancy, deployment, committed, description="second")

    assert len(wake_ups) == 2  # the run goes round again for it, or this follow-up does


def test_the_first_failed_attempt_says_the_cluster_is_unreachable(kube, deployment, wake_ups):
    kube.fail_next(10_000, status=503)

    tasks.reconcile(deployment.pk)

    deployment = fresh(deployment)
    assert deployment.status == Deployment.Status.CREATING
    assert deployment.status_reason.startswith("Cluster unreachable since ")
    assert "retrying (attempt 1 of 9, next in 5 s)" in deployment.status_reason
    assert "503" in deployment.status_reason
    assert wake_ups == [(deployment.pk, deployment.next_attempt_at)]  # the chain's next attempt, when due
    assert deployment.next_attempt_at - timezone.now() > timedelta(seconds=4)


def test_an_early_wake_up_does_not_shortcut_the_backoff(kube, deployment):
    kube.fail_next(10_000, status=503)
    tasks.reconcile(deployment.pk)
    kube.request_log.clear()

    tasks.reconcile(deployment.pk)  # a stray or early wake-up

    assert kube.request_log == []
    assert fresh(deployment).reconcile_attempts == 1


def test_a_change_during_an_outage_starts_no_second_chain(tenancy, kube, deployment, committed, wake_ups):
    kube.fail_next(10_000, status=503)
    tasks.reconcile(deployment.pk)
    retry_at = fresh(deployment).next_attempt_at
    wake_ups.clear()

    edit(tenancy, deployment, committed, description="changed during the outage")

    assert wake_ups == []  # the retry's wake-up is already queued
    assert fresh(deployment).next_attempt_at == retry_at and fresh(deployment).reconcile_attempts == 1
    assert fresh(deployment) not in scheduling.due_for_sweep()  # nor does the sweep add one


def test_after_its_budget_it_is_failed_left_alone_and_retry_starts_over(
    tenancy, kube, deployment, committed, settings, wake_ups
):
    settings.RECONCILE_RETRIES = 2
    kube.fail_next(10_000, status=503)
    for _ in range(3):
        tasks.reconcile(deployment.pk)
        skip_backoff(deployment)

    failed = fresh(deployment)
    assert failed.status == Deployment.Status.FAILED
    assert failed.status_reason.startswith("Gave up after 3 attempts: cluster unreachable since")
    assert failed.events.get(reason="Unreachable").count == 3
    assert failed not in scheduling.due_for_sweep()  # not yet applied, yet no new chain every sweep

    kube.reset()  # the cluster is back; someone presses Retry
    wake_ups.clear()
    with committed():
        services.deployment_request_reconcile(actor=tenancy.owner, deployment=deployment)

    retried = fresh(deployment)
    assert retried.status == Deployment.Status.CREATING and retried.reconcile_attempts == 0
    assert [deployment_id for deployment_id, _ in wake_ups] == [deployment.pk]
    tasks.reconcile(deployment.pk)
    assert fresh(deployment).status == Deployment.Status.HEALTHY


def test_a_change_after_the_budget_gets_a_fresh_one(tenancy, kube, deployment, committed, settings):
    settings.RECONCILE_RETRIES = 0
    kube.fail_next(1, status=503)
    tasks.reconcile(deployment.pk)
    assert fresh(deployment).status == Deployment.Status.FAILED

    edit(tenancy, deployment, committed, description="try again with this")

    assert fresh(deployment).reconcile_attempts == 0
    tasks.reconcile(deployment.pk)
    assert fresh(deployment).status == Deployment.Status.HEALTHY


def test_a_rejected_deployment_is_not_reconciled_again_every_sweep(kube, deployment):
    kube.fail_next(1, status=422, method="PATCH", message="spec.replicas: Invalid value")
    tasks.reconcile(deployment.pk)

    failed = fresh(deployment)
    assert failed.status == Deployment.Status.FAILED and failed.observed_generation < failed.generation
    assert failed not in scheduling.due_for_sweep()


def test_the_sweep_rings_for_a_change_the_broker_never_took_and_honours_the_backoff(kube, deployment):
    assert fresh(deployment) in scheduling.due_for_sweep()  # created, but its wake-up was never published
    assert scheduling.wake(deployment.pk)
    assert fresh(deployment) not in scheduling.due_for_sweep()  # queued now

    Deployment.objects.filter(pk=deployment.pk).update(
        reconcile_queued_at=timezone.now() - scheduling.QUEUED_STALE - timedelta(seconds=1)
    )
    assert fresh(deployment) in scheduling.due_for_sweep()  # that wake-up was lost (a broker restarted empty)

    Deployment.objects.filter(pk=deployment.pk).update(next_attempt_at=timezone.now() + timedelta(seconds=30))
    assert fresh(deployment) not in scheduling.due_for_sweep()  # waiting out a backoff


def test_a_wake_up_the_broker_refuses_is_left_to_the_sweep(deployment, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(scheduling, "_publish", PUBLISH)
    monkeypatch.setattr(tasks.reconcile, "apply_async", refuse)

    assert not scheduling.wake(deployment.pk)

    assert fresh(deployment).reconcile_queued_at is None
    assert fresh(deployment) in scheduling.due_for_sweep()


@pytest.mark.django_db(transaction=True)
def test_a_run_longer_than_its_lease_keeps_it(tenancy, kube, settings):
    settings.RECONCILE_LEASE_SECONDS = 1
    kube.latency = 0.05  # ~60 requests: a run of ~3 s, three leases long
    cluster = make_cluster(organization=tenancy.org, url=kube.url)
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)

    def run():
        try:
            reconcile.run(deployment.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(2)
    try:
        assert worker.is_alive()
        assert reconcile.acquire(deployment.pk) is None  # renewed by its heartbeat, not lapsed
    finally:
        worker.join(timeout=60)
    assert fresh(deployment).status == Deployment.Status.HEALTHY
    assert fresh(deployment).reconcile_lease_until is None  # released


def test_run_inline_a_retry_chain_does_not_ring_itself_for_ever(tenancy, kube, deployment, committed, monkeypatch):
    """CELERY_TASK_ALWAYS_EAGER runs wake-ups inline, without waiting for their time: the chain's next attempt
    must not ring (and run) itself at once, again and again."""
    monkeypatch.setattr(scheduling, "_publish", PUBLISH)
    monkeypatch.setitem(tasks.reconcile.app.conf, "task_always_eager", True)
    kube.fail_next(10_000, status=503)

    edit(tenancy, deployment, committed, description="run inline")

    assert fresh(deployment).reconcile_attempts == 1 and len(kube.request_log) == 1
    assert fresh(deployment) not in scheduling.due_for_sweep()  # the sweep takes it when the backoff is over
