"""The service layer every page, API call and admin action goes through: roles, validation, generations,
audit entries, and secrets that stay secret."""

import re
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import WorkspaceRole
from accounts.tests.factories import BindingFactory, MembershipFactory, UserFactory
from deployments import catalog, services
from deployments.models import Deployment, DeploymentEvent, EnvironmentVariable, WorkerQueue
from deployments.tests.factories import make_cluster, make_deployment
from workspaces import services as workspace_services


@pytest.fixture
def deployment(tenancy):
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)


def with_role(tenancy, role):
    user = UserFactory()
    MembershipFactory(organization=tenancy.org, user=user)
    BindingFactory(workspace=tenancy.workspace, user=user, role=role)
    return user


def snapshot():
    return (
        list(Deployment.objects.values()),
        list(WorkerQueue.objects.values()),
        list(EnvironmentVariable.objects.values("key", "is_secret", "updated_at")),
        AuditEvent.objects.count(),
    )


# --------------------------------------------------------------------------------------------------- creating


def test_create_gives_a_release_name_default_queue_and_audit(tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, contact_emails="a@x.io, B@x.io")

    assert re.fullmatch(r"[a-z]+-[a-z]+-\d{4}", deployment.release_name)
    assert deployment.namespace == f"aerodrome-{deployment.release_name}"
    assert deployment.image == f"apache/airflow:{catalog.DEFAULT_AIRFLOW_VERSION}"
    assert deployment.contact_emails == ["a@x.io", "b@x.io"]
    assert deployment.status == Deployment.Status.CREATING
    assert [(q.name, q.worker_type, q.concurrency) for q in deployment.queues.all()] == [("default", "A5", 5)]
    assert AuditEvent.objects.filter(action="deployment.create", target_id=str(deployment.pk)).exists()
    assert deployment.events.get().reason == "Created"


def test_generated_secrets_are_encrypted_at_rest(deployment):
    with connection.cursor() as cursor:
        cursor.execute("SELECT generated_secrets FROM deployments_deployment WHERE id = %s", [deployment.pk])
        stored = cursor.fetchone()[0]
    fernet_key = deployment.generated_secrets["fernet_key"]
    assert fernet_key and fernet_key not in stored
    assert Deployment.objects.get(pk=deployment.pk).generated_secrets["fernet_key"] == fernet_key


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "x" * 101),
        ("airflow_version", "1.10.15"),
        ("executor", "SequentialExecutor"),
        ("scheduler_size", "HUGE"),
        ("image_tag", "bad tag!"),
        ("image_repository", "Not A Repo"),
        ("contact_emails", "not-an-address"),
    ],
)
def test_create_rejects_bad_input_and_saves_nothing(tenancy, field, value):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, **{field: value})
    assert field in caught.value.message_dict
    assert snapshot() == before


def test_create_rejects_a_duplicate_name_in_the_workspace_whatever_the_case(tenancy, deployment):
    with pytest.raises(ValidationError, match="already exists"):
        make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name=deployment.name.upper())


def test_create_refuses_another_organisations_cluster(tenancy):
    foreign = make_cluster(organization=tenancy.other_org)
    with pytest.raises(ValidationError) as caught:
        make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=foreign)
    assert "cluster" in caught.value.message_dict


def test_create_accepts_own_and_platform_clusters(tenancy):
    own = make_cluster(organization=tenancy.org)
    platform = make_cluster(organization=None, name="shared")
    assert make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="a", cluster=own).cluster == own
    assert (
        make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="b", cluster=platform.pk).cluster
        == platform
    )


@pytest.mark.parametrize("role", [WorkspaceRole.MEMBER, WorkspaceRole.AUTHOR])
def test_members_and_authors_cannot_create_scale_or_delete(tenancy, deployment, role):
    user = with_role(tenancy, role)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        make_deployment(actor=user, workspace=tenancy.workspace, name="Other")
    with pytest.raises(PermissionDenied):
        services.deployment_update(actor=user, deployment=deployment, scheduler_replicas=2)
    with pytest.raises(PermissionDenied):
        services.queue_update(actor=user, queue=deployment.queues.get(), max_workers=20)
    with pytest.raises(PermissionDenied):
        services.variable_set(actor=user, deployment=deployment, key="A", value="1")
    with pytest.raises(PermissionDenied):
        services.deployment_delete(actor=user, deployment=deployment, confirm_name=deployment.name)
    assert snapshot() == before


