"""/api/v1/clusters/, /api/v1/deployments/ and a Deployment's queues/ and variables/, with the personas: the
organisation owner, a workspace OPERATOR, a read-only member, an AUTHOR, and an outsider from another
organisation. Outsiders get 404, roles too low 403, and every success leaves an audit entry."""

import json

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from accounts.roles import WorkspaceRole
from accounts.tests.api_helpers import (
    api_client,
    assert_error,
    assert_field_error,
    assert_forbidden,
    assert_not_found,
)
from accounts.tests.factories import BindingFactory, MembershipFactory, UserFactory, WorkspaceFactory
from deployments import catalog, services
from deployments.models import Cluster, Deployment, EnvironmentVariable, WorkerQueue
from deployments.tests.factories import kubeconfig_for, make_cluster, make_deployment

pytestmark = pytest.mark.django_db

CLUSTERS = "/api/v1/clusters/"
DEPLOYMENTS = "/api/v1/deployments/"
KUBE_TOKEN = "kube-token-do-not-leak"
DB_PASSWORD = "db-password-do-not-leak"
SECRET_VALUE = "s3cret-value-do-not-leak"


def cluster_url(cluster):
    return f"{CLUSTERS}{cluster.pk}/"


def deployment_url(deployment):
    return f"{DEPLOYMENTS}{deployment.pk}/"


def queues_url(deployment):
    return f"{deployment_url(deployment)}queues/"


def variables_url(deployment):
    return f"{deployment_url(deployment)}variables/"


def secret_kubeconfig(url="http://127.0.0.1:1"):
    return kubeconfig_for(url).replace("test-token", KUBE_TOKEN)


def with_role(tenancy, role, email):
    user = UserFactory(email=email)
    MembershipFactory(organization=tenancy.org, user=user)
    BindingFactory(workspace=tenancy.workspace, user=user, role=role)
    return user


@pytest.fixture
def operator(tenancy):
    return with_role(tenancy, WorkspaceRole.OPERATOR, "operator@acme.test")


@pytest.fixture
def author(tenancy):
    return with_role(tenancy, WorkspaceRole.AUTHOR, "author@acme.test")


@pytest.fixture
def cluster(tenancy):
    return make_cluster(
        organization=tenancy.org,
        name="acme-prod",
        kubeconfig=secret_kubeconfig(),
        database_admin_url=f"postgresql://admin:{DB_PASSWORD}@db.acme.test/postgres",
    )


@pytest.fixture
def platform_cluster(db):
    return make_cluster(organization=None, name="shared", ingress_base_domain="airflow.platform.test")


@pytest.fixture
def deployment(tenancy):
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)


@pytest.fixture
def secret(tenancy, deployment):
    return services.variable_set(
        actor=tenancy.owner, deployment=deployment, key="API_TOKEN", value=SECRET_VALUE, is_secret=True
    )


def audit_actions():
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def leaks(response, *secrets) -> list[str]:
    body = response.content.decode()
    return [secret for secret in secrets if secret and secret in body]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", CLUSTERS),
        ("post", CLUSTERS),
        ("get", DEPLOYMENTS),
        ("post", DEPLOYMENTS),
        ("get", f"{DEPLOYMENTS}1/"),
        ("get", f"{DEPLOYMENTS}1/manifests/"),
        ("get", f"{DEPLOYMENTS}1/queues/"),
        ("post", f"{DEPLOYMENTS}1/variables/"),
    ],
)
def test_anonymous_caller_is_refused(tenancy, method, path):
    response = getattr(api_client(), method)(path, {"name": "x"}, format="json")
    assert_error(response, response.status_code, "not_authenticated")
    assert response.status_code in (401, 403)


def test_openapi_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    for path in (
        "/api/v1/clusters/{id}/test-connection/",
        "/api/v1/deployments/{id}/manifests/",
        "/api/v1/deployments/{deployment_pk}/queues/{name}/",
        "/api/v1/deployments/{deployment_pk}/variables/{key}/",
    ):
        assert path in schema["paths"], path
    assert "kubeconfig" not in schema["components"]["schemas"]["Cluster"]["properties"]


# --------------------------------------------------------------------------------------------------- clusters


def test_members_see_their_organisations_clusters_and_the_platforms(tenancy, cluster, platform_cluster):
    theirs = make_cluster(organization=tenancy.other_org, name="globex-prod")
    member_view = api_client(tenancy.member).get(CLUSTERS).json()["results"]
    assert {(c["name"], c["organization"], c["is_platform"]) for c in member_view} == {
        ("acme-prod", "acme", False),
        ("shared", None, True),
    }
    outsider_view = api_client(tenancy.outsider).get(CLUSTERS).json()["results"]
    assert {c["name"] for c in outsider_view} == {"globex-prod", "shared"}
    assert_not_found(api_client(tenancy.member).get(cluster_url(theirs)))
    assert api_client(tenancy.outsider).get(cluster_url(platform_cluster)).status_code == 200


def test_cluster_list_filters_by_organisation(tenancy, cluster, platform_cluster):
    client = api_client(tenancy.owner)
    assert [c["name"] for c in client.get(CLUSTERS, {"organization": "acme"}).json()["results"]] == ["acme-prod"]
    assert client.get(CLUSTERS, {"organization": "globex"}).json()["results"] == []


def test_cluster_list_refuses_an_organisation_that_is_not_a_slug(tenancy, cluster):
    response = api_client(tenancy.owner).get(CLUSTERS, {"organization": "acme\x00"})
    assert_field_error(response, "organization", "slug")


