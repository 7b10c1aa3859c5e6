"""The deploys API and services: who may deploy (AUTHOR and up; a MEMBER token is a 403, another tenant's
Deployment a 404), deploys run one at a time in order, each settles honestly from provisioning's status, history
and diffs, rollbacks, and the audit trail."""

import pytest

from accounts.models import AuditEvent
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.api_helpers import api_client, assert_error, assert_forbidden, assert_not_found
from accounts.tokens import services as tokens
from deployments.deploys import services
from deployments.deploys.tests.conftest import archive, upload
from deployments.kube import reconcile
from deployments.models import Deploy, Deployment
from deployments.tests.factories import make_cluster, make_deployment

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployment(tenancy):
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)


def token_client(secret):
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def dags(client, deployment, files, description=""):
    return client.post(
        f"/api/v1/deployments/{deployment.pk}/deploys/",
        {"dags": upload(archive(files)), "description": description},
        format="multipart",
    )


def test_a_member_token_cannot_deploy_and_an_author_token_can(tenancy, deployment):
    _, member = tokens.token_create(
        actor=tenancy.owner, workspace=tenancy.workspace, role=WorkspaceRole.MEMBER, name="R"
    )
    _, author = tokens.token_create(
        actor=tenancy.owner, workspace=tenancy.workspace, role=WorkspaceRole.AUTHOR, name="CI"
    )
    assert_forbidden(dags(token_client(member), deployment, {"a.py": b"1"}))
    assert not Deploy.objects.exists()
    # A member may read the history.
    assert token_client(member).get(f"/api/v1/deployments/{deployment.pk}/deploys/").status_code == 200
    created = dags(token_client(author), deployment, {"a.py": b"1"})
    assert created.status_code == 201
    rollback = token_client(member).post(
        f"/api/v1/deployments/{deployment.pk}/deploys/{created.json()['id']}/rollback/"
    )
    assert_forbidden(rollback)


def test_a_deployment_token_with_author_role_deploys_to_its_deployment_only(tenancy, deployment):
    other = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Other")
    _, secret = tokens.token_create(actor=tenancy.owner, deployment=deployment, role=WorkspaceRole.AUTHOR, name="D")
    assert dags(token_client(secret), deployment, {"a.py": b"1"}).status_code == 201
    assert_not_found(dags(token_client(secret), other, {"a.py": b"1"}))


def test_another_tenants_deployment_and_deploys_are_not_found(tenancy, deployment):
    created = dags(api_client(tenancy.owner), deployment, {"a.py": b"1"}).json()
    _, outsider = tokens.token_create(
        actor=tenancy.outsider, organization=tenancy.other_org, role=OrgRole.OWNER, name="G"
    )
    for client in (api_client(tenancy.outsider), token_client(outsider)):
        base = f"/api/v1/deployments/{deployment.pk}/deploys/"
        assert_not_found(client.get(base))
        assert_not_found(client.get(f"{base}{created['id']}/"))
        assert_not_found(client.get(f"{base}{created['id']}/diff/"))
        assert_not_found(client.post(f"{base}{created['id']}/rollback/"))
        assert_not_found(dags(client, deployment, {"a.py": b"1"}))
    # A deploy id of another Deployment is not found under this one.
    other = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Other")
    assert_not_found(api_client(tenancy.owner).get(f"/api/v1/deployments/{other.pk}/deploys/{created['id']}/"))


def test_nothing_to_deploy_is_a_clear_400(tenancy, deployment):
    response = api_client(tenancy.owner).post(f"/api/v1/deployments/{deployment.pk}/deploys/", {}, format="json")
    error = assert_error(response, 400, "invalid")
    assert "Name an image, upload a DAG archive" in " ".join(error["fields"]["image"])


def test_history_is_newest_first_and_each_deploy_is_audited(tenancy, deployment):
    client = api_client(tenancy.owner)
    ids = [dags(client, deployment, {"a.py": str(n).encode()}, f"v{n}").json()["id"] for n in range(3)]
    listed = client.get(f"/api/v1/deployments/{deployment.pk}/deploys/").json()
    assert [d["id"] for d in listed["results"]] == ids[::-1]
    assert client.get(f"/api/v1/deployments/{deployment.pk}/deploys/{ids[0]}/").json()["description"] == "v0"
    entries = AuditEvent.objects.filter(action="deploy.create").order_by("id")
    assert [e.target_id for e in entries] == [str(i) for i in ids]
    assert entries[0].actor == tenancy.owner and entries[0].changes["kind"] == "DAGS"


