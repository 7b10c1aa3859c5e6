"""What listing Deployments costs (the API's list and the workspace page's card): a fixed number of queries however
many Deployments there are, and none of the columns a list does not show (the stored manifest, secrets to decrypt
per row: the Deployment's generated secrets, its cluster's kubeconfig, database URL and TLS key and certificate)."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from accounts.tests.api_helpers import api_client
from deployments import catalog, quota, services
from deployments.models import Deployment, WorkerQueue
from deployments.tests.factories import make_cluster, make_deployment
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db

NOT_LISTED = (
    '"applied_manifest"',
    '"generated_secrets"',
    '"kubeconfig"',
    '"database_admin_url"',
    '"tls_private_key"',
    '"tls_certificate"',
)


def add_deployments(workspace, cluster, n: int, start: int = 0) -> None:
    deployments = Deployment.objects.bulk_create(
        Deployment(
            workspace=workspace,
            cluster=cluster,
            name=f"d{i:03d}",
            release_name=f"rel-{i}",
            generated_secrets={"fernet_key": "x"},
            applied_manifest="kind: ConfigMap\n" * 100,
        )
        for i in range(start, start + n)
    )
    WorkerQueue.objects.bulk_create(WorkerQueue(deployment=d, name="default") for d in deployments)


def captured(client, url, **headers) -> list[str]:
    client.get(url, **headers)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


@pytest.fixture
def cluster(tenancy):
    return make_cluster(organization=tenancy.org)


def test_the_api_list_asks_the_same_queries_for_3_or_60_deployments(tenancy, cluster):
    client = api_client(tenancy.owner)
    url = f"/api/v1/deployments/?workspace={tenancy.workspace.pk}"
    add_deployments(tenancy.workspace, cluster, 3)
    few = captured(client, url)
    add_deployments(tenancy.workspace, cluster, 57, start=3)
    many = captured(client, url)
    # The session, the person, their organisations with their roles (read once per request: scoped queries filter
    # on the ids they reach), the page of Deployments, its queues, the prices.
    assert len(many) == len(few) <= 6, "\n".join(many)


def test_the_api_list_reads_no_manifest_or_secret_columns(tenancy, cluster):
    add_deployments(tenancy.workspace, cluster, 5)
    sql = captured(api_client(tenancy.owner), f"/api/v1/deployments/?workspace={tenancy.workspace.pk}")
    listing = [q for q in sql if 'FROM "deployments_deployment"' in q]
    assert listing and not [column for column in NOT_LISTED if any(column in q for q in listing)]


def test_the_api_list_reads_each_rows_organisation_slug_without_loading_its_workspace(tenancy, cluster):
    add_deployments(tenancy.workspace, cluster, 5)
    loaded = []
    post_init.connect(lambda sender, instance, **kw: loaded.append(sender), weak=False, dispatch_uid="bench")
    try:
        answer = api_client(tenancy.owner).get(f"/api/v1/deployments/?workspace={tenancy.workspace.pk}")
    finally:
        post_init.disconnect(dispatch_uid="bench")
    assert [row["organization"] for row in answer.json()["results"]] == ["acme"] * 5
    assert Workspace not in loaded
    assert loaded.count(Organization) == 1  # the person's own organisations, read once per request


def test_the_workspace_page_lists_deployments_without_manifest_or_secret_columns(login, tenancy, cluster):
    add_deployments(tenancy.workspace, cluster, 5)
    url = reverse("workspace_detail", args=["acme", tenancy.workspace.pk])
    sql = captured(login(tenancy.owner), url)
    listing = [q for q in sql if 'FROM "deployments_deployment"' in q]
    assert listing and not [column for column in NOT_LISTED if any(column in q for q in listing)]


def test_the_workspace_pages_rows_load_only_the_columns_they_show(login, tenancy, cluster):
    add_deployments(tenancy.workspace, cluster, 30)
    url = reverse("workspace_detail", args=["acme", tenancy.workspace.pk])
    sql = captured(login(tenancy.owner), url)
    (rows,) = [q for q in sql if q.startswith('SELECT "deployments_deployment"."id"')]
    columns = set(re.findall(r'"deployments_(?:deployment|cluster)"\."(\w+)"', rows.split(" FROM ")[0]))
    shown = {"name", "description", "release_name", "airflow_version", "executor", "status", "updated_at"}
    assert columns == shown | {"id", "workspace_id", "cluster_id"}, columns  # and the cluster's id and name


def test_listed_quota_is_the_one_render_applies(tenancy, cluster):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    services.queue_create(actor=tenancy.owner, deployment=deployment, name="heavy", worker_type="A20", max_workers=7)
    body = api_client(tenancy.owner).get(f"/api/v1/deployments/?workspace={tenancy.workspace.pk}").json()
    figures = quota.for_deployment(Deployment.objects.get(pk=deployment.pk))
    assert body["results"][0]["quota"] == {
        "cpu": str(figures.cpu),
        "memory_mib": figures.memory_mib,
        "pods": figures.pods,
        "cpu_quantity": figures.cpu_quantity,
        "memory_quantity": figures.memory_quantity,
    }


def test_each_listed_deployment_is_what_getting_it_answers(tenancy):
    """The list builds its rows its own way (aerodrome.api.lean): every field must still be the object's own."""
    tls = make_cluster(organization=tenancy.org, tls_mode="CLUSTER_ISSUER", tls_cluster_issuer="letsencrypt")
    owner, workspace = tenancy.owner, tenancy.workspace
    make_deployment(
        actor=owner,
        workspace=workspace,
        name="Celery two queues",
        cluster=tls,
        description="With a description",
        contact_emails=["ops@acme.test", "data@acme.test"],
        queues=[{"name": "heavy", "worker_type": "A20", "max_workers": 7}],
        scaling={"scheduler_replicas": 2, "headroom_percent": 30},
    )
    make_deployment(
        actor=owner,
        workspace=workspace,
        name="Kubernetes executor",
        executor=catalog.Executor.KUBERNETES,
        airflow_version=catalog.AIRFLOW_VERSIONS[-1],
        scaling={"task_pod_cpu": Decimal("1.25"), "task_pod_memory_mib": 3072, "max_task_pods": 4},
    )
    manifests_only = make_deployment(actor=owner, workspace=workspace, name="Manifests only", image_tag="custom-9")
    Deployment.objects.filter(pk=manifests_only.pk).update(
        status=Deployment.Status.FAILED, status_reason="It broke.", last_reconciled_at=timezone.now()
    )
    client = api_client(owner)
    listed = client.get(f"/api/v1/deployments/?workspace={workspace.pk}").json()["results"]
    assert len(listed) == 3
    for row in listed:
        assert row == client.get(f"/api/v1/deployments/{row['id']}/").json()


def test_the_workspace_page_counts_its_deployments_without_their_queues(login, tenancy, cluster):
    """The card's page count used to group every Deployment of the workspace with its queues (a join over all of
    them): it counts the Deployments alone, and only the rows shown count their queues."""
    add_deployments(tenancy.workspace, cluster, 30)  # more than one page of the card
    WorkerQueue.objects.create(deployment=Deployment.objects.get(name="d000"), name="heavy")
    client = login(tenancy.owner)
    url = reverse("workspace_detail", args=["acme", tenancy.workspace.pk])
    sql = captured(client, url)
    # (The count comes with the workspace, as a subquery of its own: COUNT(...) ... FROM "deployments_deployment".)
    counts = [q for q in sql if re.search(r'COUNT\([^)]*\)[^()]* FROM "deployments_deployment"', q)]
    assert counts and not [q for q in counts if "deployments_workerqueue" in q], counts
    page = client.get(url).content.decode()
    rows = re.findall(r'<tr id="deployment-\d+">(.*?)</tr>', page, flags=re.S)
    assert len(rows) == 25
    assert "2 queues" in rows[0] and all("1 queue<" in row for row in rows[1:]), rows[0]