def test_cluster_secrets_are_write_only(tenancy, cluster):
    client = api_client(tenancy.owner)
    responses = [
        client.get(CLUSTERS),
        client.get(cluster_url(cluster)),
        client.patch(cluster_url(cluster), {"prometheus_url": "https://prom.acme.test"}, format="json"),
    ]
    for response in responses:
        assert response.status_code == 200, response.content
        assert not leaks(response, KUBE_TOKEN, DB_PASSWORD, "current-context"), response.content
    body = responses[1].json()
    assert (body["has_kubeconfig"], body["has_database_admin_url"]) == (True, True)
    assert "kubeconfig" not in body and "database_admin_url" not in body


def test_owner_adds_a_cluster(tenancy):
    payload = {
        "organization": "acme",
        "name": "acme-eu",
        "kubeconfig": secret_kubeconfig(),
        "kubernetes_version": "1.33",
        "ingress_base_domain": "Airflow.EU.acme.test",
        "database_admin_url": f"postgresql://admin:{DB_PASSWORD}@db.acme.test/postgres",
    }
    response = api_client(tenancy.owner).post(CLUSTERS, payload, format="json")
    assert response.status_code == 201, response.content
    assert not leaks(response, KUBE_TOKEN, DB_PASSWORD)
    body = response.json()
    assert (body["organization"], body["kubernetes_version"], body["ingress_base_domain"]) == (
        "acme",
        "1.33",
        "airflow.eu.acme.test",
    )
    cluster = Cluster.objects.get(pk=body["id"])
    assert KUBE_TOKEN in cluster.kubeconfig and DB_PASSWORD in cluster.database_admin_url
    event = AuditEvent.objects.get(action="cluster.create")
    assert (event.actor, event.organization) == (tenancy.owner, tenancy.org)
    assert KUBE_TOKEN not in json.dumps(event.changes) and DB_PASSWORD not in json.dumps(event.changes)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kubeconfig": "clusters: [unclosed"}, "kubeconfig", "This is not valid YAML"),
        ({"kubeconfig": "clusters: []\n"}, "kubeconfig", "A kubeconfig needs clusters, contexts and users."),
        ({"kubeconfig": ""}, "kubeconfig", "Paste the kubeconfig"),
        ({"ingress_base_domain": "not a domain"}, "ingress_base_domain", "Enter a DNS domain"),
        ({"kubernetes_version": "1.2"}, "kubernetes_version", "not a valid Kubernetes version"),
        ({"auth": "TOKEN"}, "auth", "not a valid authentication"),
        ({"database_admin_url": "mysql://x@y/z"}, "database_admin_url", "postgres or postgresql"),
        ({"name": ""}, "name", "Enter a name."),
        ({"name": "ACME-PROD"}, "name", "already exists"),
        ({"shiny": True}, "shiny", "cannot be set"),
    ],
)
def test_add_cluster_rejects_bad_input(tenancy, cluster, changes, field, message):
    payload = {
        "organization": "acme",
        "name": "acme-eu",
        "kubeconfig": secret_kubeconfig(),
        "ingress_base_domain": "eu.acme.test",
        **changes,
    }
    assert_field_error(api_client(tenancy.owner).post(CLUSTERS, payload, format="json"), field, message)
    assert list(Cluster.objects.values_list("name", flat=True)) == ["acme-prod"]
    assert not AuditEvent.objects.exists()


def test_member_cannot_add_a_cluster_and_outsider_cannot_name_the_organisation(tenancy):
    payload = {"organization": "acme", "name": "x", "kubeconfig": secret_kubeconfig(), "ingress_base_domain": "a.io"}
    assert_forbidden(api_client(tenancy.member).post(CLUSTERS, payload, format="json"))
    assert_not_found(api_client(tenancy.outsider).post(CLUSTERS, payload, format="json"))
    assert not Cluster.objects.exists()
    assert not AuditEvent.objects.exists()


