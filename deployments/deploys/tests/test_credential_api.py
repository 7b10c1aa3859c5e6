"""/api/v1/workspaces/{id}/registry-credentials/: owners (and operators) list, add, change and delete; a read-only
member lists (403 on changes); an outsider gets 404. The password never comes back, and a credential added through
the API is what the Deployments' image pull secret carries."""

import base64
import json

import pytest

from accounts.models import AuditEvent
from accounts.roles import WorkspaceRole
from accounts.tests.api_helpers import api_client, assert_error
from accounts.tokens import services as tokens
from deployments.deploys import services
from deployments.kube import render
from deployments.models import Deployment, RegistryCredential
from deployments.selectors import deployment_spec
from deployments.tests.factories import make_deployment

pytestmark = pytest.mark.django_db

SECRET = "api-pull-s3cret-7Kx"


def url(tenancy, pk=None) -> str:
    base = f"/api/v1/workspaces/{tenancy.workspace.pk}/registry-credentials/"
    return f"{base}{pk}/" if pk else base


@pytest.fixture
def credential(tenancy):
    return services.registry_credential_create(
        actor=tenancy.owner, workspace=tenancy.workspace, registry_host="ghcr.io", username="robot", password=SECRET
    )


def test_an_owner_adds_credentials_and_the_pull_secret_carries_them(tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    client = api_client(tenancy.owner)
    response = client.post(
        url(tenancy), {"registry": "Registry.Acme.test:5000", "username": "robot", "password": SECRET}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["registry"] == "registry.acme.test:5000" and body["set_by"] == "owner@acme.test"
    assert "password" not in body and SECRET not in response.content.decode()
    objects = render.render(deployment_spec(Deployment.objects.get(pk=deployment.pk)))
    pull = next(o for o in objects if o.get("type") == "kubernetes.io/dockerconfigjson")
    auth = json.loads(base64.b64decode(pull["data"][".dockerconfigjson"]))["auths"]["registry.acme.test:5000"]
    assert (auth["username"], auth["password"]) == ("robot", SECRET)
    listed = client.get(url(tenancy))
    assert [c["registry"] for c in listed.json()["results"]] == ["registry.acme.test:5000"]
    assert SECRET not in listed.content.decode()
    assert SECRET not in json.dumps([e.changes for e in AuditEvent.objects.all()])


def test_duplicates_and_bad_hosts_are_400_with_the_field(tenancy, credential):
    client = api_client(tenancy.owner)
    duplicate = client.post(url(tenancy), {"registry": "ghcr.io", "username": "x", "password": "y"}, format="json")
    error = assert_error(duplicate, 400, "invalid")
    assert "already has credentials" in " ".join(error["fields"]["registry"])
    bad = client.post(url(tenancy), {"registry": "https://x.test", "username": "x", "password": "y"}, format="json")
    assert "without “https://”" in " ".join(assert_error(bad, 400, "invalid")["fields"]["registry"])
    empty = client.post(url(tenancy), {"registry": "x.test", "username": "x", "password": ""}, format="json")
    assert "password" in assert_error(empty, 400, "invalid")["fields"]
    assert RegistryCredential.objects.count() == 1


def test_patch_keeps_the_password_when_left_out_and_refuses_another_registry(tenancy, credential):
    client = api_client(tenancy.owner)
    response = client.patch(url(tenancy, credential.pk), {"username": "robot2"}, format="json")
    assert response.status_code == 200 and response.json()["username"] == "robot2"
    credential.refresh_from_db()
    assert credential.password == SECRET
    client.patch(url(tenancy, credential.pk), {"password": "n3w"}, format="json")
    credential.refresh_from_db()
    assert credential.password == "n3w"
    moved = client.patch(url(tenancy, credential.pk), {"registry": "evil.example"}, format="json")
    assert "cannot change" in " ".join(assert_error(moved, 400, "invalid")["fields"]["registry"])
    credential.refresh_from_db()
    assert credential.registry == "ghcr.io"


def test_delete(tenancy, credential):
    response = api_client(tenancy.owner).delete(url(tenancy, credential.pk))
    assert response.status_code == 204 and not RegistryCredential.objects.exists()
    assert AuditEvent.objects.filter(action="registry_credential.delete").count() == 1


def test_a_read_only_member_lists_but_changes_nothing(tenancy, credential):
    client = api_client(tenancy.member)
    listed = client.get(url(tenancy))
    assert listed.status_code == 200 and listed.json()["results"][0]["username"] == "robot"
    assert SECRET not in listed.content.decode()
    assert_error(
        client.post(url(tenancy), {"registry": "x.test", "username": "u", "password": "p"}, format="json"), 403
    )
    assert_error(client.patch(url(tenancy, credential.pk), {"password": "p"}, format="json"), 403)
    assert_error(client.delete(url(tenancy, credential.pk)), 403)
    credential.refresh_from_db()
    assert credential.password == SECRET


def test_an_outsider_gets_404(tenancy, credential):
    client = api_client(tenancy.outsider)
    assert_error(client.get(url(tenancy)), 404)
    assert_error(client.get(url(tenancy, credential.pk)), 404)
    assert_error(
        client.post(url(tenancy), {"registry": "x.test", "username": "u", "password": "p"}, format="json"), 404
    )
    assert_error(client.patch(url(tenancy, credential.pk), {"password": "p"}, format="json"), 404)
    assert_error(client.delete(url(tenancy, credential.pk)), 404)
    assert RegistryCredential.objects.count() == 1


def test_a_workspace_operator_token_manages_them_and_is_named_as_who_set_them(tenancy):
    _, plaintext = tokens.token_create(
        actor=tenancy.owner, workspace=tenancy.workspace, role=WorkspaceRole.OPERATOR, name="ci-bot"
    )
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    response = client.post(url(tenancy), {"registry": "quay.io", "username": "u", "password": "p"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["set_by"] == "ci-bot"