def test_deploys_wait_in_order_and_settle_from_provisionings_status(tenancy, deployment, settings):
    """On a real cluster an image deploy waits for the rollout; deploys behind it wait their turn."""
    cluster = make_cluster(organization=tenancy.org)
    Deployment.objects.filter(pk=deployment.pk).update(cluster=cluster, status=Deployment.Status.HEALTHY)
    deployment.refresh_from_db()
    first = services._create(
        actor=tenancy.owner,
        deployment=deployment,
        fields={
            "kind": "IMAGE",
            "image": "r.test/a:v1",
            "image_repository": "r.test/a",
            "image_tag": "v1",
            "image_digest": "sha256:" + "1" * 64,
        },
        checked=None,
    )
    second = services.deploy_create(actor=tenancy.owner, deployment=deployment, dags=upload(archive({"a.py": b"1"})))
    third = services._create(
        actor=tenancy.owner,
        deployment=deployment,
        fields={
            "kind": "IMAGE",
            "image": "r.test/a:v2",
            "image_repository": "r.test/a",
            "image_tag": "v2",
            "image_digest": "sha256:" + "2" * 64,
        },
        checked=None,
    )
    statuses = lambda: [Deploy.objects.get(pk=d.pk).status for d in (first, second, third)]  # noqa: E731
    assert statuses() == ["DEPLOYING", "QUEUED", "QUEUED"]
    deployment.refresh_from_db()
    assert deployment.image_digest == "sha256:" + "1" * 64 and deployment.dag_bundle is None

    generation = Deploy.objects.get(pk=first.pk).generation
    reconcile.set_status(deployment.pk, Deployment.Status.HEALTHY, "Every component is ready.", generation=generation)
    # The first is deployed; the DAG deploy then starts and finishes at once (nothing rolls); the third starts.
    assert statuses() == ["DEPLOYED", "DEPLOYED", "DEPLOYING"]
    deployment.refresh_from_db()
    assert deployment.image_digest == "sha256:" + "2" * 64 and deployment.dag_bundle is not None

    third = Deploy.objects.get(pk=third.pk)
    reconcile.set_status(
        deployment.pk,
        Deployment.Status.UNHEALTHY,
        "Waiting for scheduler to become ready.",
        generation=third.generation,
    )
    third.refresh_from_db()
    assert third.status == "FAILED" and "did not become healthy" in third.status_reason
    assert "Waiting for scheduler" in third.status_reason and third.finished_at


def test_a_status_for_an_older_generation_settles_nothing_newer(tenancy, deployment):
    cluster = make_cluster(organization=tenancy.org)
    Deployment.objects.filter(pk=deployment.pk).update(cluster=cluster, status=Deployment.Status.HEALTHY)
    deployment.refresh_from_db()
    old_generation = deployment.generation
    deploy = services._create(
        actor=tenancy.owner,
        deployment=deployment,
        fields={
            "kind": "IMAGE",
            "image": "r.test/a:v1",
            "image_repository": "r.test/a",
            "image_tag": "v1",
            "image_digest": "sha256:" + "1" * 64,
        },
        checked=None,
    )
    reconcile.set_status(deployment.pk, Deployment.Status.FAILED, "old", generation=old_generation)
    deploy.refresh_from_db()
    assert deploy.status == "DEPLOYING"
    reconcile.fail(deployment.pk, "The cluster refused the objects: quota exceeded.")
    deploy.refresh_from_db()
    assert deploy.status == "FAILED" and deploy.status_reason == "The cluster refused the objects: quota exceeded."