def test_owner_changes_a_cluster_and_a_blank_kubeconfig_keeps_the_stored_one(tenancy, cluster):
    stored = cluster.kubeconfig
    response = api_client(tenancy.owner).patch(
        cluster_url(cluster), {"name": "acme-main", "kubeconfig": "", "database_admin_url": ""}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "acme-main"
    cluster.refresh_from_db()
    assert (cluster.name, cluster.kubeconfig) == ("acme-main", stored)
    assert DB_PASSWORD in cluster.database_admin_url
    assert AuditEvent.objects.get(action="cluster.update").changes == {"name": "acme-main"}


def test_owner_replaces_a_cluster_settings_with_put(tenancy, cluster):
    payload = {
        "name": "acme-prod",
        "auth": "KUBECONFIG",
        "kubernetes_version": "1.32",
        "ingress_base_domain": "new.acme.test",
    }
    response = api_client(tenancy.owner).put(cluster_url(cluster), payload, format="json")
    assert response.status_code == 200, response.content
    cluster.refresh_from_db()
    assert (cluster.kubernetes_version, cluster.ingress_base_domain, cluster.prometheus_url) == (
        "1.32",
        "new.acme.test",
        "",
    )
    assert KUBE_TOKEN in cluster.kubeconfig
    assert_field_error(api_client(tenancy.owner).put(cluster_url(cluster), {"name": "x"}, format="json"), "auth")


def test_member_cannot_change_test_or_remove_a_cluster(tenancy, cluster):
    client = api_client(tenancy.member)
    assert_forbidden(client.patch(cluster_url(cluster), {"name": "mine"}, format="json"))
    assert_forbidden(client.post(f"{cluster_url(cluster)}test-connection/"))
    assert_forbidden(client.delete(cluster_url(cluster)))
    cluster.refresh_from_db()
    assert (cluster.name, cluster.last_checked_at) == ("acme-prod", None)
    assert not AuditEvent.objects.exists()


def test_outsider_gets_404_for_another_organisations_cluster(tenancy, cluster):
    client = api_client(tenancy.outsider)
    assert_not_found(client.get(cluster_url(cluster)))
    assert_not_found(client.patch(cluster_url(cluster), {"name": "mine"}, format="json"))
    assert_not_found(client.put(cluster_url(cluster), {"name": "mine"}, format="json"))
    assert_not_found(client.post(f"{cluster_url(cluster)}test-connection/"))
    assert_not_found(client.delete(cluster_url(cluster)))
    assert Cluster.objects.get(pk=cluster.pk).name == "acme-prod"
    assert not AuditEvent.objects.exists()


def test_organisation_owner_cannot_change_a_platform_cluster(tenancy, platform_cluster):
    client = api_client(tenancy.owner)
    assert_forbidden(client.patch(cluster_url(platform_cluster), {"name": "ours"}, format="json"))
    assert_forbidden(client.delete(cluster_url(platform_cluster)))
    assert Cluster.objects.get(pk=platform_cluster.pk).name == "shared"


def test_owner_removes_an_unused_cluster_but_not_one_in_use(tenancy, cluster):
    spare = make_cluster(organization=tenancy.org, name="spare")
    make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    client = api_client(tenancy.owner)
    assert client.delete(cluster_url(spare)).status_code == 204
    assert audit_actions()[-1] == "cluster.delete"
    assert_field_error(client.delete(cluster_url(cluster)), "non_field_errors", "1 Deployment(s) still run on")
    assert Cluster.objects.filter(pk=cluster.pk).exists()


def test_testing_a_connection_records_the_outcome(tenancy, kube, settings):
    cluster = make_cluster(organization=tenancy.org, kubeconfig=kubeconfig_for(kube.url))
    response = api_client(tenancy.owner).post(f"{cluster_url(cluster)}test-connection/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True and body["message"].startswith("Connected"), body
    assert body["checked_at"]
    cluster.refresh_from_db()
    assert cluster.last_check_ok is True
    assert AuditEvent.objects.get(action="cluster.test_connection").actor == tenancy.owner


def test_an_unreachable_cluster_is_a_failed_check_not_an_error(tenancy, settings):
    settings.KUBE_RETRIES, settings.KUBE_REQUEST_TIMEOUT = 0, 2
    cluster = make_cluster(organization=tenancy.org)  # http://127.0.0.1:1: nothing listens
    response = api_client(tenancy.owner).post(f"{cluster_url(cluster)}test-connection/")
    assert response.status_code == 200, response.content
    assert response.json()["ok"] is False and response.json()["message"]
    cluster.refresh_from_db()
    assert cluster.last_check_ok is False


# ------------------------------------------------------------------------------------------------ deployments


def test_member_lists_and_reads_deployments_with_their_status_and_quota(tenancy, deployment):
    response = api_client(tenancy.member).get(DEPLOYMENTS)
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == deployment.pk
    body = api_client(tenancy.member).get(deployment_url(deployment)).json()
    assert body == row
    assert (body["organization"], body["workspace"], body["name"]) == ("acme", tenancy.workspace.pk, deployment.name)
    assert (body["status"], body["generation"], body["observed_generation"]) == ("CREATING", 1, 0)
    assert body["status_reason"]
    assert body["release_name"] == deployment.release_name
    assert body["namespace"] == f"aerodrome-{deployment.release_name}"
    assert body["ui_url"] is None  # no cluster: manifests only
    assert body["cluster"] is None
    assert [q["name"] for q in body["queues"]] == ["default"]
    assert set(body["quota"]) == {"cpu", "memory_mib", "pods", "cpu_quantity", "memory_quantity"}
    assert float(body["quota"]["cpu"]) > 0 and body["quota"]["memory_mib"] > 0


def test_deployment_on_a_cluster_shows_its_ui_url(tenancy, cluster):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    body = api_client(tenancy.member).get(deployment_url(deployment)).json()
    assert body["cluster"] == cluster.pk
    assert body["ui_url"] == f"http://{deployment.release_name}.airflow.acme.test"  # the cluster has no TLS setting
    Cluster.objects.filter(pk=cluster.pk).update(tls_mode="CLUSTER_ISSUER", tls_cluster_issuer="letsencrypt")
    body = api_client(tenancy.member).get(deployment_url(deployment)).json()
    assert body["ui_url"] == f"https://{deployment.release_name}.airflow.acme.test"


def test_deployment_responses_never_show_generated_or_variable_secrets(tenancy, deployment, secret):
    client = api_client(tenancy.owner)
    secrets = [*deployment.generated_secrets.values(), SECRET_VALUE]
    responses = [
        client.get(DEPLOYMENTS),
        client.get(deployment_url(deployment)),
        client.patch(deployment_url(deployment), {"description": "Nightly"}, format="json"),
        client.post(f"{deployment_url(deployment)}reconcile/"),
        client.get(f"{deployment_url(deployment)}manifests/"),
        client.get(f"{deployment_url(deployment)}manifests/", {"format": "json"}),
    ]
    for response in responses:
        assert response.status_code in (200, 202), response.content
        assert not leaks(response, *secrets)


def test_deployment_list_filters_by_workspace_and_status(tenancy, deployment):
    other_workspace = WorkspaceFactory(organization=tenancy.org, name="Ops")
    other = make_deployment(actor=tenancy.owner, workspace=other_workspace, name="Ops jobs")
    Deployment.objects.filter(pk=other.pk).update(status=Deployment.Status.HEALTHY)
    client = api_client(tenancy.owner)

    def names(**params):
        return sorted(d["name"] for d in client.get(DEPLOYMENTS, params).json()["results"])

    assert names() == ["Ops jobs", "Sales pipelines"]
    assert names(workspace=tenancy.workspace.pk) == ["Sales pipelines"]
    assert names(status="healthy") == ["Ops jobs"]
    assert names(status="HEALTHY", workspace=tenancy.workspace.pk) == []
    assert_field_error(client.get(DEPLOYMENTS, {"status": "SLEEPY"}), "status", "not a status")
    assert_field_error(client.get(DEPLOYMENTS, {"workspace": "abc"}), "workspace", "a number")
    assert_field_error(client.get(DEPLOYMENTS, {"workspace": "²"}), "workspace", "a number")  # a digit, not a number


def test_deployments_outside_the_callers_tenancy_are_invisible(tenancy, deployment):
    theirs = make_deployment(actor=tenancy.outsider, workspace=tenancy.other_workspace, name="Globex ETL")
    client = api_client(tenancy.outsider)
    assert [d["name"] for d in client.get(DEPLOYMENTS).json()["results"]] == ["Globex ETL"]
    assert client.get(DEPLOYMENTS, {"workspace": tenancy.workspace.pk}).json()["results"] == []
    assert_not_found(api_client(tenancy.member).get(deployment_url(theirs)))
    # An organisation member without a role on the workspace does not see its Deployments either.
    colleague = MembershipFactory(organization=tenancy.org, user=UserFactory()).user
    assert api_client(colleague).get(DEPLOYMENTS).json()["results"] == []
    assert_not_found(api_client(colleague).get(deployment_url(deployment)))


def test_outsider_gets_404_on_every_deployment_endpoint(tenancy, deployment, secret):
    client = api_client(tenancy.outsider)
    url = deployment_url(deployment)
    before = Deployment.objects.values().get(pk=deployment.pk)
    audits = AuditEvent.objects.count()
    assert_not_found(client.get(url))
    assert_not_found(client.patch(url, {"scheduler_replicas": 2}, format="json"))
    assert_not_found(client.delete(f"{url}?confirm={deployment.name}"))
    assert_not_found(client.post(f"{url}reconcile/"))
    assert_not_found(client.get(f"{url}manifests/"))
    assert_not_found(client.get(queues_url(deployment)))
    assert_not_found(client.post(queues_url(deployment), {"name": "etl"}, format="json"))
    assert_not_found(client.get(f"{queues_url(deployment)}default/"))
    assert_not_found(client.patch(f"{queues_url(deployment)}default/", {"max_workers": 2}, format="json"))
    assert_not_found(client.delete(f"{queues_url(deployment)}default/"))
    assert_not_found(client.get(variables_url(deployment)))
    assert_not_found(client.post(variables_url(deployment), {"key": "A", "value": "b"}, format="json"))
    assert_not_found(client.get(f"{variables_url(deployment)}API_TOKEN/"))
    assert_not_found(client.patch(f"{variables_url(deployment)}API_TOKEN/", {"value": "x"}, format="json"))
    assert_not_found(client.delete(f"{variables_url(deployment)}API_TOKEN/"))
    post = api_client(tenancy.outsider).post(
        DEPLOYMENTS, {"workspace": tenancy.workspace.pk, "name": "Mine"}, format="json"
    )
    assert_not_found(post)
    assert Deployment.objects.values().get(pk=deployment.pk) == before
    assert AuditEvent.objects.count() == audits


@pytest.mark.parametrize("persona", ["member", "author"])
def test_read_only_roles_get_403_on_every_deployment_mutation(tenancy, deployment, secret, persona, author):
    user = tenancy.member if persona == "member" else author
    client = api_client(user)
    url = deployment_url(deployment)
    audits = AuditEvent.objects.count()
    assert client.get(url).status_code == 200
    assert client.get(f"{url}manifests/").status_code == 200
    assert client.get(queues_url(deployment)).status_code == 200
    assert client.get(variables_url(deployment)).status_code == 200
    assert_forbidden(client.post(DEPLOYMENTS, {"workspace": tenancy.workspace.pk, "name": "Mine"}, format="json"))
    assert_forbidden(client.patch(url, {"scheduler_replicas": 2}, format="json"))
    assert_forbidden(client.delete(f"{url}?confirm={deployment.name}"))
    assert_forbidden(client.post(f"{url}reconcile/"))
    assert_forbidden(client.post(queues_url(deployment), {"name": "etl"}, format="json"))
    assert_forbidden(client.patch(f"{queues_url(deployment)}default/", {"max_workers": 2}, format="json"))
    assert_forbidden(client.delete(f"{queues_url(deployment)}default/"))
    assert_forbidden(client.post(variables_url(deployment), {"key": "A", "value": "b"}, format="json"))
    assert_forbidden(client.patch(f"{variables_url(deployment)}API_TOKEN/", {"value": "x"}, format="json"))
    assert_forbidden(client.delete(f"{variables_url(deployment)}API_TOKEN/"))
    assert Deployment.objects.get(pk=deployment.pk).generation == deployment.generation + 1  # the secret's bump
    assert AuditEvent.objects.count() == audits


def test_deployment_list_is_cursor_paginated(tenancy):
    for n in range(5):
        make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name=f"Pipeline {n}")
    client = api_client(tenancy.member)
    page = client.get(DEPLOYMENTS, {"page_size": 2}).json()
    assert len(page["results"]) == 2 and "cursor=" in page["next"]
    names = [d["name"] for d in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        names += [d["name"] for d in page["results"]]
    assert sorted(names) == [f"Pipeline {n}" for n in range(5)]


def test_list_query_counts_do_not_grow_with_rows(tenancy, cluster, django_assert_max_num_queries):
    def add_rows(n):
        for _ in range(n):
            deployment = make_deployment(
                actor=tenancy.owner, workspace=tenancy.workspace, name=f"D{Deployment.objects.count()}", cluster=cluster
            )
            services.queue_create(actor=tenancy.owner, deployment=deployment, name="etl")
            services.variable_set(actor=tenancy.owner, deployment=deployment, key="K", value="v", is_secret=True)
            make_cluster(organization=tenancy.org)

    client = api_client(tenancy.member)
    add_rows(2)
    first = Deployment.objects.order_by("pk").first()
    paths = [DEPLOYMENTS, CLUSTERS, queues_url(first), variables_url(first)]
    counts = {}
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        counts[path] = len(queries)
    add_rows(6)
    for n in range(5):
        services.queue_create(actor=tenancy.owner, deployment=first, name=f"q{n}")
        services.variable_set(actor=tenancy.owner, deployment=first, key=f"V{n}", value="v")
    for path in paths:
        with django_assert_max_num_queries(counts[path]):
            assert client.get(path).status_code == 200


# Creating


@pytest.mark.parametrize("persona", ["owner", "operator"])
def test_operators_and_owners_create_a_deployment(tenancy, cluster, operator, persona):
    user = tenancy.owner if persona == "owner" else operator
    payload = {
        "workspace": tenancy.workspace.pk,
        "name": "Marketing",
        "description": "Campaign DAGs",
        "cluster": cluster.pk,
        "airflow_version": "2.11.0",
        "executor": "KubernetesExecutor",
        "scheduler_size": "MEDIUM",
        "contact_emails": ["Ops@Acme.test"],
    }
    response = api_client(user).post(DEPLOYMENTS, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["cluster"], body["airflow_version"], body["image_tag"]) == (
        "Marketing",
        cluster.pk,
        "2.11.0",
        "2.11.0",
    )
    assert (body["executor"], body["scheduler_size"], body["contact_emails"]) == (
        "KubernetesExecutor",
        "MEDIUM",
        ["ops@acme.test"],
    )
    assert body["status"] == "CREATING"
    event = AuditEvent.objects.get(action="deployment.create")
    assert (event.actor, event.target_id, event.organization) == (user, str(body["id"]), tenancy.org)


def test_create_deployment_with_defaults(tenancy):
    response = api_client(tenancy.owner).post(
        DEPLOYMENTS, {"workspace": tenancy.workspace.pk, "name": "Minimal"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["airflow_version"], body["executor"], body["image_repository"], body["cluster"]) == (
        catalog.DEFAULT_AIRFLOW_VERSION,
        catalog.Executor.CELERY,
        catalog.DEFAULT_IMAGE_REPOSITORY,
        None,
    )


def test_create_deployment_reports_every_bad_field_at_once(tenancy, deployment):
    payload = {
        "workspace": tenancy.workspace.pk,
        "name": deployment.name.upper(),
        "airflow_version": "1.10.15",
        "executor": "SequentialExecutor",
        "scheduler_size": "HUGE",
        "image_tag": "bad tag!",
        "contact_emails": ["not-an-address"],
    }
    response = api_client(tenancy.owner).post(DEPLOYMENTS, payload, format="json")
    error = assert_field_error(response, "name", "already exists in this workspace")
    assert set(error["fields"]) == {
        "name",
        "airflow_version",
        "executor",
        "scheduler_size",
        "image_tag",
        "contact_emails",
    }
    assert "choose one of: 3.1.3, 3.0.6, 2.11.0" in " ".join(error["fields"]["airflow_version"])
    assert Deployment.objects.count() == 1


def test_create_deployment_refuses_another_organisations_cluster_without_naming_it(tenancy):
    theirs = make_cluster(organization=tenancy.other_org, name="globex-secret-cluster")
    response = api_client(tenancy.owner).post(
        DEPLOYMENTS, {"workspace": tenancy.workspace.pk, "name": "X", "cluster": theirs.pk}, format="json"
    )
    error = assert_field_error(response, "cluster", "Choose one of your organisation's clusters")
    assert "globex" not in json.dumps(error)


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"name": "X"}, "workspace", "required"),
        ({"workspace": "abc", "name": "X"}, "workspace", "valid integer"),
        ({"workspace": 0, "name": ""}, "name", "Enter a name."),
        ({"workspace": 0, "name": "X", "scheduler_replicas": 9}, "scheduler_replicas", "between 1 and 4"),
        ({"workspace": 0, "name": "X", "status": "HEALTHY"}, "status", "cannot be set"),
    ],
)
def test_create_deployment_rejects_malformed_input(tenancy, payload, field, message):
    payload = {key: tenancy.workspace.pk if value == 0 else value for key, value in payload.items()}
    assert_field_error(api_client(tenancy.owner).post(DEPLOYMENTS, payload, format="json"), field, message)
    assert not Deployment.objects.exists()


