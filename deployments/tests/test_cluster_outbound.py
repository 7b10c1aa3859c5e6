"""Organisation clusters under the outbound policy: their API server, metadata PostgreSQL and Prometheus may not
point at loopback, link-local, private or Aerodrome's own addresses (on save, on "Test connection" and at every
reconcile); platform clusters, configured by staff, are exempt."""

import psycopg
import pytest
import yaml
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.tests.factories import PASSWORD
from deployments import cluster_services, metadata_db, selectors, tasks
from deployments.kube import reconcile, scheduling
from deployments.models import Cluster, Deployment
from deployments.tests.factories import kubeconfig_for, make_cluster, make_deployment

pytestmark = pytest.mark.django_db

PLATFORM_DATABASE = "postgresql://postgres@127.0.0.1:5432/postgres"  # Aerodrome's own, in the test settings


@pytest.fixture(autouse=True)
def quick_kubernetes(settings):
    settings.KUBE_BACKOFF_MS = 5
    settings.KUBE_REQUEST_TIMEOUT = 1
    settings.KUBE_RETRIES = 2


@pytest.fixture(autouse=True)
def wake_ups(monkeypatch):
    """Wake-ups are recorded, not published: these tests run the task inline."""
    published = []
    monkeypatch.setattr(scheduling, "_publish", lambda deployment_id, due, now: published.append(deployment_id) or 1)
    return published


def by_name(kube, name: str) -> str:
    """The fake cluster's URL under another name (the fake cluster listens on 127.0.0.1)."""
    return kube.url.replace("127.0.0.1", name)


def fresh(deployment) -> Deployment:
    return Deployment.objects.get(pk=deployment.pk)


# ---------------------------------------------------------------------------------------------- test connection


def test_test_connection_refuses_an_organisation_cluster_whose_server_resolves_to_loopback(
    tenancy, kube, strict_outbound
):
    cluster = make_cluster(organization=tenancy.org, url=by_name(kube, "localhost"))

    cluster_services.cluster_test_connection(actor=tenancy.owner, cluster=cluster)

    cluster.refresh_from_db()
    assert cluster.last_check_ok is False
    assert cluster.last_check_message.startswith("Refused: localhost resolves to ")
    assert "a loopback address, which Aerodrome does not call" in cluster.last_check_message
    assert kube.request_log == []


def test_test_connection_of_a_platform_cluster_is_exempt(tenancy, kube, strict_outbound):
    staff = User.objects.create_superuser(email="staff@aerodrome.test", password=PASSWORD)
    cluster = make_cluster(organization=None, url=by_name(kube, "localhost"))

    cluster_services.cluster_test_connection(actor=staff, cluster=cluster)

    cluster.refresh_from_db()
    assert cluster.last_check_ok is True and cluster.last_check_message.startswith("Connected: Kubernetes v")


def test_test_connection_connects_to_the_address_it_checked(tenancy, kube, fake_dns):
    fake_dns["k8s.tenant.test"] = ["127.0.0.1"]  # only the policy knows this name: a second lookup would fail
    cluster = make_cluster(organization=tenancy.org, url=by_name(kube, "k8s.tenant.test"))

    cluster_services.cluster_test_connection(actor=tenancy.owner, cluster=cluster)

    cluster.refresh_from_db()
    assert cluster.last_check_message.startswith("Connected: Kubernetes v")


# ------------------------------------------------------------------------------------------------------ reconcile


def test_reconcile_fails_an_organisation_cluster_on_a_refused_address_at_once(tenancy, kube, strict_outbound, fake_dns):
    fake_dns["k8s.tenant.test"] = ["127.0.0.1"]
    cluster = make_cluster(organization=tenancy.org, url=by_name(kube, "k8s.tenant.test"))
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)

    assert tasks.reconcile.apply(args=(deployment.pk,)).get() == Deployment.Status.FAILED

    deployment = fresh(deployment)
    assert deployment.status_reason.startswith("Refused: k8s.tenant.test resolves to 127.0.0.1, a loopback address")
    assert not deployment.events.filter(reason="Unreachable").exists()  # nothing to retry: a person must act
    assert deployment.next_attempt_at is None
    assert kube.request_log == []


def test_an_organisation_cluster_may_not_use_aerodromes_own_postgresql(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url, database_admin_url=PLATFORM_DATABASE)  # old row
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)

    tasks.reconcile.apply(args=(deployment.pk,))

    deployment = fresh(deployment)
    assert deployment.status == Deployment.Status.FAILED
    assert deployment.status_reason == (
        "Refused: 127.0.0.1:5432 is one of Aerodrome's own services, which it does not call for an organisation."
    )
    name = selectors.database_name(deployment.release_name)
    assert metadata_db.exists(PLATFORM_DATABASE, name=name, user=name, guarded=False) == (False, False)


