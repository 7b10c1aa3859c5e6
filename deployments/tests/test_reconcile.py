"""Reconcile over real HTTP against the fake cluster: it creates everything, writes nothing when nothing changed,
prunes what is no longer wanted, survives flaky API servers, fails readably on bad requests, observes readiness,
and tears everything down on delete."""

import uuid

import psycopg
import pytest
import yaml
from django.utils import timezone

from deployments import catalog, metadata_db, selectors, services, tasks
from deployments.kube import reconcile, render, scheduling
from deployments.kube.gateway import ObjectRef
from deployments.models import Deployment
from deployments.tests.factories import kubeconfig_for, make_cluster, make_deployment

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"  # Aerodrome's own: only checks go straight to it


@pytest.fixture(autouse=True)
def quick_kubernetes(settings):
    settings.KUBE_BACKOFF_MS = 5
    settings.KUBE_REQUEST_TIMEOUT = 1
    settings.KUBE_RETRIES = 4


@pytest.fixture(autouse=True)
def wake_ups(monkeypatch):
    """The wake-ups the code under test would publish, recorded instead (these tests run the task inline)."""
    published = []
    monkeypatch.setattr(scheduling, "_publish", lambda deployment_id, due, now: published.append(deployment_id) or 1)
    return published


def run_chain(deployment, limit=20) -> Deployment:
    """Runs the task as its wake-ups would, each retry once its backoff is over (skipping the wait)."""
    for _ in range(limit):
        tasks.reconcile.apply(args=(deployment.pk,))
        current = Deployment.objects.get(pk=deployment.pk)
        if current.next_attempt_at is None:
            return current
        Deployment.objects.filter(pk=deployment.pk).update(next_attempt_at=timezone.now())
    raise AssertionError("the retry chain did not end")


@pytest.fixture
def cluster(tenancy, kube):
    return make_cluster(organization=tenancy.org, url=kube.url)


@pytest.fixture
def deployment(tenancy, cluster):
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)


def refs(objects):
    return {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects}


def desired(deployment):
    deployment = Deployment.objects.get(pk=deployment.pk)
    return refs(render.render(selectors.deployment_spec(deployment)))


def in_cluster(kube, deployment):
    return {ref for ref in refs(kube.objects()) if deployment.namespace in (ref[1], ref[2])}


def fresh(deployment):
    return Deployment.objects.get(pk=deployment.pk)


def test_first_run_creates_every_object_and_becomes_healthy(kube, deployment):
    outcome = reconcile.run(deployment.pk)

    assert in_cluster(kube, deployment) == desired(deployment)
    assert len(outcome.created) == len(desired(deployment)) and not outcome.updated
    deployment = fresh(deployment)
    assert deployment.status == Deployment.Status.HEALTHY
    assert deployment.observed_generation == deployment.generation == 1
    assert [e.reason for e in deployment.events.order_by("id")] == ["Created", "Applied", "Healthy"]
    # Every object went through server-side apply under our field manager.
    patches = [path for method, path in kube.request_log if method == "PATCH"]
    assert len(patches) == len(desired(deployment))
    assert all("fieldManager=aerodrome" in path and "force=true" in path for path in patches)


def test_stored_manifest_is_what_was_applied_without_secret_values(kube, deployment):
    reconcile.run(deployment.pk)

    manifest = fresh(deployment).applied_manifest
    documents = list(yaml.safe_load_all(manifest))
    assert refs(documents) == desired(deployment)
    assert deployment.generated_secrets["fernet_key"] not in manifest
    assert "<redacted>" in manifest


def test_a_second_run_writes_nothing(kube, deployment):
    reconcile.run(deployment.pk)
    kube.request_log.clear()
    changes = kube.changes

    outcome = reconcile.run(deployment.pk)

    assert outcome.unchanged == len(desired(deployment))
    assert not [method for method, _ in kube.request_log if method != "GET"]
    assert kube.changes == changes


def test_an_object_deleted_behind_our_back_is_recreated(kube, deployment):
    reconcile.run(deployment.pk)
    gateway_ref = ObjectRef("v1", "ConfigMap", deployment.namespace, f"{deployment.release_name}-config")
    from deployments.kube import clusters

    clusters.gateway_for(deployment.cluster).delete(gateway_ref)

    outcome = reconcile.run(deployment.pk)

    assert outcome.created == [f"ConfigMap/{deployment.release_name}-config"]
    assert in_cluster(kube, deployment) == desired(deployment)


def test_scaling_updates_only_what_changed(tenancy, kube, deployment):
    reconcile.run(deployment.pk)

    services.queue_update(actor=tenancy.owner, queue=deployment.queues.get(), worker_type="A20")
    outcome = reconcile.run(deployment.pk)

    assert f"Deployment/{deployment.release_name}-worker-default" in outcome.updated
    assert f"Deployment/{deployment.release_name}-api-server" not in outcome.updated
    assert fresh(deployment).observed_generation == 2


