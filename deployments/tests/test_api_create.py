"""A Deployment is created fully configured in one POST, as Astro's API allows: scaling, executor settings, worker
queues and environment variables, all checked together, every error at once with its path in the body."""

from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from accounts.tests.api_helpers import api_client, assert_error
from deployments import catalog
from deployments.models import Deployment, EnvironmentVariable, WorkerQueue
from deployments.tests.test_views import state

pytestmark = pytest.mark.django_db

DEPLOYMENTS = "/api/v1/deployments/"
SECRET = "s3cret-value-do-not-leak"


def create(user, **body):
    return api_client(user).post(DEPLOYMENTS, body, format="json")


def test_a_celery_deployment_is_created_with_its_scaling_queues_and_variables(tenancy):
    response = create(
        tenancy.owner,
        workspace=tenancy.workspace.pk,
        name="Sales pipelines",
        scheduler_size="MEDIUM",
        scheduler_replicas=2,
        triggerer_replicas=2,
        api_server_replicas=2,
        headroom_percent=25,
        queues=[
            {"name": "default", "worker_type": "A10", "min_workers": 2, "max_workers": 6},
            {"name": "heavy-etl", "worker_type": "A40", "min_workers": 0, "max_workers": 3, "concurrency": 8},
        ],
        variables=[
            {"key": "TEAM", "value": "growth"},
            {"key": "API_TOKEN", "value": SECRET, "is_secret": True},
        ],
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["scheduler_size"], body["scheduler_replicas"], body["triggerer_replicas"]) == ("MEDIUM", 2, 2)
    assert (body["api_server_replicas"], body["headroom_percent"], body["generation"]) == (2, 25, 1)
    queues = {
        q["name"]: (q["worker_type"], q["min_workers"], q["max_workers"], q["concurrency"]) for q in body["queues"]
    }
    assert queues == {"default": ("A10", 2, 6, 10), "heavy-etl": ("A40", 0, 3, 8)}
    assert SECRET not in response.content.decode()

    deployment = Deployment.objects.get(pk=body["id"])
    assert {v.key: (v.value, v.is_secret) for v in deployment.variables.all()} == {
        "TEAM": ("growth", False),
        "API_TOKEN": (SECRET, True),
    }
    assert deployment.reconcile_requested_at is not None  # provisioning takes it from here, once
    event = AuditEvent.objects.get(action="deployment.create")
    assert event.changes["queues"] == ["default", "heavy-etl"]
    assert event.changes["variables"] == ["API_TOKEN", "TEAM"]
    assert SECRET not in str(event.changes)
    variables = api_client(tenancy.owner).get(f"{DEPLOYMENTS}{deployment.pk}/variables/").json()["results"]
    assert {v["key"]: v["value"] for v in variables} == {"API_TOKEN": None, "TEAM": "growth"}


def test_a_kubernetes_deployment_is_created_with_its_task_pod_settings(tenancy):
    response = create(
        tenancy.owner,
        workspace=tenancy.workspace.pk,
        name="Batch",
        executor=catalog.Executor.KUBERNETES,
        task_pod_cpu="2.5",
        task_pod_memory_mib=4096,
        max_task_pods=40,
    )
    assert response.status_code == 201, response.content
    deployment = Deployment.objects.get(pk=response.json()["id"])
    assert (deployment.task_pod_cpu, deployment.task_pod_memory_mib, deployment.max_task_pods) == (
        Decimal("2.5"),
        4096,
        40,
    )
    assert response.json()["queues"] == []


def test_without_queues_the_default_queue_is_made_as_before(tenancy):
    response = create(tenancy.owner, workspace=tenancy.workspace.pk, name="Plain")
    assert response.status_code == 201, response.content
    assert [q["name"] for q in response.json()["queues"]] == ["default"]


def test_leaving_out_the_default_queue_keeps_it_with_its_defaults(tenancy):
    response = create(
        tenancy.owner,
        workspace=tenancy.workspace.pk,
        name="Extra queue",
        queues=[{"name": "ml", "worker_type": "A20"}],
    )
    assert response.status_code == 201, response.content
    assert sorted(q["name"] for q in response.json()["queues"]) == ["default", "ml"]


def test_every_error_of_a_one_post_create_is_reported_with_its_path(tenancy):
    before = state()
    response = create(
        tenancy.owner,
        workspace=tenancy.workspace.pk,
        name="",
        scheduler_replicas=9,
        headroom_percent="lots",
        queues=[
            {"name": "etl", "max_workers": 5},
            {"name": "etl", "min_workers": 4, "max_workers": 99},
            {"name": "Bad Name", "worker_type": "A1000", "concurrency": 0},
        ],
        variables=[{"key": "1BAD", "value": "x"}, {"key": "OK", "value": "x" * 40_000}, {"key": "OK", "value": "y"}],
    )
    fields = assert_error(response, 400, "invalid")["fields"]
    assert set(fields) == {
        "name",
        "scheduler_replicas",
        "headroom_percent",
        "queues[1].name",
        "queues[1].max_workers",
        "queues[2].name",
        "queues[2].worker_type",
        "queues[2].concurrency",
        "variables[0].key",
        "variables[1].value",
        "variables[2].key",
    }
    assert fields["queues[1].name"] == ["There is already a queue named “etl”."]
    assert fields["headroom_percent"] == ["Enter a whole number for extra quota headroom (%)."]
    assert state() == before


def test_fields_a_queue_does_not_have_are_refused_together(tenancy):
    """A body of the wrong shape is refused before its values are checked: every unknown field at once."""
    response = create(
        tenancy.owner,
        workspace=tenancy.workspace.pk,
        name="x",
        colour="blue",
        queues=[{"name": "ok", "colour": "blue"}, {"name": "etl", "size": 3, "status": "HEALTHY"}],
    )
    fields = assert_error(response, 400, "invalid")["fields"]
    assert set(fields) == {"colour", "queues[0].colour", "queues[1].size", "queues[1].status"}
    assert fields["queues[1].status"] == ["This field cannot be set here."]


def test_queues_are_refused_for_the_kubernetes_executor(tenancy):
    response = create(
        tenancy.owner,
        workspace=tenancy.workspace.pk,
        name="Batch",
        executor=catalog.Executor.KUBERNETES,
        queues=[{"name": "etl"}],
    )
    error = assert_error(response, 400, "invalid")
    assert "Celery executor" in " ".join(error["fields"]["queues"])
    assert not Deployment.objects.exists() and not WorkerQueue.objects.exists()


def test_a_type_error_and_a_service_error_are_reported_together(tenancy):
    response = create(tenancy.owner, workspace=tenancy.workspace.pk, name="   ", scheduler_replicas="many")
    fields = assert_error(response, 400, "invalid")["fields"]
    assert set(fields) == {"name", "scheduler_replicas"}
    assert fields["scheduler_replicas"] == ["Enter a whole number for scheduler replicas."]


def test_a_read_only_member_cannot_create_even_fully_configured(tenancy):
    response = create(tenancy.member, workspace=tenancy.workspace.pk, name="x", variables=[{"key": "A", "value": "b"}])
    assert_error(response, 403, "permission_denied")
    assert not EnvironmentVariable.objects.exists()