def test_creating_in_an_unknown_workspace_is_404(tenancy):
    assert_not_found(api_client(tenancy.owner).post(DEPLOYMENTS, {"workspace": 999999, "name": "X"}, format="json"))


# Updating


def test_operator_scales_a_deployment_which_bumps_its_generation(tenancy, deployment, operator):
    response = api_client(operator).patch(
        deployment_url(deployment),
        {"scheduler_replicas": 2, "task_pod_cpu": "1.5", "headroom_percent": 20, "description": "Scaled"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["scheduler_replicas"], body["task_pod_cpu"], body["headroom_percent"]) == (2, "1.50", 20)
    assert body["generation"] == 2
    event = AuditEvent.objects.get(action="deployment.update")
    assert event.actor == operator
    assert event.changes["scheduler_replicas"] == ["1", "2"]


def test_going_back_to_an_older_airflow_is_refused_with_the_reason(tenancy, deployment):
    response = api_client(tenancy.owner).patch(deployment_url(deployment), {"airflow_version": "2.11.0"}, format="json")
    assert_field_error(
        response, "airflow_version", "Airflow cannot go back from 3.1.3 to 2.11.0", "Create a new Deployment instead."
    )
    deployment.refresh_from_db()
    assert (deployment.airflow_version, deployment.generation) == ("3.1.3", 1)


def test_a_pinned_tag_unlike_the_version_is_saved_and_answered_with_a_warning(tenancy, deployment):
    client = api_client(tenancy.owner)
    body = client.patch(deployment_url(deployment), {"image_tag": "2.10.5"}, format="json").json()
    warning = (
        "The image tag “2.10.5” does not look like Airflow 3.1.3. Aerodrome configures this Deployment for "
        "Airflow 3.1.3: make sure the image runs it."
    )
    assert (body["image_tag"], body["warnings"]) == ("2.10.5", [warning])
    assert client.get(deployment_url(deployment)).json()["warnings"] == [warning]
    body = client.patch(deployment_url(deployment), {"image_tag": "3.1.3-python3.12"}, format="json").json()
    assert (body["image_tag"], body["warnings"]) == ("3.1.3-python3.12", [])


def test_quota_follows_the_scale(tenancy, deployment):
    client = api_client(tenancy.owner)
    before = client.get(deployment_url(deployment)).json()["quota"]
    after = client.patch(deployment_url(deployment), {"scheduler_replicas": 3}, format="json").json()["quota"]
    assert float(after["cpu"]) > float(before["cpu"])
    assert after["memory_mib"] > before["memory_mib"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"scheduler_replicas": 9}, "scheduler_replicas", "between 1 and 4"),
        ({"triggerer_replicas": -1}, "triggerer_replicas", "between 0 and 2"),
        ({"api_server_replicas": 0}, "api_server_replicas", "between 1 and 4"),
        ({"max_task_pods": 1000}, "max_task_pods", "between 1 and 256"),
        ({"headroom_percent": 500}, "headroom_percent", "between 0 and 200"),
        ({"task_pod_cpu": "0.05"}, "task_pod_cpu", "between 0.1 and 8"),
        ({"scheduler_replicas": "many"}, "scheduler_replicas", "Enter a whole number"),
        ({"executor": "LocalExecutor"}, "executor", "not a valid executor"),
        ({"name": ""}, "name", "Enter a name."),
        ({"status": "HEALTHY"}, "status", "cannot be set"),
        ({"generation": 99}, "generation", "cannot be set"),
    ],
)
def test_update_deployment_rejects_bad_input(tenancy, deployment, changes, field, message):
    response = api_client(tenancy.owner).patch(deployment_url(deployment), changes, format="json")
    assert_field_error(response, field, message)
    stored = Deployment.objects.get(pk=deployment.pk)
    assert (stored.generation, stored.status, stored.scheduler_replicas) == (1, "CREATING", 1)
    assert not AuditEvent.objects.filter(action="deployment.update").exists()


