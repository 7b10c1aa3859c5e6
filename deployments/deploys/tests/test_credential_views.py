"""Registry credentials pages: a workspace's (operators and owners manage them; members see them read-only; outsiders
get a 404) and a cluster's (a card on its edit page, the organisation's owners). The password is write-only: never
on a page, in the audit log, nor sent back in a refused form; a saved credential becomes the pull secret."""

import base64
import json

import pytest

from accounts.models import AuditEvent
from accounts.roles import WorkspaceRole
from accounts.tests.factories import BindingFactory, MembershipFactory, UserFactory
from deployments.deploys import services
from deployments.kube import render
from deployments.models import Deployment, RegistryCredential
from deployments.selectors import deployment_spec
from deployments.tests.factories import make_cluster, make_deployment

pytestmark = pytest.mark.django_db

SECRET = "pull-s3cret-Zq9"
BASE = "/orgs/acme/workspaces/{}/registry-credentials/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def base(tenancy) -> str:
    return BASE.format(tenancy.workspace.pk)


@pytest.fixture
def credential(tenancy):
    return services.registry_credential_create(
        actor=tenancy.owner, workspace=tenancy.workspace, registry_host="ghcr.io", username="robot", password=SECRET
    )


def pull_config(deployment) -> dict:
    objects = render.render(deployment_spec(Deployment.objects.get(pk=deployment.pk)))
    pull = next(o for o in objects if o["kind"] == "Secret" and o.get("type") == "kubernetes.io/dockerconfigjson")
    return json.loads(base64.b64decode(pull["data"][".dockerconfigjson"]))


def test_the_workspace_page_links_to_the_credentials(client, tenancy, credential):
    client.force_login(tenancy.member)
    html = client.get(f"/orgs/acme/workspaces/{tenancy.workspace.pk}/").content.decode()
    assert 'id="workspace-registry-credentials-card"' in html
    assert base(tenancy) in html


