"""The admin site for clusters, Deployments and their events: pages load in a bounded number of queries, secrets
never reach the HTML, and every change goes through `deployments.services` (so it is audited)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, User
from accounts.tests.admin_helpers import action_data, admin_url, change_form_data, messages_of
from accounts.tests.factories import PASSWORD, WorkspaceFactory
from deployments import services
from deployments.models import Cluster, Deployment, DeploymentEvent
from deployments.tests.factories import kubeconfig_for, make_cluster, make_deployment

pytestmark = pytest.mark.django_db

KUBE_TOKEN = "kube-token-do-not-leak"
DB_PASSWORD = "db-password-do-not-leak"
SECRET_VALUE = "s3cret-value-do-not-leak"


def secret_kubeconfig(url="http://127.0.0.1:1"):
    return kubeconfig_for(url).replace("test-token", KUBE_TOKEN)


@pytest.fixture
def staff_user(db):
    return User.objects.create_superuser(email="staff@aerodrome.test", password=PASSWORD)


@pytest.fixture
def staff(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def cluster(tenancy):
    return make_cluster(
        organization=tenancy.org,
        name="acme-prod",
        kubeconfig=secret_kubeconfig(),
        database_admin_url=f"postgresql://admin:{DB_PASSWORD}@db.acme.test/postgres",
    )


@pytest.fixture
def deployment(tenancy, cluster):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    services.queue_create(actor=tenancy.owner, deployment=deployment, name="etl")
    services.variable_set(actor=tenancy.owner, deployment=deployment, key="TEAM", value="growth")
    services.variable_set(
        actor=tenancy.owner, deployment=deployment, key="API_TOKEN", value=SECRET_VALUE, is_secret=True
    )
    return Deployment.objects.get(pk=deployment.pk)


def secrets_of(deployment):
    return [*deployment.generated_secrets.values(), SECRET_VALUE]


# --- Pages load ------------------------------------------------------------------------------------------------


def test_non_staff_user_is_redirected_to_the_admin_login(client, tenancy):
    client.force_login(tenancy.owner)
    response = client.get(admin_url(Deployment))
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_changelists_load_with_a_search_and_filters_applied(staff, tenancy, deployment):
    make_cluster(organization=None, name="shared")
    searches = [
        (Cluster, {"q": "acme-prod"}, 1),
        (Cluster, {"q": "Acme Data"}, 1),
        (Cluster, {"owner": "platform"}, 1),
        (Cluster, {"owner": "organization", "kubernetes_version": "1.34"}, 1),
        (Deployment, {"q": deployment.release_name}, 1),
        (Deployment, {"q": "analytics", "status__exact": "CREATING", "deleted": "no"}, 1),
        (Deployment, {"executor__exact": "CeleryExecutor", "cluster__id__exact": deployment.cluster_id}, 1),
        (Deployment, {"deleted": "yes"}, 0),
        (DeploymentEvent, {"q": deployment.release_name, "level__exact": "INFO"}, deployment.events.count()),
    ]
    for model, params, found in searches:
        response = staff.get(admin_url(model), params)
        assert response.status_code == 200, (model, params)
        assert response.context["cl"].result_count == found, (model, params)


def test_cluster_list_says_platform_for_platform_clusters(staff, cluster):
    make_cluster(organization=None, name="shared")
    content = staff.get(admin_url(Cluster)).content.decode()
    assert "Platform" in content and "Acme Data" in content


def test_change_pages_load(staff, deployment, cluster):
    event = deployment.events.first()
    for url in (
        admin_url(Cluster, "change", cluster.pk),
        admin_url(Cluster, "add"),
        admin_url(Deployment, "change", deployment.pk),
        admin_url(DeploymentEvent, "change", event.pk),
    ):
        assert staff.get(url).status_code == 200, url


def test_deployments_and_events_cannot_be_added_or_deleted_here(staff, deployment):
    assert staff.get(admin_url(Deployment, "add")).status_code == 403
    assert staff.get(admin_url(Deployment, "delete", deployment.pk)).status_code == 403
    event = deployment.events.first()
    assert staff.get(admin_url(DeploymentEvent, "add")).status_code == 403
    assert staff.get(admin_url(DeploymentEvent, "delete", event.pk)).status_code == 403
    response = staff.post(admin_url(DeploymentEvent, "change", event.pk), {"message": "edited"})
    assert response.status_code == 403
    assert DeploymentEvent.objects.get(pk=event.pk).message != "edited"


def _clusters(n):
    for _ in range(n):
        cluster = make_cluster(organization=WorkspaceFactory().organization)
        cluster.last_check_ok, cluster.last_check_message = False, "unreachable"
        cluster.save()


def _deployments(n, owner):
    workspace = WorkspaceFactory()
    cluster = make_cluster(organization=workspace.organization)
    for i in range(n):
        make_deployment(actor=owner, workspace=workspace, name=f"Deployment {Deployment.objects.count()}-{i}")
    Deployment.objects.filter(workspace=workspace).update(cluster=cluster)


@pytest.mark.parametrize("model", [Cluster, Deployment, DeploymentEvent])
def test_changelist_query_count_does_not_grow_with_rows(staff, staff_user, django_assert_max_num_queries, model):
    def make_rows(n):
        _clusters(n) if model is Cluster else _deployments(n, staff_user)

    make_rows(3)
    staff.get(admin_url(model))
    with CaptureQueriesContext(connection) as few_rows:
        response = staff.get(admin_url(model))
    assert response.status_code == 200
    make_rows(12)
    with django_assert_max_num_queries(len(few_rows)):
        response = staff.get(admin_url(model))
    assert len(response.context["cl"].result_list) >= 15


def test_deployment_change_page_query_count_does_not_grow_with_queues_and_variables(
    staff, tenancy, deployment, django_assert_max_num_queries
):
    url = admin_url(Deployment, "change", deployment.pk)
    staff.get(url)
    with CaptureQueriesContext(connection) as before:
        staff.get(url)
    for n in range(5):
        services.queue_create(actor=tenancy.owner, deployment=deployment, name=f"q{n}")
        services.variable_set(actor=tenancy.owner, deployment=deployment, key=f"K{n}", value="v", is_secret=n % 2)
    with django_assert_max_num_queries(len(before)):
        assert staff.get(url).status_code == 200


# --- Secrets stay out of the pages ---------------------------------------------------------------------------


def test_secrets_never_appear_in_the_deployment_pages(staff, deployment):
    pages = [
        staff.get(admin_url(Deployment)),
        staff.get(admin_url(Deployment, "change", deployment.pk)),
        staff.get(admin_url(DeploymentEvent)),
    ]
    for response in pages:
        assert response.status_code == 200
        content = response.content.decode()
        assert not [secret for secret in secrets_of(deployment) if secret in content]
    change_page = pages[1].content.decode()
    assert "API_TOKEN" in change_page and "•••••••• (secret)" in change_page
    assert "growth" in change_page  # plain values are shown
    assert "etl" in change_page


def test_cluster_form_never_shows_the_stored_credentials(staff, cluster):
    response = staff.get(admin_url(Cluster, "change", cluster.pk))
    content = response.content.decode()
    assert KUBE_TOKEN not in content and DB_PASSWORD not in content and "current-context" not in content
    assert "kubeconfig: stored; database admin URL: stored" in content
    assert response.context["adminform"].form.initial["kubeconfig"] == ""
    assert KUBE_TOKEN not in staff.get(admin_url(Cluster)).content.decode()


# --- Clusters through the services ---------------------------------------------------------------------------


def test_editing_a_cluster_is_audited_and_a_blank_kubeconfig_keeps_the_stored_one(staff, staff_user, cluster):
    stored = cluster.kubeconfig
    url = admin_url(Cluster, "change", cluster.pk)
    data = change_form_data(staff.get(url))
    assert data["kubeconfig"] == "" and data["database_admin_url"] == ""
    data.update(name="acme-main", prometheus_url="https://prom.acme.test")
    response = staff.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    cluster.refresh_from_db()
    assert (cluster.name, cluster.prometheus_url, cluster.kubeconfig) == ("acme-main", "https://prom.acme.test", stored)
    assert DB_PASSWORD in cluster.database_admin_url
    event = AuditEvent.objects.get(action="cluster.update")
    assert event.actor == staff_user
    assert event.changes == {"name": "acme-main", "prometheus_url": "https://prom.acme.test"}


def test_replacing_the_kubeconfig_in_the_admin_is_audited_without_the_secret(staff, cluster):
    url = admin_url(Cluster, "change", cluster.pk)
    data = change_form_data(staff.get(url))
    data["kubeconfig"] = kubeconfig_for("https://k8s.acme.test").replace("test-token", "new-token-do-not-leak")
    assert staff.post(url, data).status_code == 302
    cluster.refresh_from_db()
    assert "new-token-do-not-leak" in cluster.kubeconfig
    assert AuditEvent.objects.get(action="cluster.update").changes == {"kubeconfig": "(changed)"}


def test_adding_a_platform_cluster_in_the_admin_goes_through_the_service(staff, staff_user):
    data = change_form_data(staff.get(admin_url(Cluster, "add")))
    data.update(name="shared", kubeconfig=secret_kubeconfig(), ingress_base_domain="airflow.platform.test")
    assert staff.post(admin_url(Cluster, "add"), data).status_code == 302
    cluster = Cluster.objects.get(name="shared")
    assert cluster.is_platform and KUBE_TOKEN in cluster.kubeconfig
    event = AuditEvent.objects.get(action="cluster.create")
    assert (event.actor, event.target_id) == (staff_user, str(cluster.pk))
    assert KUBE_TOKEN not in str(event.changes)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kubeconfig": "clusters: [unclosed"}, "kubeconfig", "This is not valid YAML"),
        ({"kubeconfig": ""}, "kubeconfig", "Paste the kubeconfig"),
        ({"ingress_base_domain": "not a domain"}, "ingress_base_domain", "Enter a DNS domain"),
        ({"name": "ACME-PROD"}, "name", "already exists"),
    ],
)
def test_a_bad_cluster_is_refused_next_to_its_field(staff, tenancy, cluster, changes, field, message):
    data = change_form_data(staff.get(admin_url(Cluster, "add")))
    data.update(
        organization=tenancy.org.pk,
        name="acme-eu",
        kubeconfig=secret_kubeconfig(),
        ingress_base_domain="eu.acme.test",
    )
    data.update(changes)
    response = staff.post(admin_url(Cluster, "add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get(field, [])), errors
    assert KUBE_TOKEN not in response.content.decode()  # a rejected kubeconfig is not put back either
    assert Cluster.objects.count() == 1
    assert not AuditEvent.objects.filter(action="cluster.create").exists()


def test_test_connection_action_records_and_reports_the_outcome(staff, staff_user, kube):
    cluster = make_cluster(kubeconfig=kubeconfig_for(kube.url))
    response = staff.post(admin_url(Cluster), action_data("test_connection", cluster), follow=True)
    [(level, text)] = messages_of(response)
    assert level == "success" and text.startswith(f"{cluster}: Connected"), text
    cluster.refresh_from_db()
    assert cluster.last_check_ok is True
    assert AuditEvent.objects.get(action="cluster.test_connection").actor == staff_user


def test_a_cluster_in_use_cannot_be_deleted(staff, deployment, cluster):
    response = staff.post(admin_url(Cluster, "delete", cluster.pk), {"post": "yes"}, follow=True)
    assert any("still run on" in text for _, text in messages_of(response))
    assert Cluster.objects.filter(pk=cluster.pk).exists()
    assert not AuditEvent.objects.filter(action="cluster.delete").exists()


def test_deleting_an_unused_cluster_goes_through_the_service(staff, cluster):
    assert staff.post(admin_url(Cluster, "delete", cluster.pk), {"post": "yes"}).status_code == 302
    assert not Cluster.objects.filter(pk=cluster.pk).exists()
    assert AuditEvent.objects.filter(action="cluster.delete").count() == 1


# --- Deployments through the services ------------------------------------------------------------------------


def test_reconcile_action_writes_an_audit_entry(staff, staff_user, deployment):
    response = staff.post(admin_url(Deployment), action_data("reconcile_now", deployment), follow=True)
    assert ("success", "Asked provisioning to reconcile 1 deployment.") in messages_of(response)
    event = AuditEvent.objects.get(action="deployment.reconcile")
    assert (event.actor, event.target_id) == (staff_user, str(deployment.pk))
    assert deployment.events.filter(reason="ReconcileRequested").exists()


def test_staff_rotate_a_deployments_airflow_login_secret_through_the_service(staff, staff_user, deployment):
    old = deployment.generated_secrets["oauth_client_secret"]
    response = staff.post(admin_url(Deployment), action_data("rotate_oauth_client", deployment), follow=True)
    assert ("success", "Rotated the Airflow login secret of 1 deployment.") in messages_of(response)
    rotated = Deployment.objects.get(pk=deployment.pk)
    assert rotated.generated_secrets["oauth_client_secret"] != old
    assert rotated.generation == deployment.generation + 1
    event = AuditEvent.objects.get(action="deployment.oauth_client_rotate")
    assert (event.actor, event.target_id) == (staff_user, str(deployment.pk))
    assert old not in response.content.decode() and rotated.generated_secrets["oauth_client_secret"] not in (
        response.content.decode()
    )


def test_reconcile_action_works_from_the_deployment_page(staff, deployment):
    url = admin_url(Deployment, "change", deployment.pk)
    staff.post(url, {"CHANGE_FORM-action": "reconcile_now", "_selected_action": deployment.pk, "index": "0"})
    assert AuditEvent.objects.filter(action="deployment.reconcile").count() == 1


def test_editing_a_deployment_goes_through_the_service(staff, staff_user, deployment):
    url = admin_url(Deployment, "change", deployment.pk)
    data = change_form_data(staff.get(url))
    data.update(scheduler_replicas="2", description="Staff fix")
    response = staff.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    stored = Deployment.objects.get(pk=deployment.pk)
    assert (stored.scheduler_replicas, stored.description) == (2, "Staff fix")
    assert stored.generation == deployment.generation + 1
    assert stored.generated_secrets == deployment.generated_secrets
    event = AuditEvent.objects.get(action="deployment.update")
    assert event.actor == staff_user
    assert event.changes == {"description": ["", "Staff fix"], "scheduler_replicas": ["1", "2"]}
    # The inlines are read-only: queues and variables are untouched.
    assert sorted(stored.queues.values_list("name", flat=True)) == ["default", "etl"]
    assert stored.variables.get(key="API_TOKEN").value == SECRET_VALUE


def test_an_out_of_range_setting_is_refused_next_to_its_field(staff, deployment):
    url = admin_url(Deployment, "change", deployment.pk)
    data = change_form_data(staff.get(url))
    data["scheduler_replicas"] = "9"
    response = staff.post(url, data)
    assert response.status_code == 200
    assert "between 1 and 4" in " ".join(response.context["adminform"].form.errors["scheduler_replicas"])
    assert Deployment.objects.get(pk=deployment.pk).scheduler_replicas == 1


def test_status_and_generated_secrets_cannot_be_posted(staff, deployment):
    url = admin_url(Deployment, "change", deployment.pk)
    data = change_form_data(staff.get(url))
    data.update(status="HEALTHY", generation="99", generated_secrets="{}", observed_generation="99")
    assert staff.post(url, data).status_code == 302
    stored = Deployment.objects.get(pk=deployment.pk)
    assert (stored.status, stored.generation, stored.observed_generation) == ("CREATING", deployment.generation, 0)
    assert stored.generated_secrets == deployment.generated_secrets


def test_a_deleted_deployment_is_read_only(staff, tenancy, deployment):
    services.deployment_delete(actor=tenancy.owner, deployment=deployment, confirm_name=deployment.name)
    url = admin_url(Deployment, "change", deployment.pk)
    assert staff.get(url).status_code == 200
    data = {"name": "Renamed", "scheduler_replicas": "2"}
    assert staff.post(url, data).status_code == 403
    assert Deployment.objects.get(pk=deployment.pk).name == deployment.name


def test_changelist_filters_split_platform_clusters_and_deleted_deployments(staff, tenancy, cluster, deployment):
    make_cluster(organization=None, name="shared-platform")
    gone = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Retired")
    services.deployment_delete(actor=tenancy.owner, deployment=gone, confirm_name="Retired")

    platform = staff.get(admin_url(Cluster, "changelist") + "?owner=platform").content.decode()
    owned = staff.get(admin_url(Cluster, "changelist") + "?owner=organization").content.decode()
    deleted = staff.get(admin_url(Deployment, "changelist") + "?deleted=yes").content.decode()
    live = staff.get(admin_url(Deployment, "changelist") + "?deleted=no").content.decode()

    assert "shared-platform" in platform and cluster.name not in platform
    assert cluster.name in owned and "shared-platform" not in owned
    assert "Retired" in deleted and deployment.name not in deleted
    assert deployment.name in live and "Retired" not in live