def test_rollback_restores_image_and_dags_and_records_where_from(tenancy, deployment):
    client = api_client(tenancy.owner)
    base = f"/api/v1/deployments/{deployment.pk}/deploys/"
    first = dags(client, deployment, {"a.py": b"first"}).json()
    dags(client, deployment, {"a.py": b"second", "b.py": b"more"})
    response = client.post(f"{base}{first['id']}/rollback/", {"description": "bad release"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rolled_back_from"] == first["id"] and body["kind"] == "IMAGE_AND_DAGS"
    assert body["description"] == "bad release" and body["dag_bundle"]["sha256"] == first["dag_bundle"]["sha256"]
    diff = client.get(f"{base}{body['id']}/diff/").json()
    assert diff["files"] == {
        "added": [],
        "removed": [{"path": "b.py", "size": 4}],
        "changed": [{"path": "a.py", "size_before": 6, "size_after": 5}],
    }
    deployment.refresh_from_db()
    assert deployment.dag_bundle.sha256 == first["dag_bundle"]["sha256"]
    assert AuditEvent.objects.filter(action="deploy.rollback", target_id=str(body["id"])).exists()


def test_rollback_to_a_failed_deploy_is_refused(tenancy, deployment):
    client = api_client(tenancy.owner)
    first = dags(client, deployment, {"a.py": b"first"}).json()
    Deploy.objects.filter(pk=first["id"]).update(status="FAILED")
    response = client.post(f"/api/v1/deployments/{deployment.pk}/deploys/{first['id']}/rollback/")
    error = assert_error(response, 400, "invalid")
    assert "Only a deploy that was deployed" in " ".join(error["fields"]["non_field_errors"])


def test_registry_credentials_render_an_image_pull_secret_and_stay_write_only(tenancy, deployment):
    import base64
    import json

    from deployments.kube import render
    from deployments.selectors import deployment_spec

    services.registry_credential_create(
        actor=tenancy.owner,
        workspace=tenancy.workspace,
        registry_host="Registry.Acme.test:5000",
        username="robot",
        password="s3cret-pull",
    )
    with pytest.raises(Exception):  # noqa: B017 - a member may not
        services.registry_credential_create(
            actor=tenancy.member, workspace=tenancy.workspace, registry_host="r.test", username="u", password="p"
        )
    objects = render.render(deployment_spec(Deployment.objects.get(pk=deployment.pk)))
    pull = next(o for o in objects if o["kind"] == "Secret" and o["type"] == "kubernetes.io/dockerconfigjson")
    config = json.loads(base64.b64decode(pull["data"][".dockerconfigjson"]))
    assert config["auths"]["registry.acme.test:5000"]["username"] == "robot"
    accounts = [o for o in objects if o["kind"] == "ServiceAccount"]
    assert all(a["imagePullSecrets"] == [{"name": pull["metadata"]["name"]}] for a in accounts)
    entry = AuditEvent.objects.get(action="registry_credential.set")
    assert "s3cret-pull" not in json.dumps(entry.changes)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM deployments_registrycredential")
        assert "s3cret-pull" not in cursor.fetchone()[0]  # encrypted at rest


def test_deleting_the_deployment_fails_its_unfinished_deploys(tenancy, deployment):
    from deployments import services as deployment_services

    cluster = make_cluster(organization=tenancy.org)
    Deployment.objects.filter(pk=deployment.pk).update(cluster=cluster, status=Deployment.Status.HEALTHY)
    deployment.refresh_from_db()
    fields = {"kind": "IMAGE", "image": "r.test/a:v1", "image_repository": "r.test/a", "image_tag": "v1"}
    running = services._create(
        actor=tenancy.owner,
        deployment=deployment,
        fields={**fields, "image_digest": "sha256:" + "1" * 64},
        checked=None,
    )
    queued = services._create(
        actor=tenancy.owner,
        deployment=deployment,
        fields={**fields, "image_digest": "sha256:" + "2" * 64},
        checked=None,
    )
    deployment_services.deployment_delete(actor=tenancy.owner, deployment=deployment, confirm_name=deployment.name)
    reconcile.set_status(deployment.pk, Deployment.Status.DELETED, "Deleted.")
    for deploy in (running, queued):
        deploy.refresh_from_db()
        assert deploy.status == "FAILED" and deploy.status_reason == "The Deployment was deleted."
