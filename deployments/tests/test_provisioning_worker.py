"""End to end through a real Celery worker on Redis: a Deployment created and scaled through the pages is
reconciled by the worker against the fake cluster, and its status goes to Healthy."""

import time

import pytest
from django.urls import reverse

from deployments.models import Deployment
from deployments.tests.factories import make_cluster

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout=45, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {message}")


def settled(deployment_id, status):
    deployment = Deployment.objects.get(pk=deployment_id)
    done = deployment.status == status and deployment.observed_generation == deployment.generation
    return deployment if done else None


def test_page_created_deployment_is_provisioned_by_the_worker(celery_worker_queue, tenancy, kube, login):
    cluster = make_cluster(organization=tenancy.org, url=kube.url, name="kmock")
    client = login(tenancy.owner)

    response = client.post(
        reverse("deployment_create", args=[tenancy.org.slug, tenancy.workspace.pk]),
        {
            "name": "Revenue",
            "cluster": str(cluster.pk),
            "airflow_version": "3.1.3",
            "executor": "CeleryExecutor",
            "scheduler_size": "SMALL",
        },
    )
    assert response.status_code in (200, 302), response.content[:500]
    deployment = Deployment.objects.get(name="Revenue")

    deployment = wait_for(lambda: settled(deployment.pk, "HEALTHY"), message="the Deployment to become Healthy")
    worker = f"{deployment.release_name}-worker-default"
    assert worker in {o["metadata"]["name"] for o in kube.objects(kind="Deployment", namespace=deployment.namespace)}

    queue = deployment.queues.get()
    response = client.post(
        reverse("queue_edit", args=[tenancy.org.slug, deployment.pk, queue.pk]),
        {"worker_type": "A20", "min_workers": "2", "max_workers": "2", "concurrency": ""},
    )
    assert response.status_code in (200, 204, 302), response.content[:500]

    wait_for(lambda: settled(deployment.pk, "HEALTHY"), message="the scaled Deployment to become Healthy again")
    applied = next(
        o for o in kube.objects(kind="Deployment", namespace=deployment.namespace) if o["metadata"]["name"] == worker
    )
    assert applied["spec"]["replicas"] == 2
    assert applied["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "4"
    reasons = list(Deployment.objects.get(pk=deployment.pk).events.values_list("reason", flat=True))
    assert reasons.count("Applied") == 2 and "Healthy" in reasons
