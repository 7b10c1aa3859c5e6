"""Every invalid field is reported at once, not only the first one the service met: on the pages, in the API and in
the admin alike, since all three hand their input to the same services (`aerodrome.validation.ErrorCollector`)."""

import pytest

from accounts.models import User
from accounts.tests.admin_helpers import admin_url, change_form_data
from accounts.tests.api_helpers import api_client, assert_error
from accounts.tests.factories import PASSWORD
from accounts.tests.page_helpers import text
from deployments import catalog
from deployments.models import Cluster, Deployment
from deployments.tests.factories import kubeconfig_for, make_cluster, make_deployment
from deployments.tests.test_views import RESOURCES, state, url

pytestmark = pytest.mark.django_db

SCHEDULER = "Scheduler replicas must be between 1 and 4."
HEADROOM = "Extra quota headroom (%) must be between 0 and 200."
TRIGGERER = "Triggerer replicas must be between 0 and 2."
BAD_RESOURCES = {"scheduler_replicas": "9", "headroom_percent": "500", "triggerer_replicas": "7"}

REPOSITORY = "Enter an image repository such as apache/airflow."
TAG = "An image tag is letters, digits, dots, dashes and underscores"
EMAIL = "“not-an-address” is not a valid email address."
EMAIL_2 = "“nor@this” is not a valid email address."
BAD_SETTINGS = {
    "image_repository": "Not A Repository!",
    "image_tag": "bad tag",
    "contact_emails": "not-an-address, nor@this",
}

DOMAIN = "Enter a DNS domain such as airflow.example.com."
PROMETHEUS = "Enter a valid Prometheus URL (http or https)."
YAML = "This is not valid YAML"
BAD_CLUSTER = {"ingress_base_domain": "not a domain", "prometheus_url": "ftp://prometheus", "kubeconfig": "a: [b"}

QUEUE_NAME = "A queue name is 1-63 lowercase letters, digits and hyphens"
MAX_WORKERS = "Maximum workers must be between 1 and 30."
CONCURRENCY = "Concurrency must be between 1 and 64."


@pytest.fixture
def deployment(tenancy):
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)


@pytest.fixture
def cluster(tenancy):
    return make_cluster(organization=tenancy.org, name="acme-prod")


@pytest.fixture
def staff(client, db):
    client.force_login(User.objects.create_superuser(email="staff@aerodrome.test", password=PASSWORD))
    return client


def assert_all_in(body: str, *messages: str) -> None:
    missing = [message for message in messages if message not in body]
    assert not missing, f"missing {missing} in the answer"


# ------------------------------------------------------------------------------------------------- Deployments


def test_the_resources_page_shows_every_bad_field(login, tenancy, deployment):
    before = state()
    response = login(tenancy.owner).post(url("deployment_resources", deployment.pk), {**RESOURCES, **BAD_RESOURCES})
    assert response.status_code == 400
    assert_all_in(text(response), SCHEDULER, HEADROOM, TRIGGERER)
    assert state() == before


def test_the_settings_page_shows_every_bad_field(login, tenancy, deployment):
    data = {"name": deployment.name, "airflow_version": deployment.airflow_version, **BAD_SETTINGS}
    before = state()
    response = login(tenancy.owner).post(url("deployment_update", deployment.pk), data)
    assert response.status_code == 400
    assert_all_in(text(response), REPOSITORY, TAG, EMAIL, EMAIL_2)
    assert state() == before


def test_the_api_reports_every_bad_field_of_a_deployment_change(tenancy, deployment):
    body = {"scheduler_replicas": 9, "headroom_percent": 500, "triggerer_replicas": 7, **BAD_SETTINGS}
    body["contact_emails"] = ["not-an-address", "nor@this"]
    before = state()
    response = api_client(tenancy.owner).patch(f"/api/v1/deployments/{deployment.pk}/", body, format="json")
    fields = assert_error(response, 400, "invalid")["fields"]
    assert set(fields) == {
        "scheduler_replicas",
        "headroom_percent",
        "triggerer_replicas",
        "image_repository",
        "image_tag",
        "contact_emails",
    }
    assert fields["contact_emails"] == [EMAIL, EMAIL_2]
    assert state() == before