def test_operator_can_create_scale_and_delete(tenancy):
    operator = with_role(tenancy, WorkspaceRole.OPERATOR)
    deployment = make_deployment(actor=operator, workspace=tenancy.workspace)
    services.deployment_update(actor=operator, deployment=deployment, scheduler_replicas=2)
    services.deployment_delete(actor=operator, deployment=deployment, confirm_name=deployment.name)
    assert Deployment.objects.get(pk=deployment.pk).status == Deployment.Status.DELETING


# --------------------------------------------------------------------------------------------------- updating


def test_update_bumps_generation_marks_deploying_and_audits(tenancy, deployment):
    Deployment.objects.filter(pk=deployment.pk).update(status=Deployment.Status.HEALTHY, observed_generation=1)

    services.deployment_update(actor=tenancy.owner, deployment=deployment, scheduler_size="LARGE", scheduler_replicas=2)

    deployment.refresh_from_db()
    assert (deployment.generation, deployment.status) == (2, Deployment.Status.DEPLOYING)
    entry = AuditEvent.objects.get(action="deployment.update")
    assert entry.changes == {"scheduler_size": ["SMALL", "LARGE"], "scheduler_replicas": ["1", "2"]}
    assert deployment.events.first().message == "Changed scheduler size Small → Large; scheduler replicas 1 → 2."


def test_an_update_that_changes_nothing_keeps_the_generation(tenancy, deployment):
    services.deployment_update(actor=tenancy.owner, deployment=deployment, scheduler_size="SMALL")
    deployment.refresh_from_db()
    assert deployment.generation == 1
    assert not AuditEvent.objects.filter(action="deployment.update").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("scheduler_replicas", 0, "between 1 and 4"),
        ("scheduler_replicas", 5, "between 1 and 4"),
        ("scheduler_replicas", "two", "whole number"),
        ("triggerer_replicas", 3, "between 0 and 2"),
        ("api_server_replicas", 0, "between 1 and 4"),
        ("task_pod_cpu", "0.01", "between"),
        ("task_pod_memory_mib", 64, "between"),
        ("headroom_percent", -1, "between"),
        ("scheduler_size", "TINY", "not a valid scheduler size"),
        ("executor", "LocalExecutor", "not a valid executor"),
    ],
)
def test_update_rejects_out_of_range_resources(tenancy, deployment, field, value, message):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.deployment_update(actor=tenancy.owner, deployment=deployment, **{field: value})
    assert message in caught.value.message_dict[field][0]
    assert snapshot() == before


def test_image_tag_follows_the_airflow_version_unless_pinned(tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, airflow_version="2.11.0")
    services.deployment_update(actor=tenancy.owner, deployment=deployment, airflow_version="3.0.6")
    assert Deployment.objects.get(pk=deployment.pk).image_tag == "3.0.6"

    services.deployment_update(actor=tenancy.owner, deployment=deployment, image_tag="3.0.6-python3.12-custom")
    services.deployment_update(actor=tenancy.owner, deployment=deployment, airflow_version="3.1.3")
    assert Deployment.objects.get(pk=deployment.pk).image_tag == "3.0.6-python3.12-custom"


def test_unknown_fields_cannot_be_updated(tenancy, deployment):
    with pytest.raises(ValidationError) as caught:
        services.deployment_update(actor=tenancy.owner, deployment=deployment, generation=99, release_name="x")
    assert set(caught.value.message_dict) == {"generation", "release_name"}


# ------------------------------------------------------------------------------------------------------ queues