def test_generated_secrets_survive_reconciles(tenancy, kube, deployment):
    reconcile.run(deployment.pk)
    name = f"{deployment.release_name}-fernet-key"
    before = [
        o["data"] for o in kube.objects(kind="Secret", namespace=deployment.namespace) if o["metadata"]["name"] == name
    ]

    services.variable_set(actor=tenancy.owner, deployment=deployment, key="TEAM", value="growth")
    reconcile.run(deployment.pk)

    after = [
        o["data"] for o in kube.objects(kind="Secret", namespace=deployment.namespace) if o["metadata"]["name"] == name
    ]
    assert before == after and before


def test_a_removed_queue_is_pruned(tenancy, kube, deployment):
    queue = services.queue_create(actor=tenancy.owner, deployment=deployment, name="ml")
    reconcile.run(deployment.pk)
    assert ("Deployment", deployment.namespace, f"{deployment.release_name}-worker-ml") in in_cluster(kube, deployment)

    services.queue_delete(actor=tenancy.owner, queue=queue)
    outcome = reconcile.run(deployment.pk)

    assert f"Deployment/{deployment.release_name}-worker-ml" in outcome.pruned
    assert in_cluster(kube, deployment) == desired(deployment)


def test_switching_to_the_kubernetes_executor_prunes_celery_objects(tenancy, kube, deployment):
    reconcile.run(deployment.pk)

    services.deployment_update(actor=tenancy.owner, deployment=deployment, executor=catalog.Executor.KUBERNETES)
    reconcile.run(deployment.pk)

    workloads = {ref[2] for ref in in_cluster(kube, deployment) if ref[0] in ("Deployment", "StatefulSet", "Service")}
    assert not {n for n in workloads if "redis" in n or "worker" in n or "flower" in n}
    assert in_cluster(kube, deployment) == desired(deployment)


def test_objects_we_do_not_own_are_left_alone(kube, deployment):
    reconcile.run(deployment.pk)
    kube.put(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "someone-elses", "namespace": deployment.namespace, "labels": {"team": "x"}},
            "data": {},
        }
    )

    reconcile.run(deployment.pk)

    assert ("ConfigMap", deployment.namespace, "someone-elses") in refs(kube.objects())


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_and_converge(kube, deployment, status):
    kube.fail_next(3, status=status, method="PATCH")

    reconcile.run(deployment.pk)

    assert fresh(deployment).status == Deployment.Status.HEALTHY
    assert in_cluster(kube, deployment) == desired(deployment)


def test_throttling_is_retried_after_the_servers_delay(kube, deployment):
    kube.fail_next(2, status=429, headers={"Retry-After": "0"})

    reconcile.run(deployment.pk)

    assert in_cluster(kube, deployment) == desired(deployment)


def test_a_hanging_api_server_times_out_and_is_retried(kube, deployment):
    kube.hang_next(1, seconds=5, method="PATCH")

    reconcile.run(deployment.pk)

    assert fresh(deployment).status == Deployment.Status.HEALTHY


def test_persistent_outage_is_retried_by_the_task_then_fails_readably(kube, deployment, settings):
    settings.RECONCILE_RETRIES = 3
    kube.fail_next(10_000, status=503)

    deployment = run_chain(deployment)

    assert deployment.status == Deployment.Status.FAILED
    assert deployment.status_reason.startswith("Gave up after 4 attempts: cluster unreachable since")
    assert "503" in deployment.status_reason
    unreachable = deployment.events.filter(reason="Unreachable")
    assert unreachable.count() == 1 and unreachable.get().count == 4  # one event, counting the attempts


def test_the_task_converges_once_the_outage_ends(kube, deployment):
    kube.fail_next(7, status=503)  # more than one run's own retries, fewer than the task's

    assert run_chain(deployment).status == Deployment.Status.HEALTHY
    assert fresh(deployment).events.filter(reason="Unreachable").exists()
    assert fresh(deployment).reconcile_attempts == 0  # the chain ended with the outage


def test_a_rejected_object_fails_with_the_servers_reason_and_no_retry(kube, deployment):
    kube.fail_next(1, status=422, method="PATCH", message='Secret "x" is invalid: data[bad key]: Invalid value')

    tasks.reconcile.apply(args=(deployment.pk,))

    deployment = fresh(deployment)
    assert deployment.status == Deployment.Status.FAILED
    assert 'Secret "x" is invalid' in deployment.status_reason
    assert not deployment.events.filter(reason="Unreachable").exists()
    assert deployment.events.filter(reason="Failed", level="ERROR").exists()


