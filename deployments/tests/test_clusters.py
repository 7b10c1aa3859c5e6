"""Clusters: credentials kept encrypted and write-only, and "test connection" against a real HTTP API server."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.models import AuditEvent
from deployments import services
from deployments.models import Cluster
from deployments.tests.factories import kubeconfig_for, make_cluster, make_deployment


def test_owner_adds_a_cluster_with_an_encrypted_kubeconfig(tenancy, kube):
    cluster = services.cluster_create(
        actor=tenancy.owner,
        organization=tenancy.org,
        name="prod-eu",
        kubeconfig=kubeconfig_for(kube.url),
        ingress_base_domain="Airflow.Acme.io.",
        database_admin_url="postgresql://admin:pw@db.acme.io:5432/postgres",
    )

    assert cluster.ingress_base_domain == "airflow.acme.io"
    with connection.cursor() as cursor:
        cursor.execute("SELECT kubeconfig, database_admin_url FROM deployments_cluster WHERE id = %s", [cluster.pk])
        stored = " ".join(cursor.fetchone())
    assert kube.url not in stored and "admin:pw" not in stored
    entry = AuditEvent.objects.get(action="cluster.create")
    assert entry.changes["kubeconfig"] == "(changed)" and "pw" not in str(entry.changes)


def test_a_blank_kubeconfig_on_update_keeps_the_stored_one(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url)
    services.cluster_update(actor=tenancy.owner, cluster=cluster, name="renamed", kubeconfig="")
    assert Cluster.objects.get(pk=cluster.pk).kubeconfig == kubeconfig_for(kube.url)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kubeconfig": "{not yaml"}, "kubeconfig"),
        ({"kubeconfig": "clusters: []"}, "kubeconfig"),
        ({"kubeconfig": ""}, "kubeconfig"),
        ({"ingress_base_domain": "not a domain"}, "ingress_base_domain"),
        ({"kubernetes_version": "1.20"}, "kubernetes_version"),
        ({"prometheus_url": "ftp://x"}, "prometheus_url"),
        ({"database_admin_url": "mysql://x/y"}, "database_admin_url"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_cluster_input_is_refused(tenancy, kube, fields, field):
    values = {"name": "c", "kubeconfig": kubeconfig_for(kube.url), "ingress_base_domain": "a.example.com", **fields}
    with pytest.raises(ValidationError) as caught:
        services.cluster_create(actor=tenancy.owner, organization=tenancy.org, **values)
    assert field in caught.value.message_dict
    assert not Cluster.objects.exists()


def test_members_cannot_manage_clusters_and_outsiders_cannot_see_them(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url)
    platform = make_cluster(organization=None, name="shared")
    with pytest.raises(PermissionDenied):
        services.cluster_update(actor=tenancy.member, cluster=cluster, name="x")
    with pytest.raises(ValidationError, match="platform staff"):
        services.cluster_update(actor=tenancy.owner, cluster=platform, name="x")
    assert set(Cluster.objects.for_actor(tenancy.member)) == {cluster, platform}
    assert set(Cluster.objects.for_actor(tenancy.outsider)) == {platform}


def test_test_connection_reports_the_kubernetes_version(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url)

    services.cluster_test_connection(actor=tenancy.owner, cluster=cluster)

    cluster.refresh_from_db()
    assert cluster.last_check_ok is True
    assert cluster.last_check_message.startswith("Connected: Kubernetes v")
    assert AuditEvent.objects.filter(action="cluster.test_connection").exists()


def test_test_connection_explains_an_unreachable_cluster(tenancy, settings):
    settings.KUBE_RETRIES, settings.KUBE_BACKOFF_MS = 1, 1
    cluster = make_cluster(organization=tenancy.org, url="http://127.0.0.1:1")

    services.cluster_test_connection(actor=tenancy.owner, cluster=cluster)

    cluster.refresh_from_db()
    assert cluster.last_check_ok is False
    assert "cannot connect" in cluster.last_check_message


def test_a_cluster_in_use_cannot_be_deleted(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url)
    make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    with pytest.raises(ValidationError, match="still run on"):
        services.cluster_delete(actor=tenancy.owner, cluster=cluster)