def test_moving_a_deployment_to_another_cluster_is_refused(tenancy, deployment, cluster):
    response = api_client(tenancy.owner).patch(deployment_url(deployment), {"cluster": cluster.pk}, format="json")
    assert_field_error(response, "cluster", "not supported")


# Deleting


def test_operator_deletes_a_deployment_with_its_name_in_the_query(tenancy, deployment, operator):
    client = api_client(operator)
    response = client.delete(f"{deployment_url(deployment)}?confirm={deployment.name}")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "DELETING"
    assert response.json()["generation"] == 2
    stored = Deployment.objects.get(pk=deployment.pk)
    assert stored.is_deleted and stored.status == Deployment.Status.DELETING
    assert AuditEvent.objects.get(action="deployment.delete").actor == operator
    # Gone from the API, and so are its queues and variables.
    assert_not_found(client.get(deployment_url(deployment)))
    assert_not_found(client.get(queues_url(deployment)))
    assert client.get(DEPLOYMENTS).json()["results"] == []


def test_delete_deployment_accepts_the_name_in_the_body(tenancy, deployment):
    response = api_client(tenancy.owner).delete(
        deployment_url(deployment), {"confirm_name": deployment.name}, format="json"
    )
    assert response.status_code == 202, response.content


@pytest.mark.parametrize("query", ["", "?confirm=sales%20pipelines", "?confirm=Other"])
def test_delete_deployment_needs_its_exact_name(tenancy, deployment, query):
    response = api_client(tenancy.owner).delete(f"{deployment_url(deployment)}{query}")
    assert_field_error(response, "confirm_name", "Type the Deployment's name, “Sales pipelines”")
    assert not Deployment.objects.get(pk=deployment.pk).is_deleted
    assert not AuditEvent.objects.filter(action="deployment.delete").exists()