def test_add_scale_and_remove_a_queue(tenancy, deployment):
    queue = services.queue_create(actor=tenancy.owner, deployment=deployment, name="ml-heavy", worker_type="A20")
    assert (queue.concurrency, queue.min_workers, queue.max_workers) == (20, 1, 10)

    services.queue_update(actor=tenancy.owner, queue=queue, min_workers=2, max_workers=30)
    services.queue_delete(actor=tenancy.owner, queue=queue)

    deployment.refresh_from_db()
    assert deployment.generation == 4
    assert list(deployment.queues.values_list("name", flat=True)) == ["default"]
    actions = AuditEvent.objects.filter(action__startswith="deployment.queue").values_list("action", flat=True)
    assert sorted(actions) == ["deployment.queue_create", "deployment.queue_delete", "deployment.queue_update"]


def test_concurrent_scaling_of_one_queue_keeps_both_changes(tenancy, deployment):
    first, second = deployment.queues.get(), deployment.queues.get()  # two requests load the queue at once

    services.queue_update(actor=tenancy.owner, queue=first, min_workers=3)
    services.queue_update(actor=tenancy.owner, queue=second, max_workers=20)

    queue = WorkerQueue.objects.get(pk=first.pk)
    assert (queue.min_workers, queue.max_workers) == (3, 20)


def test_changing_worker_type_moves_a_default_concurrency_but_keeps_a_chosen_one(tenancy, deployment):
    default = deployment.queues.get()
    services.queue_update(actor=tenancy.owner, queue=default, worker_type="A10")
    assert WorkerQueue.objects.get(pk=default.pk).concurrency == 10

    services.queue_update(actor=tenancy.owner, queue=default, concurrency=3)
    services.queue_update(actor=tenancy.owner, queue=default, worker_type="A40")
    assert WorkerQueue.objects.get(pk=default.pk).concurrency == 3


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "ML"}, "name"),
        ({"name": "ml_heavy"}, "name"),
        ({"name": "-ml"}, "name"),
        ({"name": "x" * 64}, "name"),
        ({"name": "ml\n"}, "name"),
        ({"name": "\rml"}, "name"),
        ({"name": "default"}, "name"),
        ({"name": "ml", "min_workers": 5, "max_workers": 2}, "min_workers"),
        ({"name": "ml", "max_workers": 31}, "max_workers"),
        ({"name": "ml", "max_workers": 0}, "max_workers"),
        ({"name": "ml", "min_workers": -1}, "min_workers"),
        ({"name": "ml", "concurrency": 65}, "concurrency"),
        ({"name": "ml", "worker_type": "A1000"}, "worker_type"),
    ],
)
def test_bad_queues_are_refused(tenancy, deployment, fields, field):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.queue_create(actor=tenancy.owner, deployment=deployment, **fields)
    assert field in caught.value.message_dict
    assert snapshot() == before


def test_the_default_queue_cannot_be_removed(tenancy, deployment):
    with pytest.raises(ValidationError, match="default queue is required"):
        services.queue_delete(actor=tenancy.owner, queue=deployment.queues.get())


# ---------------------------------------------------------------------------------------------- version changes


@pytest.mark.parametrize(("current", "older"), [("3.1.3", "2.11.0"), ("3.1.3", "3.0.6"), ("3.0.6", "2.11.0")])
def test_airflow_cannot_go_back_to_an_older_version(tenancy, current, older):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, airflow_version=current)
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.deployment_update(actor=tenancy.owner, deployment=deployment, airflow_version=older)
    assert caught.value.message_dict == {
        "airflow_version": [
            f"Airflow cannot go back from {current} to {older}: its metadata database cannot be migrated down. "
            "Create a new Deployment instead."
        ]
    }
    assert snapshot() == before


