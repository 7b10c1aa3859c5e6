"""What people see of provisioning trouble: an unreachable cluster said at once, its retries counted in one event,
Failed with a Retry button after the budget, a warning before creating on a cluster that failed its connection
test, and "Open Airflow" only once the Deployment has been healthy."""

import pytest
from django.urls import reverse
from django.utils import timezone

from deployments import tasks
from deployments.kube import reconcile, scheduling
from deployments.models import Cluster, Deployment
from deployments.tests.factories import make_cluster, make_deployment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick(settings, monkeypatch):
    settings.KUBE_BACKOFF_MS, settings.KUBE_REQUEST_TIMEOUT, settings.KUBE_RETRIES = 5, 1, 0
    settings.RECONCILE_RETRIES = 2
    monkeypatch.setattr(scheduling, "_publish", lambda *args: True)  # the task runs inline here


@pytest.fixture
def deployment(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url, name="kmock")
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)


def page(client, name, deployment):
    response = client.get(reverse(name, args=[deployment.workspace.organization.slug, deployment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_open_airflow_appears_only_once_the_deployment_has_been_healthy(tenancy, kube, deployment, login):
    client = login(tenancy.owner)
    assert "Open Airflow" not in page(client, "deployment_overview", deployment)
    assert "Available once the Deployment is healthy" in page(client, "deployment_overview", deployment)

    kube.workloads = "unready"
    reconcile.run(deployment.pk)
    assert "Open Airflow" not in page(client, "deployment_events", deployment)

    kube.mark_workloads_ready(deployment.namespace)
    assert reconcile.observe(deployment.pk) == Deployment.Status.HEALTHY
    html = page(client, "deployment_overview", deployment)
    # Straight into Airflow's login through Aerodrome: no Airflow login form, no second password.
    assert "Open Airflow" in html and f'href="{deployment.ui_url}/auth/login/aerodrome"' in html

    Deployment.objects.filter(pk=deployment.pk).update(status=Deployment.Status.UNHEALTHY)
    assert "Open Airflow" in page(client, "deployment_events", deployment)  # it has answered: still worth a try


def test_an_unreachable_cluster_is_said_at_once_counted_in_one_event_then_failed_with_retry(
    tenancy, kube, deployment, login
):
    kube.fail_next(10_000, status=503)
    owner = login(tenancy.owner)

    tasks.reconcile(deployment.pk)
    status = page(owner, "deployment_status", deployment)
    assert "Cluster unreachable since" in status and "attempt 1 of 3" in status
    assert "Retry</button>" not in status

    for _ in range(2):
        Deployment.objects.filter(pk=deployment.pk).update(next_attempt_at=timezone.now())
        tasks.reconcile(deployment.pk)

    overview = page(owner, "deployment_overview", deployment)
    assert "Gave up after 3 attempts" in overview and "Retry</button>" in overview
    events = page(owner, "deployment_events", deployment)
    assert events.count('<h4 class="mb-1">Unreachable</h4>') == 1 and "×3, last" in events

    member = login(tenancy.member)  # read-only: sees why, may not retry
    assert "Retry</button>" not in page(member, "deployment_overview", deployment)

    kube.reset()
    owner = login(tenancy.owner)
    response = owner.post(reverse("deployment_reconcile", args=[tenancy.org.slug, deployment.pk]))
    assert response.status_code == 302
    assert Deployment.objects.get(pk=deployment.pk).status == Deployment.Status.CREATING
    tasks.reconcile(deployment.pk)
    assert Deployment.objects.get(pk=deployment.pk).status == Deployment.Status.HEALTHY


def test_creating_on_a_cluster_whose_connection_test_failed_asks_first(tenancy, login):
    failing = make_cluster(
        organization=tenancy.org,
        name="a-down",
        last_check_ok=False,
        last_checked_at=timezone.now(),
        last_check_message="Kubernetes API unavailable after 5 attempts: cannot connect to https://k8s.acme.test",
    )
    working = make_cluster(organization=tenancy.org, name="b-up", last_check_ok=True)
    client = login(tenancy.owner)
    url = reverse("deployment_create", args=[tenancy.org.slug, tenancy.workspace.pk])

    form = client.get(url).content.decode()  # the failing cluster comes first, so it is the default
    assert "a-down did not answer its last connection test" in form and "cannot connect to" in form

    fields = {"name": "Revenue", "cluster": str(failing.pk), "airflow_version": "3.1.3"}
    fields |= {"executor": "CeleryExecutor", "scheduler_size": "SMALL"}
    refused = client.post(url, fields)
    assert refused.status_code == 400 and not Deployment.objects.filter(name="Revenue").exists()
    html = refused.content.decode()
    assert "Tick the box to create it on a-down anyway" in html and 'value="Revenue"' in html

    assert client.post(url, {**fields, "confirm_cluster": "on"}).status_code == 302
    assert Deployment.objects.get(name="Revenue").cluster == failing

    def warning_for(cluster: Cluster) -> str:
        response = client.get(url, {"part": "cluster-warning", "cluster": cluster.pk}, HTTP_HX_REQUEST="true")
        return response.content.decode()

    assert "did not answer" in warning_for(failing)
    assert "did not answer" not in warning_for(working)
    assert client.post(url, {**fields, "name": "Other", "cluster": str(working.pk)}).status_code == 302