# Actions


def test_operator_asks_for_a_reconcile(tenancy, deployment, operator):
    response = api_client(operator).post(f"{deployment_url(deployment)}reconcile/")
    assert response.status_code == 202, response.content
    assert response.json()["id"] == deployment.pk
    assert AuditEvent.objects.get(action="deployment.reconcile").actor == operator
    assert deployment.events.filter(reason="ReconcileRequested").exists()


def test_manifests_are_the_current_desired_state_as_redacted_yaml(tenancy, deployment, secret):
    client = api_client(tenancy.owner)
    client.patch(deployment_url(deployment), {"scheduler_replicas": 3}, format="json")
    response = client.get(f"{deployment_url(deployment)}manifests/")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/yaml")
    assert response["X-Aerodrome-Generation"] == "3"  # created, the secret variable, the scale
    objects = list(yaml.safe_load_all(response.content))
    scheduler = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("scheduler"))
    assert scheduler["spec"]["replicas"] == 3  # rendered now, not what was last applied
    assert Deployment.objects.get(pk=deployment.pk).applied_manifest == ""
    secrets = [o for o in objects if o["kind"] == "Secret"]
    assert secrets and all(set((o.get("data") or {}).values()) <= {"<redacted>"} for o in secrets)
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {deployment.namespace}