def test_unready_workloads_keep_it_deploying_then_healthy_once_ready(kube, deployment):
    kube.workloads = "unready"

    assert reconcile.run(deployment.pk).status == Deployment.Status.DEPLOYING
    assert "to become ready" in fresh(deployment).status_reason

    kube.mark_workloads_ready(deployment.namespace)
    assert reconcile.observe(deployment.pk) == Deployment.Status.HEALTHY


def test_workloads_that_never_become_ready_end_unhealthy(kube, deployment, settings):
    kube.workloads = "unready"
    reconcile.run(deployment.pk)
    settings.READINESS_TIMEOUT_SECONDS = 0

    assert reconcile.observe(deployment.pk) == Deployment.Status.UNHEALTHY
    assert fresh(deployment).events.filter(reason="Unhealthy").exists()


def test_a_held_lease_keeps_a_second_worker_out(deployment):
    holder = reconcile.acquire(deployment.pk)
    assert holder
    with pytest.raises(reconcile.Busy):
        reconcile.run(deployment.pk)
    reconcile.release(deployment.pk, holder)


def test_delete_removes_every_object_namespace_and_database(tenancy, kube, tenant_postgres):
    cluster = make_cluster(organization=tenancy.org, url=kube.url, name="with-db", database_admin_url=tenant_postgres)
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    reconcile.run(deployment.pk)
    database = selectors.database_name(deployment.release_name)
    assert metadata_db.exists(ADMIN_URL, name=database, user=database, guarded=False) == (True, True)

    services.deployment_delete(actor=tenancy.owner, deployment=deployment, confirm_name=deployment.name)
    reconcile.run(deployment.pk)

    assert not in_cluster(kube, deployment)
    assert metadata_db.exists(ADMIN_URL, name=database, user=database, guarded=False) == (False, False)
    assert fresh(deployment).status == Deployment.Status.DELETED


def test_metadata_connection_reaches_the_created_database(tenancy, kube, tenant_postgres):
    import base64

    import psycopg

    cluster = make_cluster(organization=tenancy.org, url=kube.url, name="db2", database_admin_url=tenant_postgres)
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    try:
        reconcile.run(deployment.pk)
        secret = next(
            o
            for o in kube.objects(kind="Secret")
            if o["metadata"]["name"] == f"{deployment.release_name}-airflow-metadata"
        )
        connection = base64.b64decode(secret["data"]["connection"]).decode()
        # Inside the cluster it goes through pgbouncer; here we swap in the PostgreSQL it fronts.
        direct = connection.replace(
            f"{deployment.release_name}-pgbouncer.{deployment.namespace}:6543", "127.0.0.1:5432"
        )
        with psycopg.connect(direct) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (
                selectors.database_name(deployment.release_name),
            )
    finally:
        name = selectors.database_name(deployment.release_name)
        metadata_db.drop(ADMIN_URL, name=name, user=name, guarded=False)


def test_manifests_only_cluster_renders_without_any_request(tenancy, kube):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=None)

    reconcile.run(deployment.pk)

    deployment = fresh(deployment)
    assert deployment.status == Deployment.Status.RENDERED
    assert deployment.get_status_display() == "Rendered (no cluster)"
    assert refs(yaml.safe_load_all(deployment.applied_manifest)) == desired(deployment)
    assert not kube.request_log


def test_unreachable_cluster_is_a_transient_error(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, name="gone", kubeconfig=kubeconfig_for("http://127.0.0.1:1"))
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    from deployments.kube.gateway import TransientError

    with pytest.raises(TransientError, match="cannot connect"):
        reconcile.run(deployment.pk)
    assert fresh(deployment).reconcile_lease_until is None  # the lease is released for the retry


def test_sweep_picks_lagging_deleting_and_stale_deployments(tenancy, kube, deployment, settings):
    healthy = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name=f"h-{uuid.uuid4().hex[:6]}")
    reconcile.run(deployment.pk)
    reconcile.run(healthy.pk)
    assert set(scheduling.due_for_sweep()) == set()

    services.deployment_update(actor=tenancy.owner, deployment=deployment, scheduler_replicas=2)
    assert set(scheduling.due_for_sweep()) == {fresh(deployment)}

    settings.RECONCILE_STALE_SECONDS = 0
    Deployment.objects.filter(pk=healthy.pk).update(last_reconciled_at=timezone.now() - timezone.timedelta(seconds=5))
    assert set(scheduling.due_for_sweep()) == {fresh(deployment), fresh(healthy)}


def test_credentials_the_client_cannot_load_fail_readably_instead_of_crashing(tenancy):
    unusable = yaml.safe_dump(
        {
            "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:1"}}],
            "users": [{"name": "u", "user": {"token": "t"}}],
            "contexts": [{"name": "x", "context": {"cluster": "elsewhere", "user": "u"}}],  # no such cluster
            "current-context": "x",
        }
    )
    cluster = make_cluster(organization=tenancy.org, name="bad-credentials", kubeconfig=unusable)
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)

    assert tasks.reconcile.apply(args=(deployment.pk,)).successful()

    deployment = fresh(deployment)
    assert deployment.status == Deployment.Status.FAILED
    assert deployment.status_reason.startswith("The credentials cannot be used")
    assert deployment.reconcile_lease_until is None