def test_an_owner_adds_credentials_that_become_the_pull_secret(client, tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    client.force_login(tenancy.owner)
    response = client.post(
        base(tenancy) + "add/", {"registry": " GHCR.io ", "username": "robot", "password": SECRET}, **HTMX
    )
    assert response.status_code == 204 and response["HX-Location"] == base(tenancy)
    credential = RegistryCredential.objects.get()
    assert (credential.registry, credential.set_by) == ("ghcr.io", tenancy.owner)
    auth = pull_config(deployment)["auths"]["ghcr.io"]
    assert (auth["username"], auth["password"]) == ("robot", SECRET)
    html = client.get(base(tenancy)).content.decode()
    assert "ghcr.io" in html and "robot" in html and "owner@acme.test" in html
    assert SECRET not in html
    entry = AuditEvent.objects.get(action="registry_credential.set")
    assert entry.actor == tenancy.owner and SECRET not in json.dumps(entry.changes)


def test_an_operator_may_manage_them(client, tenancy):
    operator = UserFactory(email="operator@acme.test")
    MembershipFactory(organization=tenancy.org, user=operator)
    BindingFactory(workspace=tenancy.workspace, user=operator, role=WorkspaceRole.OPERATOR)
    client.force_login(operator)
    response = client.post(base(tenancy) + "add/", {"registry": "r.example.test", "username": "u", "password": "p"})
    assert response.status_code == 302
    assert RegistryCredential.objects.get().set_by_label == "operator@acme.test"


@pytest.mark.parametrize(
    ("registry", "message"),
    [
        ("https://ghcr.io", "without “https://”"),
        ("ghcr.io/acme", "without a path"),
        ("bad host!", "is not a registry host"),
        ("", "e.g. ghcr.io or registry.example.com:5000"),
        ("ghcr.io", "ghcr.io already has credentials in this workspace; edit them instead."),
    ],
)
def test_bad_hosts_and_duplicates_are_refused_clearly(client, tenancy, credential, registry, message):
    client.force_login(tenancy.owner)
    data = {"registry": registry, "username": "other", "password": "typed-secret"}
    response = client.post(base(tenancy) + "add/", data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="credential-add-form"' in html
    assert message in html
    assert "typed-secret" not in html  # never sent back, even to who typed it
    assert 'value="other"' in html  # what else was typed stays
    assert RegistryCredential.objects.get().username == "robot"


def test_editing_with_a_blank_password_keeps_it(client, tenancy, credential):
    client.force_login(tenancy.owner)
    url = f"{base(tenancy)}{credential.pk}/edit/"
    form = client.get(url, **HTMX).content.decode()
    assert "Leave blank to keep" in form and SECRET not in form
    response = client.post(url, {"username": "robot2", "password": ""}, **HTMX)
    assert response.status_code == 204
    credential.refresh_from_db()
    assert (credential.username, credential.password) == ("robot2", SECRET)
    client.post(url, {"username": "robot2", "password": "n3w-secret"}, **HTMX)
    credential.refresh_from_db()
    assert credential.password == "n3w-secret"
    changes = [e.changes for e in AuditEvent.objects.filter(action="registry_credential.set").order_by("pk")]
    assert changes[1] == {"registry": "ghcr.io", "username": ["robot", "robot2"]}
    assert changes[2] == {"registry": "ghcr.io", "password": "replaced"}


def test_an_empty_username_on_edit_is_refused_in_the_row(client, tenancy, credential):
    client.force_login(tenancy.owner)
    response = client.post(f"{base(tenancy)}{credential.pk}/edit/", {"username": " ", "password": "x"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and f'id="credential-{credential.pk}"' in html and "Enter the username" in html
    credential.refresh_from_db()
    assert credential.password == SECRET


def test_deleting_removes_the_pull_secret_and_is_audited(client, tenancy, credential):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    assert "ghcr.io" in pull_config(deployment)["auths"]
    client.force_login(tenancy.owner)
    page = client.get(base(tenancy)).content.decode()
    assert "Remove the credentials for ghcr.io?" in page  # hx-confirm
    response = client.post(f"{base(tenancy)}{credential.pk}/delete/", **HTMX)
    assert response.status_code == 204
    assert not RegistryCredential.objects.exists()
    objects = render.render(deployment_spec(Deployment.objects.get(pk=deployment.pk)))
    assert not [o for o in objects if o.get("type") == "kubernetes.io/dockerconfigjson"]
    entry = AuditEvent.objects.get(action="registry_credential.delete")
    assert entry.changes == {"registry": "ghcr.io", "username": "robot"}


def test_a_member_sees_them_read_only_and_cannot_change_them(client, tenancy, credential):
    client.force_login(tenancy.member)
    html = client.get(base(tenancy)).content.decode()
    assert "ghcr.io" in html and "robot" in html and SECRET not in html
    assert 'id="credential-add-form"' not in html and "/delete/" not in html
    url = f"{base(tenancy)}{credential.pk}/"
    assert (
        client.post(base(tenancy) + "add/", {"registry": "x.test", "username": "u", "password": "p"}).status_code == 403
    )
    assert client.post(url + "edit/", {"username": "u", "password": "p"}).status_code == 403
    assert client.get(url + "edit/", **HTMX).status_code == 403
    assert client.post(url + "delete/").status_code == 403
    credential.refresh_from_db()
    assert (credential.username, credential.password) == ("robot", SECRET)


def test_outsiders_get_404_everywhere(client, tenancy, credential):
    client.force_login(tenancy.outsider)
    url = f"{base(tenancy)}{credential.pk}/"
    assert client.get(base(tenancy)).status_code == 404
    assert (
        client.post(base(tenancy) + "add/", {"registry": "x.test", "username": "u", "password": "p"}).status_code == 404
    )
    assert client.post(url + "edit/", {"username": "u", "password": "p"}).status_code == 404
    assert client.post(url + "delete/").status_code == 404
    assert RegistryCredential.objects.count() == 1


def test_another_workspaces_credential_is_a_404_through_this_one(client, tenancy):
    other = services.registry_credential_create(
        actor=tenancy.outsider, workspace=tenancy.other_workspace, registry_host="r.test", username="u", password="p"
    )
    client.force_login(tenancy.owner)
    assert client.post(f"{base(tenancy)}{other.pk}/delete/").status_code == 404
    assert RegistryCredential.objects.filter(pk=other.pk).exists()


# ------------------------------------------------------------------------------------------------- clusters


def test_organisation_owners_manage_a_clusters_credentials_on_its_edit_page(client, tenancy):
    cluster = make_cluster(organization=tenancy.org, name="acme-prod")
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    Deployment.objects.filter(pk=deployment.pk).update(cluster=cluster)
    client.force_login(tenancy.owner)
    page = f"/orgs/acme/clusters/{cluster.pk}/edit/"
    html = client.get(page).content.decode()
    assert "Registry credentials" in html and 'id="credential-add-form"' in html
    add = f"/orgs/acme/clusters/{cluster.pk}/registry-credentials/add/"
    response = client.post(add, {"registry": "quay.io", "username": "bot", "password": SECRET}, **HTMX)
    assert response.status_code == 204 and response["HX-Location"] == page + "#registry-credentials"
    assert pull_config(deployment)["auths"]["quay.io"]["username"] == "bot"
    html = client.get(page).content.decode()
    assert "quay.io" in html and SECRET not in html
    # The workspace's own credentials for a registry win over the cluster's.
    services.registry_credential_create(
        actor=tenancy.owner, workspace=tenancy.workspace, registry_host="quay.io", username="mine", password="x"
    )
    assert pull_config(deployment)["auths"]["quay.io"]["username"] == "mine"
    refused = client.post(add, {"registry": "quay.io", "username": "b", "password": "p"}, **HTMX).content.decode()
    assert "quay.io already has credentials in this cluster" in refused


def test_members_and_outsiders_cannot_touch_a_clusters_credentials(client, tenancy):
    cluster = make_cluster(organization=tenancy.org, name="acme-prod")
    credential = services.registry_credential_create(
        actor=tenancy.owner, cluster=cluster, registry_host="quay.io", username="bot", password=SECRET
    )
    url = f"/orgs/acme/clusters/{cluster.pk}/registry-credentials/{credential.pk}/"
    client.force_login(tenancy.member)
    assert client.post(url + "delete/").status_code == 403
    assert client.post(url + "edit/", {"username": "x", "password": "y"}).status_code == 403
    client.force_login(tenancy.outsider)
    assert client.post(url + "delete/").status_code == 404
    globex = f"/orgs/globex/clusters/{cluster.pk}/registry-credentials/{credential.pk}/delete/"
    assert client.post(globex).status_code == 404
    assert RegistryCredential.objects.get().username == "bot"


def test_a_platform_clusters_credentials_are_not_the_organisations(client, tenancy):
    platform = make_cluster(organization=None, name="shared")
    client.force_login(tenancy.owner)
    add = f"/orgs/acme/clusters/{platform.pk}/registry-credentials/add/"
    assert client.post(add, {"registry": "quay.io", "username": "b", "password": "p"}).status_code == 403
    assert not RegistryCredential.objects.exists()


def test_an_author_deploys_but_cannot_change_the_workspaces_credentials(client, tenancy, credential):
    """Credentials concern every Deployment of the workspace: OPERATOR and up, like its Deployments' settings."""
    author = UserFactory(email="author@acme.test")
    MembershipFactory(organization=tenancy.org, user=author)
    BindingFactory(workspace=tenancy.workspace, user=author, role=WorkspaceRole.AUTHOR)
    client.force_login(author)
    assert client.get(base(tenancy)).status_code == 200
    assert (
        client.post(base(tenancy) + "add/", {"registry": "x.test", "username": "u", "password": "p"}).status_code == 403
    )
    assert client.post(f"{base(tenancy)}{credential.pk}/delete/").status_code == 403
    assert RegistryCredential.objects.count() == 1


def test_without_htmx_a_refused_form_is_the_whole_page_with_400(client, tenancy):
    cluster = make_cluster(organization=tenancy.org, name="acme-prod")
    client.force_login(tenancy.owner)
    data = {"registry": "ghcr.io/x", "username": "u", "password": "typed-secret"}
    for url in (base(tenancy) + "add/", f"/orgs/acme/clusters/{cluster.pk}/registry-credentials/add/"):
        response = client.post(url, data)
        html = response.content.decode()
        assert response.status_code == 400 and "without a path" in html and "<html" in html
        assert "typed-secret" not in html
