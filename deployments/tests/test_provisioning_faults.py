"""Provisioning under faults, with real processes: a private Redis stopped and started under a gunicorn web server,
Celery workers killed with SIGKILL mid-reconcile, a burst of changes, and a cluster that answers only 503.

Each test runs its own broker (never the shared Redis), web server, worker(s) and beat against the test database and
the fake cluster, with short leases, sweeps and backoffs passed through the environment, as an operator would.
"""

import os
import signal
import subprocess
import time

import pytest
import requests
from django.test import Client
from django.urls import reverse

from deployments import selectors
from deployments.kube import render, scheduling
from deployments.models import Deployment
from deployments.tests.factories import make_cluster, make_deployment
from deployments.tests.processes import PrivateRedis, Stack, wait_for

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

FAST = {"RECONCILE_SWEEP_SECONDS": "1", "RECONCILE_LEASE_SECONDS": "3"}


@pytest.fixture
def broker(tmp_path):
    server = PrivateRedis(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def stacks(broker, tmp_path):
    made = []

    def make(**env):
        stack = Stack(broker, tmp_path, **{**FAST, **env})
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.close()


@pytest.fixture
def deployment_on(tenancy, monkeypatch):
    """A Deployment saved by the test process as if its broker were down (this process's broker is the shared
    one): the stack under test enqueues it, from its sweep or a later change."""

    def make(cluster, name="Revenue"):
        with monkeypatch.context() as patch:
            patch.setattr(scheduling, "_publish", lambda *args: False)
            return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster, name=name)

    return make


def fresh(deployment) -> Deployment:
    return Deployment.objects.get(pk=deployment.pk)


def settled(deployment, status="HEALTHY", generation=None):
    current = fresh(deployment)
    done = current.status == status and current.observed_generation == current.generation
    return current if done and generation in (None, current.generation) else None


def objects_in(kube, deployment) -> list[tuple]:
    return [
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
        for o in kube.objects()
        if deployment.namespace in (o["metadata"].get("namespace"), o["metadata"]["name"])
    ]


def desired(deployment) -> set[tuple]:
    rendered = render.render(selectors.deployment_spec(fresh(deployment)))
    return {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in rendered}


def signed_in(base: str, user, deployment) -> requests.Session:
    """An HTTP session of `user` on the real web server, with the CSRF cookie a browser would hold."""
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    overview = reverse("deployment_overview", args=[deployment.workspace.organization.slug, deployment.pk])
    assert session.get(base + overview, timeout=10).status_code == 200
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_saves_answer_at_once_while_the_broker_is_down_and_are_applied_once_it_returns(
    tenancy, kube, broker, stacks, deployment_on
):
    stack = stacks()
    base = stack.web()
    stack.worker()
    stack.beat()
    deployment = deployment_on(make_cluster(organization=tenancy.org, url=kube.url, name="kmock"))
    wait_for(lambda: settled(deployment), message="the Deployment to become Healthy")
    http = signed_in(base, tenancy.owner, deployment)
    generation = fresh(deployment).generation

    broker.stop()
    page, page_seconds = timed(
        lambda: http.post(
            base + reverse("deployment_update", args=[tenancy.org.slug, deployment.pk]),
            data={"name": deployment.name, "description": "Edited on the page", "airflow_version": "3.1.3"},
            allow_redirects=False,
            timeout=60,
        )
    )
    api, api_seconds = timed(
        lambda: http.patch(f"{base}/api/v1/deployments/{deployment.pk}/", json={"scheduler_replicas": 2}, timeout=60)
    )
    ready = http.get(f"{base}/readyz", timeout=30)

    assert page.status_code == 302 and page_seconds < 3, (page.status_code, page_seconds)
    assert api.status_code == 200 and api_seconds < 3, (api.status_code, api_seconds, api.text[:300])
    assert api.json()["generation"] == generation + 2
    assert ready.status_code == 503 and any(p.startswith("broker") for p in ready.json()["problems"])

    broker.start()
    done = wait_for(
        # Within the 2 minutes a killed worker is given (test below): the worker and beat reconnect with backoff.
        lambda: settled(deployment, generation=generation + 2),
        timeout=120,
        message="the saved changes to be applied",
    )
    assert done.description == "Edited on the page" and done.scheduler_replicas == 2
    assert done.generation == generation + 2  # the saves were not repeated
    assert http.get(f"{base}/readyz", timeout=10).status_code == 200


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(child) for child in found]