def test_a_busy_deployment_is_left_to_its_lease_holder_without_spending_retries(deployment, wake_ups):
    holder = reconcile.acquire(deployment.pk)  # another worker holds the lease

    assert tasks.reconcile(deployment.pk) is None

    assert wake_ups == []  # no spinning against the other run, which goes round again for what is wanted
    assert fresh(deployment).reconcile_attempts == 0 and fresh(deployment).reconcile_requested_at is not None
    reconcile.release(deployment.pk, holder)  # had that run died, its lease would lapse and the sweep ring
    assert fresh(deployment) in scheduling.due_for_sweep()


def test_a_late_readiness_check_does_not_call_an_unapplied_change_healthy(tenancy, kube, deployment):
    reconcile.run(deployment.pk)
    services.deployment_update(actor=tenancy.owner, deployment=deployment, scheduler_replicas=2)  # not applied yet

    assert reconcile.observe(deployment.pk) == Deployment.Status.DEPLOYING

    deployment = fresh(deployment)
    assert deployment.status == Deployment.Status.DEPLOYING
    assert deployment.status_reason == "Changed scheduler replicas 1 → 2."


def test_the_sweep_only_watches_a_rollout_whose_readiness_watch_was_lost(kube, deployment, settings, wake_ups):
    """Reconciling restarts the readiness clock: were the sweep to reconcile a Deployment that is still rolling
    out, one that never becomes ready would stay DEPLOYING for ever. It only restarts a lost readiness watch."""
    settings.RECONCILE_STALE_SECONDS, settings.READINESS_TIMEOUT_SECONDS = 600, 900
    kube.workloads = "unready"
    reconcile.run(deployment.pk)
    Deployment.objects.filter(pk=deployment.pk).update(last_reconciled_at=timezone.now() - timezone.timedelta(hours=1))
    assert fresh(deployment).status == Deployment.Status.DEPLOYING
    assert scheduling.wake(deployment.pk)  # a watch is queued: nothing for the sweep
    assert set(scheduling.due_for_sweep()) == set()

    Deployment.objects.filter(pk=deployment.pk).update(reconcile_queued_at=None)  # its worker died with it
    assert set(scheduling.due_for_sweep()) == {fresh(deployment)}
    kube.request_log.clear()
    tasks.reconcile(deployment.pk)

    assert not [method for method, _ in kube.request_log if method != "GET"]  # observed, not applied again
    deployment = fresh(deployment)
    assert deployment.status == Deployment.Status.UNHEALTHY  # the readiness clock was not restarted


def test_the_sweep_takes_never_reconciled_deployments_first(tenancy, kube, deployment, settings, monkeypatch):
    settings.RECONCILE_STALE_SECONDS = 0
    reconcile.run(deployment.pk)
    Deployment.objects.filter(pk=deployment.pk).update(last_reconciled_at=timezone.now() - timezone.timedelta(hours=1))
    waiting = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Never reconciled")
    wake_ups = []
    monkeypatch.setattr(scheduling, "_publish", lambda deployment_id, due, now: wake_ups.append(deployment_id) or 1)

    assert tasks.sweep(limit=1) == 1

    assert wake_ups == [waiting.pk]


def test_a_metadata_postgresql_that_refuses_fails_readably(tenancy, kube, tenant_postgres):
    role = f"nopriv_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')  # may log in, may not create roles or databases
    try:
        admin_url = tenant_postgres.replace("postgres@", f"{role}@", 1)
        cluster = make_cluster(organization=tenancy.org, url=kube.url, name="no-rights", database_admin_url=admin_url)
        deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)

        assert tasks.reconcile.apply(args=(deployment.pk,)).successful()

        deployment = fresh(deployment)
        assert deployment.status == Deployment.Status.FAILED
        assert "permission denied" in deployment.status_reason
        assert not deployment.events.filter(reason="Unreachable").exists()
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_a_database_url_postgresql_cannot_parse_fails_without_showing_the_password(tenancy, kube):
    admin_url = "postgresql://admin:s3cret%zz@127.0.0.1:5432/postgres"  # saved before it was checked
    cluster = make_cluster(organization=tenancy.org, url=kube.url, name="bad-url", database_admin_url=admin_url)
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)

    assert tasks.reconcile.apply(args=(deployment.pk,)).successful()

    deployment = fresh(deployment)
    assert deployment.status == Deployment.Status.FAILED
    assert "s3cret" not in deployment.status_reason
    assert not deployment.events.filter(message__contains="s3cret").exists()
