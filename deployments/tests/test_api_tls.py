"""The cluster's TLS setting through the REST API (issue 10): set, read back without the key, refused with field
errors, and only by those who manage the cluster."""

import pytest

from accounts.models import AuditEvent
from accounts.tests.api_helpers import api_client, assert_field_error, assert_forbidden, assert_not_found
from deployments.models import Cluster
from deployments.tests.certificates import make_certificate
from deployments.tests.factories import make_cluster, make_deployment
from deployments.tests.test_api import CLUSTERS, cluster_url, deployment_url, secret_kubeconfig

pytestmark = pytest.mark.django_db


@pytest.fixture
def cluster(tenancy):
    return make_cluster(organization=tenancy.org, name="acme-eu", ingress_base_domain="eu.acme.test")


def test_a_cluster_reads_back_its_tls_setting_without_the_key(tenancy, cluster):
    certificate, key = make_certificate("*.eu.acme.test")
    response = api_client(tenancy.owner).patch(
        cluster_url(cluster),
        {"tls_mode": "CERTIFICATE", "tls_certificate": certificate, "tls_private_key": key},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tls_mode"] == "CERTIFICATE"
    assert body["tls_certificate_names"] == ["*.eu.acme.test"]
    assert body["tls_certificate_expires_at"].startswith(
        str(Cluster.objects.get(pk=cluster.pk).tls_certificate_info.not_after.year)
    )
    assert body["has_tls_private_key"] is True
    assert "tls_private_key" not in body and "tls_certificate" not in body
    assert "PRIVATE KEY" not in response.content.decode()
    listed = api_client(tenancy.member).get(CLUSTERS).content.decode()
    assert "PRIVATE KEY" not in listed and "BEGIN CERTIFICATE" not in listed


def test_a_cluster_issuer_makes_its_deployments_https(tenancy, cluster):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    response = api_client(tenancy.owner).patch(
        cluster_url(cluster), {"tls_mode": "CLUSTER_ISSUER", "tls_cluster_issuer": "letsencrypt-prod"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["tls_mode"], response.json()["tls_cluster_issuer"]) == (
        "CLUSTER_ISSUER",
        "letsencrypt-prod",
    )
    ui_url = api_client(tenancy.member).get(deployment_url(deployment)).json()["ui_url"]
    assert ui_url == f"https://{deployment.release_name}.eu.acme.test"
    assert AuditEvent.objects.get(action="cluster.update").changes["tls_cluster_issuer"] == "letsencrypt-prod"


def test_a_new_cluster_is_created_with_its_tls_setting(tenancy):
    payload = {
        "organization": "acme",
        "name": "acme-us",
        "kubeconfig": secret_kubeconfig(),
        "ingress_base_domain": "us.acme.test",
        "tls_mode": "CLUSTER_ISSUER",
        "tls_cluster_issuer": "letsencrypt-prod",
    }
    response = api_client(tenancy.owner).post(CLUSTERS, payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["tls_mode"] == "CLUSTER_ISSUER"


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({"tls_mode": "ISSUER"}, "tls_mode", "not a valid TLS mode"),
        ({"tls_mode": "CLUSTER_ISSUER"}, "tls_cluster_issuer", "Enter the name"),
        ({"tls_mode": "CLUSTER_ISSUER", "tls_cluster_issuer": "Lets Encrypt"}, "tls_cluster_issuer", "lower-case"),
        ({"tls_mode": "CERTIFICATE", "tls_private_key": "x"}, "tls_certificate", "Paste the wildcard certificate"),
        (
            {"tls_mode": "CERTIFICATE", "tls_certificate": "-----BEGIN CERTIFICATE-----\nnope\n"},
            "tls_certificate",
            "PEM form",
        ),
    ],
)
def test_bad_tls_settings_are_field_errors(tenancy, cluster, payload, field, fragment):
    response = api_client(tenancy.owner).patch(cluster_url(cluster), payload, format="json")
    assert_field_error(response, field, fragment)
    assert Cluster.objects.get(pk=cluster.pk).tls_mode == "NONE"


def test_a_certificate_without_its_mode_is_refused_rather_than_dropped(tenancy, cluster):
    certificate, key = make_certificate("*.eu.acme.test")
    response = api_client(tenancy.owner).patch(
        cluster_url(cluster), {"tls_certificate": certificate, "tls_private_key": key}, format="json"
    )
    assert_field_error(response, "tls_certificate", "Not used while tls_mode is NONE")
    assert Cluster.objects.get(pk=cluster.pk).tls_certificate == ""


def test_only_owners_change_the_tls_setting(tenancy, cluster):
    payload = {"tls_mode": "CLUSTER_ISSUER", "tls_cluster_issuer": "letsencrypt-prod"}
    assert_forbidden(api_client(tenancy.member).patch(cluster_url(cluster), payload, format="json"))
    assert_not_found(api_client(tenancy.outsider).patch(cluster_url(cluster), payload, format="json"))
    assert Cluster.objects.get(pk=cluster.pk).tls_mode == "NONE"