def test_a_change_names_the_old_and_new_value_of_every_field_in_its_event_and_audit(tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, airflow_version="3.0.6")
    services.deployment_update(
        actor=tenancy.owner,
        deployment=deployment,
        airflow_version="3.1.3",
        contact_emails="a@acme.test, b@acme.test",
        executor=catalog.Executor.KUBERNETES,
        task_pod_cpu="1.5",
        headroom_percent=20,
    )
    assert deployment.events.first().message == (
        "Changed contact emails (none) → a@acme.test, b@acme.test; Airflow 3.0.6 → 3.1.3; "
        "image tag 3.0.6 → 3.1.3; executor Celery executor → Kubernetes executor; task pod CPU 0.5 → 1.5; "
        "extra quota headroom 0% → 20%."
    )
    assert AuditEvent.objects.get(action="deployment.update").changes == {
        "contact_emails": ["", "a@acme.test, b@acme.test"],
        "airflow_version": ["3.0.6", "3.1.3"],
        "image_tag": ["3.0.6", "3.1.3"],
        "executor": [catalog.Executor.CELERY, catalog.Executor.KUBERNETES],
        "task_pod_cpu": ["0.5", "1.5"],
        "headroom_percent": ["0", "20"],
    }


@pytest.mark.parametrize("tag", ["2.10.5", "latest", "my-build-42", "3.1.30", "2.3.1.3"])
def test_a_pinned_tag_unlike_the_version_is_saved_with_a_warning(tenancy, deployment, tag):
    services.deployment_update(actor=tenancy.owner, deployment=deployment, image_tag=tag)
    deployment.refresh_from_db()
    assert deployment.image_tag == tag
    assert services.deployment_warnings(deployment) == [
        f"The image tag “{tag}” does not look like Airflow 3.1.3. Aerodrome configures this Deployment for "
        "Airflow 3.1.3: make sure the image runs it."
    ]


@pytest.mark.parametrize("tag", ["", "3.1.3", "3.1.3-python3.12", "slim-3.1.3", "v3.1.3", "3.1.3.post1"])
def test_a_tag_naming_the_version_gives_no_warning(tenancy, deployment, tag):
    services.deployment_update(actor=tenancy.owner, deployment=deployment, image_tag=tag)
    deployment.refresh_from_db()
    assert deployment.image_tag == (tag or "3.1.3")
    assert services.deployment_warnings(deployment) == []


def test_queues_need_the_celery_executor(tenancy, deployment):
    services.deployment_update(actor=tenancy.owner, deployment=deployment, executor=catalog.Executor.KUBERNETES)
    with pytest.raises(ValidationError, match="Celery executor"):
        services.queue_create(actor=tenancy.owner, deployment=deployment, name="ml")


# ------------------------------------------------------------------------------------------ environment variables


