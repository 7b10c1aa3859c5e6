"""The Deploys tab and its rollback action: outsiders get a 404, read-only members see the history but a rollback is
a 403, authors roll back (audited), and the tab polls only while a deploy is unfinished."""

import pytest

from accounts.models import AuditEvent
from deployments.deploys import services
from deployments.deploys.tests.conftest import archive, upload
from deployments.models import Deploy, Deployment
from deployments.tests.factories import make_cluster, make_deployment

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployment(tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    services.deploy_create(actor=tenancy.owner, deployment=deployment, dags=upload(archive({"a.py": b"1"})))
    services.deploy_create(actor=tenancy.owner, deployment=deployment, dags=upload(archive({"a.py": b"22"})))
    return deployment


def urls(deployment):
    first = Deploy.objects.filter(deployment=deployment).order_by("pk").first()
    base = f"/orgs/acme/deployments/{deployment.pk}/deploys/"
    return base, f"{base}{first.pk}/rollback/", first


def test_outsiders_get_404_on_the_tab_and_the_rollback(client, tenancy, deployment):
    base, rollback, _ = urls(deployment)
    client.force_login(tenancy.outsider)
    assert client.get(base).status_code == 404
    assert client.post(rollback).status_code == 404
    assert Deploy.objects.count() == 2


def test_members_see_the_history_but_cannot_roll_back(client, tenancy, deployment):
    base, rollback, _ = urls(deployment)
    client.force_login(tenancy.member)
    page = client.get(base)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Deploy history" in html and "Roll back" not in html
    assert client.post(rollback).status_code == 403
    assert Deploy.objects.count() == 2


def test_an_author_rolls_back_from_the_page(client, tenancy, deployment):
    base, rollback, first = urls(deployment)
    client.force_login(tenancy.owner)
    html = client.get(base).content.decode()
    assert f'id="rollback-{first.pk}"' in html and "Environment variables and resources stay as they are." in html
    response = client.post(rollback, {"description": "undo"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Location"] == base
    created = Deploy.objects.get(rolled_back_from=first)
    assert created.description == "undo" and created.deployed_by == tenancy.owner
    assert AuditEvent.objects.filter(action="deploy.rollback", target_id=str(created.pk)).exists()


def test_the_tab_polls_while_a_deploy_is_unfinished(client, tenancy, deployment):
    base, _, _ = urls(deployment)
    client.force_login(tenancy.owner)
    polling = '<div id="deploy-list" hx-get='
    assert polling not in client.get(base).content.decode()
    cluster = make_cluster(organization=tenancy.org)
    Deployment.objects.filter(pk=deployment.pk).update(cluster=cluster, status=Deployment.Status.HEALTHY)
    deployment.refresh_from_db()
    services._create(
        actor=tenancy.owner,
        deployment=deployment,
        fields={"kind": "IMAGE", "image": "r.test/a:v1", "image_repository": "r.test/a", "image_tag": "v1",
                "image_digest": "sha256:" + "1" * 64},
        checked=None,
    )  # fmt: skip
    assert polling in client.get(base).content.decode()
    partial = client.get(f"{base}?poll=1", HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="deploy-list"') and "Deploying" in partial