def test_manifests_as_json(tenancy, deployment):
    response = api_client(tenancy.member).get(f"{deployment_url(deployment)}manifests/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    objects = response.json()
    assert isinstance(objects, list) and {"Namespace", "Secret"} <= {o["kind"] for o in objects}


def test_manifest_errors_keep_the_json_error_format(tenancy, deployment):
    url = f"{deployment_url(deployment)}manifests/"
    for response in (api_client(tenancy.outsider).get(url), api_client(tenancy.member).get(url, {"format": "xml"})):
        assert response["Content-Type"].startswith("application/json")
        assert_not_found(response)


# ---------------------------------------------------------------------------------------------- worker queues


def test_member_lists_and_reads_queues(tenancy, deployment):
    client = api_client(tenancy.member)
    [queue] = client.get(queues_url(deployment)).json()["results"]
    assert (queue["name"], queue["worker_type"], queue["is_default"]) == ("default", "A5", True)
    assert client.get(f"{queues_url(deployment)}default/").json()["concurrency"] == 5
    assert_not_found(client.get(f"{queues_url(deployment)}nope/"))


def test_operator_adds_scales_and_removes_a_queue(tenancy, deployment, operator):
    client = api_client(operator)
    response = client.post(
        queues_url(deployment), {"name": "etl", "worker_type": "A10", "max_workers": 4}, format="json"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["name"], response.json()["concurrency"]) == ("etl", 10)

    response = client.patch(f"{queues_url(deployment)}etl/", {"min_workers": 2, "concurrency": 12}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["min_workers"], response.json()["max_workers"], response.json()["concurrency"]) == (
        2,
        4,
        12,
    )

    assert client.delete(f"{queues_url(deployment)}etl/").status_code == 204
    assert list(deployment.queues.values_list("name", flat=True)) == ["default"]
    assert audit_actions()[-3:] == ["deployment.queue_create", "deployment.queue_update", "deployment.queue_delete"]
    assert Deployment.objects.get(pk=deployment.pk).generation == 4
    # The Deployment shows its queues inline.
    assert [q["name"] for q in client.get(deployment_url(deployment)).json()["queues"]] == ["default"]


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"name": "Bad_Name"}, "name", "lowercase letters, digits and hyphens"),
        ({"name": "-etl"}, "name", "starting and ending with a letter or digit"),
        ({"name": "default"}, "name", "already a queue named “default”"),
        ({"name": "etl", "min_workers": 5, "max_workers": 2}, "min_workers", "cannot be more than maximum"),
        ({"name": "etl", "max_workers": 31}, "max_workers", "between 1 and 30"),
        ({"name": "etl", "concurrency": 0}, "concurrency", "between 1 and 64"),
        ({"name": "etl", "worker_type": "A1000"}, "worker_type", "not a valid worker type"),
        ({"name": "etl", "replicas": 3}, "replicas", "cannot be set"),
    ],
)
def test_add_queue_rejects_bad_input(tenancy, deployment, payload, field, message):
    response = api_client(tenancy.owner).post(queues_url(deployment), payload, format="json")
    assert_field_error(response, field, message)
    assert list(deployment.queues.values_list("name", flat=True)) == ["default"]
    assert not AuditEvent.objects.filter(action="deployment.queue_create").exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"min_workers": 11}, "min_workers", "cannot be more than maximum"),
        ({"max_workers": 0}, "max_workers", "between 1 and 30"),
        ({"name": "renamed"}, "name", "cannot be renamed"),
    ],
)
def test_scale_queue_rejects_bad_input(tenancy, deployment, changes, field, message):
    response = api_client(tenancy.owner).patch(f"{queues_url(deployment)}default/", changes, format="json")
    assert_field_error(response, field, message)
    queue = deployment.queues.get()
    assert (queue.name, queue.min_workers, queue.max_workers) == ("default", 1, 10)


def test_the_default_queue_cannot_be_removed(tenancy, deployment):
    response = api_client(tenancy.owner).delete(f"{queues_url(deployment)}default/")
    assert_field_error(response, "name", "default queue is required")
    assert deployment.queues.filter(name="default").exists()


def test_queues_belong_to_celery_deployments(tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, executor=catalog.Executor.KUBERNETES)
    response = api_client(tenancy.owner).post(queues_url(deployment), {"name": "etl"}, format="json")
    assert_field_error(response, "non_field_errors", "Celery executor")


def test_a_queue_of_another_deployment_is_404_under_this_one(tenancy, deployment):
    other = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Other")
    services.queue_create(actor=tenancy.owner, deployment=other, name="etl")
    client = api_client(tenancy.owner)
    assert_not_found(client.get(f"{queues_url(deployment)}etl/"))
    assert_not_found(client.patch(f"{queues_url(deployment)}etl/", {"max_workers": 2}, format="json"))
    assert_not_found(client.delete(f"{queues_url(deployment)}etl/"))
    assert WorkerQueue.objects.get(deployment=other, name="etl").max_workers == 10


# ---------------------------------------------------------------------------------------- environment variables


