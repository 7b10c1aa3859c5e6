"""A cluster's TLS setting (issue 10): a cert-manager ClusterIssuer or an uploaded wildcard certificate, validated,
audited, kept secret where it is one, and what the Deployments on the cluster render and show."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.models import AuditEvent
from deployments import cluster_services, selectors
from deployments.kube.render import render
from deployments.models import Cluster, Deployment
from deployments.tests.certificates import make_certificate, private_key_pem
from deployments.tests.factories import make_cluster, make_deployment

DOMAIN = "airflow.acme.test"


@pytest.fixture
def cluster(tenancy):
    return make_cluster(organization=tenancy.org, name="eu", ingress_base_domain=DOMAIN)


@pytest.fixture
def wildcard():
    return make_certificate(f"*.{DOMAIN}")


def ingress(deployment) -> dict:
    objects = render(selectors.deployment_spec(Deployment.objects.get(pk=deployment.pk)))
    return next(o for o in objects if o["kind"] == "Ingress")


def test_owner_sets_a_cluster_issuer_and_the_deployments_on_it_get_a_certificate_from_it(tenancy, cluster):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    assert "tls" not in ingress(deployment)["spec"]  # a new cluster has no TLS: plain HTTP
    assert Deployment.objects.get(pk=deployment.pk).ui_url == f"http://{deployment.release_name}.{DOMAIN}"
    Deployment.objects.filter(pk=deployment.pk).update(reconcile_requested_at=None)

    cluster_services.cluster_update(
        actor=tenancy.owner, cluster=cluster, tls_mode="CLUSTER_ISSUER", tls_cluster_issuer="letsencrypt-prod"
    )

    obj = ingress(deployment)
    assert obj["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt-prod"}
    assert obj["spec"]["tls"][0]["secretName"] == f"{deployment.release_name}-tls"
    deployment.refresh_from_db()
    assert deployment.ui_url == f"https://{deployment.release_name}.{DOMAIN}"
    assert deployment.reconcile_requested_at is not None  # the change reaches the cluster without a click
    entry = AuditEvent.objects.get(action="cluster.update")
    assert entry.changes == {
        "tls_mode": "CLUSTER_ISSUER",
        "tls_cluster_issuer": "letsencrypt-prod",
        # Nothing else changed: the certificate fields were already empty.
    }


@pytest.mark.parametrize(
    ("issuer", "message"),
    [
        ("", "Enter the name of the cert-manager ClusterIssuer"),
        ("Lets Encrypt", "lower-case letters"),
        ("-letsencrypt", "lower-case letters"),
        ("letsencrypt_prod", "lower-case letters"),
        ("a" * 254, "lower-case letters"),
    ],
)
def test_cluster_issuer_must_be_a_kubernetes_name(tenancy, cluster, issuer, message):
    with pytest.raises(ValidationError) as caught:
        cluster_services.cluster_update(
            actor=tenancy.owner, cluster=cluster, tls_mode="CLUSTER_ISSUER", tls_cluster_issuer=issuer
        )
    assert message in caught.value.message_dict["tls_cluster_issuer"][0]
    assert Cluster.objects.get(pk=cluster.pk).tls_mode == "NONE"


def test_an_unknown_tls_mode_is_refused(tenancy, cluster):
    with pytest.raises(ValidationError) as caught:
        cluster_services.cluster_update(
            actor=tenancy.owner, cluster=cluster, tls_mode="ISSUER", tls_cluster_issuer="ca"
        )
    assert "not a valid TLS mode" in caught.value.message_dict["tls_mode"][0]


def test_wildcard_certificate_is_rendered_into_each_namespace_and_its_key_stays_secret(tenancy, cluster, wildcard):
    certificate, key = wildcard
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)

    cluster_services.cluster_update(
        actor=tenancy.owner, cluster=cluster, tls_mode="CERTIFICATE", tls_certificate=certificate, tls_private_key=key
    )

    assert ingress(deployment)["spec"]["tls"][0]["secretName"] == f"{deployment.release_name}-wildcard-tls"
    with connection.cursor() as cursor:
        cursor.execute("SELECT tls_private_key FROM deployments_cluster WHERE id = %s", [cluster.pk])
        assert "PRIVATE KEY" not in cursor.fetchone()[0]  # encrypted at rest
    entry = AuditEvent.objects.get(action="cluster.update")
    assert entry.changes["tls_private_key"] == "(changed)"
    assert entry.changes["tls_certificate"].startswith(f"*.{DOMAIN} (until ")
    assert "PRIVATE KEY" not in str(entry.changes) and "BEGIN CERTIFICATE" not in str(entry.changes)
    info = Cluster.objects.get(pk=cluster.pk).tls_certificate_info
    assert info.names == (f"*.{DOMAIN}",)


def test_blank_certificate_and_key_keep_the_stored_ones(tenancy, cluster, wildcard):
    certificate, key = wildcard
    cluster_services.cluster_update(
        actor=tenancy.owner, cluster=cluster, tls_mode="CERTIFICATE", tls_certificate=certificate, tls_private_key=key
    )
    cluster_services.cluster_update(
        actor=tenancy.owner,
        cluster=cluster,
        name="renamed",
        tls_mode="CERTIFICATE",
        tls_certificate="",
        tls_private_key="",
    )
    stored = Cluster.objects.get(pk=cluster.pk)
    assert (stored.name, stored.tls_certificate.strip(), stored.tls_private_key.strip()) == (
        "renamed",
        certificate.strip(),
        key.strip(),
    )


def test_a_new_certificate_needs_its_own_key(tenancy, cluster, wildcard):
    certificate, key = wildcard
    cluster_services.cluster_update(
        actor=tenancy.owner, cluster=cluster, tls_mode="CERTIFICATE", tls_certificate=certificate, tls_private_key=key
    )
    renewed, _ = make_certificate(f"*.{DOMAIN}")
    with pytest.raises(ValidationError) as caught:
        cluster_services.cluster_update(actor=tenancy.owner, cluster=cluster, tls_certificate=renewed)
    assert caught.value.message_dict == {"tls_private_key": ["This key does not belong to the certificate."]}


@pytest.mark.parametrize(
    ("make", "field", "message"),
    [
        (lambda: ("not a certificate", private_key_pem()), "tls_certificate", "PEM form"),
        (lambda: (make_certificate(f"*.{DOMAIN}")[0], "not a key"), "tls_private_key", "PEM form"),
        (lambda: (make_certificate(f"*.{DOMAIN}")[0], private_key_pem()), "tls_private_key", "does not belong"),
        (lambda: make_certificate("*.other.test"), "tls_certificate", f"must be for *.{DOMAIN}"),
        (lambda: make_certificate(DOMAIN), "tls_certificate", f"must be for *.{DOMAIN}"),  # the bare domain only
        (lambda: make_certificate(f"*.eu.{DOMAIN}"), "tls_certificate", f"must be for *.{DOMAIN}"),
        (lambda: make_certificate(f"*.{DOMAIN}", expired=True), "tls_certificate", "expired on"),
        (lambda: ("", private_key_pem()), "tls_certificate", "Paste the wildcard certificate"),
        (lambda: (make_certificate(f"*.{DOMAIN}")[0], ""), "tls_private_key", "Paste the certificate's private key"),
    ],
)
def test_a_wildcard_certificate_must_be_readable_match_its_key_cover_the_domain_and_be_current(
    tenancy, cluster, make, field, message
):
    certificate, key = make()
    with pytest.raises(ValidationError) as caught:
        cluster_services.cluster_update(
            actor=tenancy.owner,
            cluster=cluster,
            tls_mode="CERTIFICATE",
            tls_certificate=certificate,
            tls_private_key=key,
        )
    assert message in " ".join(caught.value.message_dict[field])
    assert Cluster.objects.get(pk=cluster.pk).tls_mode == "NONE"


def test_changing_the_domain_checks_the_stored_certificate_against_it(tenancy, cluster, wildcard):
    certificate, key = wildcard
    cluster_services.cluster_update(
        actor=tenancy.owner, cluster=cluster, tls_mode="CERTIFICATE", tls_certificate=certificate, tls_private_key=key
    )
    with pytest.raises(ValidationError) as caught:
        cluster_services.cluster_update(actor=tenancy.owner, cluster=cluster, ingress_base_domain="airflow.other.test")
    assert "must be for *.airflow.other.test" in caught.value.message_dict["tls_certificate"][0]


def test_switching_tls_off_forgets_the_certificate_and_key(tenancy, cluster, wildcard):
    certificate, key = wildcard
    cluster_services.cluster_update(
        actor=tenancy.owner, cluster=cluster, tls_mode="CERTIFICATE", tls_certificate=certificate, tls_private_key=key
    )
    cluster_services.cluster_update(actor=tenancy.owner, cluster=cluster, tls_mode="NONE")
    stored = Cluster.objects.get(pk=cluster.pk)
    assert (stored.tls_mode, stored.tls_certificate, stored.tls_private_key) == ("NONE", "", "")
    assert AuditEvent.objects.filter(action="cluster.update").first().changes == {
        "tls_mode": "NONE",
        "tls_certificate": "",
        "tls_private_key": "",
    }


def test_a_member_cannot_change_the_tls_setting(tenancy, cluster):
    with pytest.raises(PermissionDenied):
        cluster_services.cluster_update(
            actor=tenancy.member, cluster=cluster, tls_mode="CLUSTER_ISSUER", tls_cluster_issuer="letsencrypt"
        )
    assert Cluster.objects.get(pk=cluster.pk).tls_mode == "NONE"


def test_a_new_cluster_may_come_with_its_tls_setting(tenancy, kube):
    from deployments.tests.factories import kubeconfig_for

    created = cluster_services.cluster_create(
        actor=tenancy.owner,
        organization=tenancy.org,
        name="us",
        kubeconfig=kubeconfig_for(kube.url),
        ingress_base_domain="airflow.us.acme.test",
        tls_mode="CLUSTER_ISSUER",
        tls_cluster_issuer="letsencrypt-prod",
    )
    assert (created.tls_mode, created.tls_cluster_issuer) == ("CLUSTER_ISSUER", "letsencrypt-prod")