def test_the_admin_shows_every_bad_field_of_a_deployment(staff, deployment):
    address = admin_url(Deployment, "change", deployment.pk)
    data = {**change_form_data(staff.get(address)), **BAD_RESOURCES, "image_tag": "bad tag"}
    response = staff.post(address, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"scheduler_replicas", "headroom_percent", "triggerer_replicas", "image_tag"} <= set(errors), errors
    assert Deployment.objects.get(pk=deployment.pk).generation == deployment.generation


# ---------------------------------------------------------------------------------------------------- clusters


def test_the_cluster_page_shows_every_bad_field(login, tenancy):
    data = {"name": "us-east", "auth": "KUBECONFIG", "kubernetes_version": "1.33", **BAD_CLUSTER}
    response = login(tenancy.owner).post(url("cluster_create"), data)
    assert response.status_code == 400
    assert_all_in(text(response), DOMAIN, PROMETHEUS, YAML)
    assert not Cluster.objects.exists()


def test_the_api_reports_every_bad_field_of_a_cluster(tenancy, cluster):
    response = api_client(tenancy.owner).patch(f"/api/v1/clusters/{cluster.pk}/", BAD_CLUSTER, format="json")
    fields = assert_error(response, 400, "invalid")["fields"]
    assert set(fields) == {"ingress_base_domain", "prometheus_url", "kubeconfig"}


def test_the_admin_shows_every_bad_field_of_a_cluster(staff, tenancy):
    data = change_form_data(staff.get(admin_url(Cluster, "add")))
    data.update(organization=tenancy.org.pk, name="acme-eu", **BAD_CLUSTER)
    response = staff.post(admin_url(Cluster, "add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"ingress_base_domain", "prometheus_url", "kubeconfig"} <= set(errors), errors
    assert not Cluster.objects.exists()


# ------------------------------------------------------------------------------------------ queues and variables

BAD_QUEUE = {"name": "Heavy ETL", "worker_type": "A5", "min_workers": "1", "max_workers": "99", "concurrency": "65"}


def test_the_queue_form_shows_every_bad_field(login, tenancy, deployment):
    before = state()
    response = login(tenancy.owner).post(url("queue_add", deployment.pk), BAD_QUEUE)
    assert response.status_code == 400
    assert_all_in(text(response), QUEUE_NAME, MAX_WORKERS, CONCURRENCY)
    assert state() == before


def test_the_api_reports_every_bad_field_of_a_queue(tenancy, deployment):
    body = {**BAD_QUEUE, "max_workers": 99, "concurrency": 65, "min_workers": 1}
    response = api_client(tenancy.owner).post(f"/api/v1/deployments/{deployment.pk}/queues/", body, format="json")
    fields = assert_error(response, 400, "invalid")["fields"]
    assert set(fields) == {"name", "max_workers", "concurrency"}


def test_the_api_reports_a_bad_key_and_a_bad_value_of_a_variable_together(tenancy, deployment):
    body = {"key": "1-BAD", "value": "x" * 40_000}
    response = api_client(tenancy.owner).post(f"/api/v1/deployments/{deployment.pk}/variables/", body, format="json")
    fields = assert_error(response, 400, "invalid")["fields"]
    assert set(fields) == {"key", "value"}


def test_creating_a_deployment_reports_every_bad_field(tenancy):
    body = {
        "workspace": tenancy.workspace.pk,
        "name": "",
        "airflow_version": "1.0",
        "executor": catalog.Executor.CELERY,
        "contact_emails": ["not-an-address"],
        "image_tag": "bad tag",
    }
    response = api_client(tenancy.owner).post("/api/v1/deployments/", body, format="json")
    fields = assert_error(response, 400, "invalid")["fields"]
    assert {"name", "airflow_version", "contact_emails", "image_tag"} <= set(fields)
    assert not Deployment.objects.exists()


def test_the_kubeconfig_is_checked_with_the_other_fields_even_when_valid(tenancy):
    """A valid kubeconfig next to bad fields: only the bad fields are reported, and nothing is saved."""
    body = {
        "organization": "acme",
        "name": "us-east",
        "kubeconfig": kubeconfig_for("http://127.0.0.1:1"),
        "ingress_base_domain": "not a domain",
        "prometheus_url": "ftp://prometheus",
    }
    response = api_client(tenancy.owner).post("/api/v1/clusters/", body, format="json")
    fields = assert_error(response, 400, "invalid")["fields"]
    assert set(fields) == {"ingress_base_domain", "prometheus_url"}