def test_operator_adds_a_plain_and_a_secret_variable(tenancy, deployment, operator):
    client = api_client(operator)
    plain = client.post(variables_url(deployment), {"key": "TEAM", "value": "growth"}, format="json")
    assert plain.status_code == 201, plain.content
    assert plain.json() == {
        "key": "TEAM",
        "value": "growth",
        "is_secret": False,
        "updated_at": plain.json()["updated_at"],
    }
    secret = client.post(
        variables_url(deployment), {"key": "API_TOKEN", "value": SECRET_VALUE, "is_secret": True}, format="json"
    )
    assert secret.status_code == 201, secret.content
    assert (secret.json()["value"], secret.json()["is_secret"]) == (None, True)
    assert EnvironmentVariable.objects.get(key="API_TOKEN").value == SECRET_VALUE
    events = AuditEvent.objects.filter(action="deployment.variable_create")
    assert events.count() == 2 and {e.actor for e in events} == {operator}
    assert SECRET_VALUE not in json.dumps(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_secret_values_never_appear_in_variable_responses(tenancy, deployment, secret):
    client = api_client(tenancy.owner)
    url = f"{variables_url(deployment)}API_TOKEN/"
    responses = [
        client.get(variables_url(deployment)),
        client.get(url),
        client.patch(url, {"value": "rotated-" + SECRET_VALUE}, format="json"),
        client.patch(url, {"is_secret": True}, format="json"),
    ]
    for response in responses:
        assert response.status_code == 200, response.content
        assert not leaks(response, SECRET_VALUE)
    [row] = responses[0].json()["results"]
    assert (row["key"], row["value"], row["is_secret"]) == ("API_TOKEN", None, True)


def test_patching_a_secret_without_a_value_keeps_it(tenancy, deployment, secret):
    response = api_client(tenancy.owner).patch(
        f"{variables_url(deployment)}API_TOKEN/", {"is_secret": True}, format="json"
    )
    assert response.status_code == 200
    assert EnvironmentVariable.objects.get(pk=secret.pk).value == SECRET_VALUE
    # Changing another field of the Deployment keeps it too.
    api_client(tenancy.owner).patch(deployment_url(deployment), {"description": "x"}, format="json")
    assert EnvironmentVariable.objects.get(pk=secret.pk).value == SECRET_VALUE


def test_operator_changes_one_variable_and_removes_another(tenancy, deployment, secret, operator):
    services.variable_set(actor=tenancy.owner, deployment=deployment, key="TEAM", value="growth")
    client = api_client(operator)
    response = client.patch(f"{variables_url(deployment)}TEAM/", {"value": "core"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["value"] == "core"
    assert client.delete(f"{variables_url(deployment)}API_TOKEN/").status_code == 204
    assert list(deployment.variables.values_list("key", "value")) == [("TEAM", "core")]
    assert audit_actions()[-2:] == ["deployment.variable_update", "deployment.variable_delete"]


def test_a_secret_cannot_be_made_visible(tenancy, deployment, secret):
    response = api_client(tenancy.owner).patch(
        f"{variables_url(deployment)}API_TOKEN/", {"is_secret": False}, format="json"
    )
    assert_field_error(response, "is_secret", "cannot be made visible")
    assert EnvironmentVariable.objects.get(pk=secret.pk).is_secret


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"key": "1BAD", "value": "x"}, "key", "letters, digits and underscores"),
        ({"key": "WITH-DASH", "value": "x"}, "key", "letters, digits and underscores"),
        ({"key": "", "value": "x"}, "key", "letters, digits and underscores"),
        ({"key": "AIRFLOW__CORE__LOAD_EXAMPLES", "value": "x"}, "key", "set by Aerodrome itself"),
        ({"key": "airflow__core__dags_folder", "value": "x"}, "key", "set by Aerodrome itself"),
        ({"key": "AIRFLOW__WEBSERVER__SECRET_KEY", "value": "x"}, "key", "set by Aerodrome itself"),
        ({"key": "API_TOKEN", "value": "x"}, "key", "already a variable named API_TOKEN"),
        ({"key": "BIG", "value": "x" * 40000}, "value", "at most 32 KiB"),
        ({"key": "NOVALUE"}, "value", "required"),
        ({"key": "A", "value": "b", "secret": True}, "secret", "cannot be set"),
    ],
)
def test_add_variable_rejects_bad_input(tenancy, deployment, secret, payload, field, message):
    response = api_client(tenancy.owner).post(variables_url(deployment), payload, format="json")
    assert_field_error(response, field, message)
    assert list(deployment.variables.values_list("key", flat=True)) == ["API_TOKEN"]
    assert EnvironmentVariable.objects.get(pk=secret.pk).value == SECRET_VALUE


@pytest.mark.parametrize("resource", ["queues", "variables"])
def test_a_name_no_queue_or_variable_can_have_is_not_found(tenancy, deployment, resource):
    client = api_client(tenancy.owner)
    for name in ("de%00fault", "d%C3%A9fault"):
        response = client.get(f"{deployment_url(deployment)}{resource}/{name}/")
        assert response.status_code == 404, response.content


def test_a_variable_cannot_be_renamed(tenancy, deployment, secret):
    response = api_client(tenancy.owner).patch(
        f"{variables_url(deployment)}API_TOKEN/", {"key": "OTHER"}, format="json"
    )
    assert_field_error(response, "key", "cannot be set")


def test_variables_list_is_paginated_by_key(tenancy, deployment):
    for key in ("C", "A", "B"):
        services.variable_set(actor=tenancy.owner, deployment=deployment, key=key, value=key.lower())
    client = api_client(tenancy.member)
    first = client.get(variables_url(deployment), {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    assert [v["key"] for v in first["results"] + second["results"]] == ["A", "B", "C"]
    assert second["next"] is None
