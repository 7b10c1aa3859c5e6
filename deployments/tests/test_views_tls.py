"""Pages for the cluster's TLS setting (issue 10): the cluster form and list, and the Deployment page's notice when
Airflow is served over plain HTTP."""

import pytest

from accounts.tests.page_helpers import HTMX, text
from deployments.models import Cluster
from deployments.tests.certificates import make_certificate
from deployments.tests.factories import make_cluster, make_deployment
from deployments.tests.test_views import url

pytestmark = pytest.mark.django_db

NOTICE = "Airflow is served over plain HTTP"


@pytest.fixture
def cluster(tenancy):
    return make_cluster(organization=tenancy.org, name="eu-prod", ingress_base_domain="airflow.acme.test")


def form_data(cluster: Cluster, **tls) -> dict:
    return {
        "name": cluster.name,
        "auth": "KUBECONFIG",
        "kubernetes_version": cluster.kubernetes_version,
        "ingress_base_domain": cluster.ingress_base_domain,
        "prometheus_url": "",
        "tls_mode": "NONE",
        "tls_cluster_issuer": "",
        "tls_certificate": "",
        "tls_private_key": "",
        **tls,
    }


def test_deployment_page_says_airflow_is_plain_http_when_the_cluster_has_no_tls(login, tenancy, cluster):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    owner_page = text(login(tenancy.owner).get(url("deployment_overview", deployment.pk)))
    assert NOTICE in owner_page
    assert "sign-in cookies are not secure" in owner_page
    assert f"http://{deployment.release_name}.airflow.acme.test" in owner_page
    assert f"Set up HTTPS for {cluster.name}" in owner_page  # the owner can fix it: a link to the cluster form
    member_page = text(login(tenancy.member).get(url("deployment_overview", deployment.pk)))
    assert NOTICE in member_page
    assert "Set up HTTPS for" not in member_page and "An organisation owner can set up HTTPS" in member_page


@pytest.mark.parametrize(
    "tls",
    [{"tls_mode": "CLUSTER_ISSUER", "tls_cluster_issuer": "letsencrypt-prod"}, None],
    ids=["cluster-issuer", "built-in-cluster"],
)
def test_no_plain_http_notice_with_tls_or_without_a_cluster(login, tenancy, cluster, tls):
    if tls:
        Cluster.objects.filter(pk=cluster.pk).update(**tls)
    deployment = make_deployment(
        actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster if tls else None, name="Quiet"
    )
    page = text(login(tenancy.owner).get(url("deployment_overview", deployment.pk)))
    assert NOTICE not in page


def test_owner_sets_up_a_cluster_issuer_on_the_cluster_form(login, tenancy, cluster):
    client = login(tenancy.owner)
    form = text(client.get(url("cluster_update", cluster.pk)))
    assert "HTTPS for the Airflow UI" in form and "cert-manager ClusterIssuer" in form
    response = client.post(
        url("cluster_update", cluster.pk),
        form_data(cluster, tls_mode="CLUSTER_ISSUER", tls_cluster_issuer="letsencrypt-prod"),
        **HTMX,
    )
    assert response.status_code == 204
    cluster.refresh_from_db()
    assert (cluster.tls_mode, cluster.tls_cluster_issuer) == ("CLUSTER_ISSUER", "letsencrypt-prod")
    listing = text(client.get(url("cluster_list")))
    assert 'HTTPS</span> <span class="text-secondary">· cert-manager <code>letsencrypt-prod</code>' in listing


def test_a_bad_issuer_name_is_shown_next_to_its_field_and_kept(login, tenancy, cluster):
    response = login(tenancy.owner).post(
        url("cluster_update", cluster.pk),
        form_data(cluster, tls_mode="CLUSTER_ISSUER", tls_cluster_issuer="Lets Encrypt"),
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200  # HTMX: the form again, with its errors
    assert "A ClusterIssuer name is lower-case letters" in body
    assert 'value="Lets Encrypt"' in body
    assert 'value="CLUSTER_ISSUER" class="form-selectgroup-input" checked' in body
    assert Cluster.objects.get(pk=cluster.pk).tls_mode == "NONE"


def test_a_wildcard_certificate_pasted_on_the_form_is_stored_and_its_key_never_shown(login, tenancy, cluster):
    certificate, key = make_certificate("*.airflow.acme.test")
    client = login(tenancy.owner)
    response = client.post(
        url("cluster_update", cluster.pk),
        form_data(cluster, tls_mode="CERTIFICATE", tls_certificate=certificate, tls_private_key=key),
        **HTMX,
    )
    assert response.status_code == 204
    key_body = key.strip().splitlines()[1]
    for page in (url("cluster_update", cluster.pk), url("cluster_list")):
        body = client.get(page).content.decode()
        assert key_body not in body and "PRIVATE KEY-----\n" not in body
    form = text(client.get(url("cluster_update", cluster.pk)))
    assert "Stored certificate: *.airflow.acme.test, valid until" in form
    # Saving again with both boxes blank keeps the pair.
    response = client.post(url("cluster_update", cluster.pk), form_data(cluster, tls_mode="CERTIFICATE"), **HTMX)
    assert response.status_code == 204
    assert Cluster.objects.get(pk=cluster.pk).tls_private_key.strip() == key.strip()


def test_a_certificate_for_another_domain_is_refused_on_the_form(login, tenancy, cluster):
    certificate, key = make_certificate("*.example.org")
    response = login(tenancy.owner).post(
        url("cluster_update", cluster.pk),
        form_data(cluster, tls_mode="CERTIFICATE", tls_certificate=certificate, tls_private_key=key),
        **HTMX,
    )
    body = text(response)
    assert "the certificate must be for *.airflow.acme.test (it is for *.example.org)" in body
    assert key.strip().splitlines()[1] not in response.content.decode()  # a rejected key is not echoed back
    assert Cluster.objects.get(pk=cluster.pk).tls_mode == "NONE"


def test_a_form_without_the_tls_fields_leaves_the_setting_alone(login, tenancy, cluster):
    Cluster.objects.filter(pk=cluster.pk).update(tls_mode="CLUSTER_ISSUER", tls_cluster_issuer="letsencrypt")
    data = {key: value for key, value in form_data(cluster).items() if not key.startswith("tls_")}
    response = login(tenancy.owner).post(url("cluster_update", cluster.pk), {**data, "name": "renamed"}, **HTMX)
    assert response.status_code == 204
    stored = Cluster.objects.get(pk=cluster.pk)
    assert (stored.name, stored.tls_mode, stored.tls_cluster_issuer) == ("renamed", "CLUSTER_ISSUER", "letsencrypt")


def test_a_member_cannot_change_the_tls_setting_and_an_outsider_cannot_see_it(login, tenancy, cluster):
    data = form_data(cluster, tls_mode="CLUSTER_ISSUER", tls_cluster_issuer="letsencrypt")
    assert login(tenancy.member).post(url("cluster_update", cluster.pk), data).status_code == 403
    assert login(tenancy.outsider).post(url("cluster_update", cluster.pk), data).status_code == 404
    assert Cluster.objects.get(pk=cluster.pk).tls_mode == "NONE"