@pytest.mark.parametrize("pool", ["threads", "prefork"])
def test_a_deployment_converges_soon_after_its_worker_is_killed_mid_reconcile(
    pool, tenancy, kube, stacks, deployment_on
):
    """SIGKILL a threads worker outright (a fresh one is started), or a prefork worker's pool child (its parent
    forks another): either way the Deployment converges within the goal of 2 minutes, with no duplicate object."""
    stack = stacks()
    worker, _ = stack.worker(pool=pool, concurrency=1)
    stack.beat()
    kube.latency = 0.25  # a slow API server: the run takes ~10 s
    deployment = deployment_on(make_cluster(organization=tenancy.org, url=kube.url, name="slow"))

    wait_for(
        lambda: sum(method == "PATCH" for method, _ in kube.request_log) >= 3, message="the reconcile to be applying"
    )
    if pool == "threads":
        stack.kill(worker)
        stack.worker(pool=pool, concurrency=1)
    else:
        (child,) = _children(worker.pid)
        os.kill(child, signal.SIGKILL)
    available = time.monotonic()
    kube.latency = 0.0

    wait_for(lambda: settled(deployment), timeout=120, message="the Deployment to converge after the kill")

    assert time.monotonic() - available < 120
    found = objects_in(kube, deployment)
    assert len(found) == len(set(found)) and set(found) == desired(deployment)


def test_a_burst_of_changes_leaves_one_reconcile_queued_and_converges_to_the_last(
    tenancy, kube, broker, stacks, deployment_on
):
    stack = stacks()
    base = stack.web()  # no worker yet: whatever the changes enqueue stays in the broker
    deployment = deployment_on(make_cluster(organization=tenancy.org, url=kube.url, name="kmock"))
    http = signed_in(base, tenancy.owner, deployment)

    for i in range(30):
        response = http.patch(f"{base}/api/v1/deployments/{deployment.pk}/", json={"description": f"edit {i}"})
        assert response.status_code == 200, response.text[:300]

    assert broker.queued(stack.queue) <= 1
    stack.worker()
    done = wait_for(lambda: settled(deployment, generation=31), message="the last change to be applied")
    assert done.description == "edit 29"
    assert done.events.filter(reason="Applied").count() <= 2  # not one run per change


def test_an_outage_gets_one_retry_chain_with_its_backoff_then_fails_and_retry_starts_over(
    tenancy, kube, broker, stacks, deployment_on
):
    retries, backoff = 3, 2
    stack = stacks(KUBE_RETRIES="0", RECONCILE_RETRIES=str(retries), RECONCILE_BACKOFF_SECONDS=str(backoff))
    base = stack.web()
    stack.worker(concurrency=2)
    stack.beat()
    kube.fail_next(10_000, status=503)  # each attempt is one request (KUBE_RETRIES=0), answered 503
    deployment = deployment_on(make_cluster(organization=tenancy.org, url=kube.url, name="down"))
    http = signed_in(base, tenancy.owner, deployment)

    reason = wait_for(
        lambda: (r := fresh(deployment).status_reason).startswith("Cluster unreachable since") and r,
        message="the status to say the cluster is unreachable",
    )
    assert f"attempt 1 of {retries + 1}" in reason and f"next in {backoff} s" in reason
    for i in range(5):  # changes during the outage must not start chains of their own
        assert http.patch(f"{base}/api/v1/deployments/{deployment.pk}/", json={"description": f"{i}"}).ok

    failed = wait_for(lambda: settled_failed(deployment), timeout=90, message="the Deployment to fail")
    attempts = list(kube.request_times)
    assert len(attempts) == retries + 1, attempts
    for n, (earlier, later) in enumerate(zip(attempts, attempts[1:], strict=False)):
        assert later - earlier >= backoff * 2**n - 0.2, (n, later - earlier)  # never before the announced time
    assert failed.status_reason.startswith(f"Gave up after {retries + 1} attempts")
    assert "503" in failed.status_reason
    unreachable = failed.events.filter(reason="Unreachable")
    assert unreachable.count() == 1 and unreachable.get().count == retries + 1  # collapsed into one, with a count

    kube.reset()  # the cluster is back
    response = http.post(f"{base}/api/v1/deployments/{deployment.pk}/reconcile/")
    assert response.status_code == 202
    wait_for(lambda: settled(deployment), timeout=60, message="Retry to converge the Deployment")


def settled_failed(deployment):
    current = fresh(deployment)
    return current if current.status == Deployment.Status.FAILED else None