def test_secret_values_are_encrypted_and_kept_when_other_fields_change(tenancy, deployment):
    services.variable_set(actor=tenancy.owner, deployment=deployment, key="API_TOKEN", value="hunter2", is_secret=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM deployments_environmentvariable WHERE key = 'API_TOKEN'")
        assert "hunter2" not in cursor.fetchone()[0]

    services.variable_set(actor=tenancy.owner, deployment=deployment, key="API_TOKEN", value=None, is_secret=True)
    services.variable_set(actor=tenancy.owner, deployment=deployment, key="OTHER", value="plain")

    assert EnvironmentVariable.objects.get(key="API_TOKEN").value == "hunter2"
    assert EnvironmentVariable.objects.get(key="API_TOKEN").display_value is None
    assert "hunter2" not in str(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_a_secret_cannot_be_made_visible(tenancy, deployment):
    services.variable_set(actor=tenancy.owner, deployment=deployment, key="PW", value="x", is_secret=True)
    with pytest.raises(ValidationError) as caught:
        services.variable_set(actor=tenancy.owner, deployment=deployment, key="PW", value="y", is_secret=False)
    assert "is_secret" in caught.value.message_dict


@pytest.mark.parametrize("key", ["", "1ABC", "HAS SPACE", "AIRFLOW__CORE__EXECUTOR", "airflow__core__fernet_key"])
def test_bad_or_reserved_variable_names_are_refused(tenancy, deployment, key):
    with pytest.raises(ValidationError) as caught:
        services.variable_set(actor=tenancy.owner, deployment=deployment, key=key, value="1")
    assert "key" in caught.value.message_dict
    assert not EnvironmentVariable.objects.exists()


def test_deleting_one_variable_leaves_the_others(tenancy, deployment):
    for key in ("A", "B"):
        services.variable_set(actor=tenancy.owner, deployment=deployment, key=key, value=key, is_secret=True)
    services.variable_delete(actor=tenancy.owner, variable=EnvironmentVariable.objects.get(key="A"))
    assert list(EnvironmentVariable.objects.values_list("key", "value")) == [("B", "B")]


# ---------------------------------------------------------------------------------------------------- deleting


def test_delete_needs_the_name_then_soft_deletes(tenancy, deployment):
    with pytest.raises(ValidationError) as caught:
        services.deployment_delete(actor=tenancy.owner, deployment=deployment, confirm_name="wrong")
    assert "confirm_name" in caught.value.message_dict

    services.deployment_delete(actor=tenancy.owner, deployment=deployment, confirm_name=deployment.name)

    deployment.refresh_from_db()
    assert deployment.deleted_at and deployment.status == Deployment.Status.DELETING
    assert not Deployment.objects.live().filter(pk=deployment.pk).exists()
    with pytest.raises(ValidationError, match="being deleted"):
        services.deployment_update(actor=tenancy.owner, deployment=deployment, scheduler_replicas=2)
    # The name is free again for a new Deployment.
    make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name=deployment.name)


def test_a_workspace_cannot_be_deleted_while_its_deployments_run_or_are_torn_down(tenancy, deployment):
    workspace = tenancy.workspace

    def delete_workspace():
        workspace_services.workspace_delete(actor=tenancy.owner, workspace=workspace, confirm_name=workspace.name)

    with pytest.raises(ValidationError, match="Deployment"):
        delete_workspace()  # it would vanish from the database while its cluster objects and database stay
    services.deployment_delete(actor=tenancy.owner, deployment=deployment, confirm_name=deployment.name)
    with pytest.raises(ValidationError, match="Deployment"):
        delete_workspace()  # its teardown still needs the record
    assert Deployment.objects.filter(pk=deployment.pk).exists()

    Deployment.objects.filter(pk=deployment.pk).update(status=Deployment.Status.DELETED)
    delete_workspace()
    assert not Deployment.objects.filter(pk=deployment.pk).exists()


def test_purge_removes_only_deleted_records_past_retention(tenancy, deployment):
    old = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Old")
    recent = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Recent")
    now = timezone.now()
    Deployment.objects.filter(pk=old.pk).update(status="DELETED", deleted_at=now - timedelta(days=15))
    Deployment.objects.filter(pk=recent.pk).update(status="DELETED", deleted_at=now - timedelta(days=13))

    assert services.purge_deleted() == 1
    assert set(Deployment.objects.values_list("name", flat=True)) == {deployment.name, "Recent"}
    assert not DeploymentEvent.objects.filter(deployment_id=old.pk).exists()


def test_quota_grows_with_workers_and_headroom(tenancy, deployment):
    from deployments import quota, selectors

    base = quota.for_spec(selectors.deployment_spec(deployment))
    services.queue_update(actor=tenancy.owner, queue=deployment.queues.get(), max_workers=20)
    services.deployment_update(actor=tenancy.owner, deployment=deployment, headroom_percent=50)
    bigger = quota.for_spec(selectors.deployment_spec(Deployment.objects.get(pk=deployment.pk)))

    # Ten more A5 workers (1 CPU each, and their DAG sync sidecar) with 50% headroom, and two more surge workers (a
    # quarter of 20, not of 10).
    worker = catalog.WORKER_TYPES["A5"].size.cpu + catalog.DAG_SYNC.cpu
    assert bigger.surge.cpu == base.surge.cpu + 2 * worker
    assert bigger.cpu == ((base.components.cpu + 10 * worker) * Decimal("1.5") + bigger.surge.cpu).quantize(
        Decimal("0.1"), rounding=ROUND_CEILING
    )
    assert bigger.memory_mib > base.memory_mib