def test_an_organisation_clusters_metadata_postgresql_is_reached_at_the_checked_address(
    tenancy, kube, tenant_postgres, fake_dns
):
    fake_dns["pg.tenant.test"] = ["127.0.0.1"]  # only the policy knows this name: libpq must not look it up
    admin_url = tenant_postgres.replace("@127.0.0.1:", "@pg.tenant.test:")
    cluster = make_cluster(organization=tenancy.org, url=kube.url, database_admin_url=admin_url)
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    name = selectors.database_name(deployment.release_name)
    try:
        reconcile.run(deployment.pk)

        assert fresh(deployment).events.filter(reason="DatabaseCreated").exists()
        with psycopg.connect(PLATFORM_DATABASE) as conn:
            assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    finally:
        metadata_db.drop(PLATFORM_DATABASE, name=name, user=name, guarded=False)


# ----------------------------------------------------------------------------------------------------------- saving


def _kubeconfig_with_proxy(server: str, proxy: str) -> str:
    config = yaml.safe_load(kubeconfig_for(server))
    config["clusters"][0]["cluster"]["proxy-url"] = proxy
    return yaml.safe_dump(config)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"kubeconfig": kubeconfig_for("https://169.254.169.254")}, "kubeconfig", "169.254.169.254 is a link-local"),
        ({"kubeconfig": kubeconfig_for("https://k8s.tenant.test:6443")}, "kubeconfig", "the unspecified address"),
        (
            {"kubeconfig": _kubeconfig_with_proxy("https://93.184.215.14", "http://localhost:3128")},
            "kubeconfig",
            "localhost resolves to",
        ),
        ({"prometheus_url": "http://localhost:9090"}, "prometheus_url", "a loopback address"),
        ({"prometheus_url": "http://[::ffff:127.0.0.1]:9090/"}, "prometheus_url", "a loopback address"),
        ({"prometheus_url": "http://10.0.0.8:9090/"}, "prometheus_url", "10.0.0.8 is a private address"),
        (
            {"database_admin_url": "postgresql://admin:pw@[::1]:5432/postgres"},
            "database_admin_url",
            "::1 is a loopback address",
        ),
        (
            {"database_admin_url": "postgresql://admin:pw@metadata.tenant.test/postgres"},
            "database_admin_url",
            "metadata.tenant.test resolves to 169.254.169.254, a link-local address",
        ),
        (
            {"database_admin_url": "postgresql://admin:pw@93.184.215.14/postgres?sslrootcert=/etc/aerodrome/ca.pem"},
            "database_admin_url",
            "Remove sslrootcert",
        ),
        (
            {"database_admin_url": "postgresql://admin:pw@93.184.215.14/postgres?passfile=/root/.pgpass&sslkey=k"},
            "database_admin_url",
            "Remove passfile, sslkey",
        ),
        (
            {"database_admin_url": "postgresql://93.184.215.14/postgres?service=aerodrome"},
            "database_admin_url",
            "Remove service",
        ),
    ],
)
def test_organisation_cluster_addresses_the_policy_refuses_are_refused_on_save(
    tenancy, strict_outbound, fake_dns, fields, field, words
):
    fake_dns["k8s.tenant.test"] = ["0.0.0.0"]
    fake_dns["metadata.tenant.test"] = ["169.254.169.254"]
    values = {"name": "c", "kubeconfig": kubeconfig_for("https://93.184.215.14"), "ingress_base_domain": "a.acme.io"}

    with pytest.raises(ValidationError) as refused:
        cluster_services.cluster_create(actor=tenancy.owner, organization=tenancy.org, **values | fields)

    assert words in " ".join(refused.value.message_dict[field])
    assert "pw" not in str(refused.value)
    assert not Cluster.objects.exists()


def test_an_update_is_checked_too_and_a_name_that_does_not_resolve_yet_is_saved(tenancy, strict_outbound):
    cluster = make_cluster(organization=tenancy.org, url="https://93.184.215.14")
    with pytest.raises(ValidationError) as refused:
        cluster_services.cluster_update(actor=tenancy.owner, cluster=cluster, prometheus_url="http://127.0.0.1:9090")
    assert "127.0.0.1 is a loopback address" in refused.value.message_dict["prometheus_url"][0]

    cluster_services.cluster_update(
        actor=tenancy.owner, cluster=cluster, prometheus_url="https://prometheus.acme.invalid"
    )
    assert Cluster.objects.get(pk=cluster.pk).prometheus_url == "https://prometheus.acme.invalid"


def test_a_platform_cluster_may_point_at_any_address(strict_outbound):
    staff = User.objects.create_superuser(email="staff@aerodrome.test", password=PASSWORD)
    cluster = cluster_services.cluster_create(
        actor=staff,
        organization=None,
        name="in-house",
        kubeconfig=kubeconfig_for("https://10.0.0.1:6443"),
        ingress_base_domain="airflow.internal.test",
        prometheus_url="http://localhost:9090",
        database_admin_url=PLATFORM_DATABASE,
    )
    assert cluster.is_platform


def test_an_organisation_clusters_database_url_may_not_name_local_files_when_it_is_used(tenancy):
    """Saved before the check existed (or written around the service): refused again before libpq reads anything."""
    url = "postgresql://admin:pw@127.0.0.1:5999/postgres?sslmode=require&sslcert=/etc/ssl/private/aerodrome.crt"

    with pytest.raises(metadata_db.DatabaseRejected) as refused:
        metadata_db.ensure(url, name="d", user="u", password="p", guarded=True)

    assert "sslcert" in str(refused.value)
    assert "pw" not in str(refused.value)
