"""Clusters: credentials kept encrypted and write-only, and "test connection" against a real HTTP API server."""

import pytest
import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.models import AuditEvent
from deployments import cluster_services, services
from deployments.models import Cluster, Deployment
from deployments.tests.factories import kubeconfig_for, make_cluster, make_deployment


def test_owner_adds_a_cluster_with_an_encrypted_kubeconfig(tenancy, kube):
    cluster = cluster_services.cluster_create(
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


def test_a_password_inside_a_url_never_reaches_the_audit_trail(tenancy):
    cluster = make_cluster(organization=tenancy.org)
    cluster_services.cluster_update(
        actor=tenancy.owner, cluster=cluster, prometheus_url="https://scraper:prom-pa55@prom.acme.io/api"
    )
    entry = AuditEvent.objects.get(action="cluster.update")
    assert entry.changes == {"prometheus_url": "https://scraper:***@prom.acme.io/api"}


def test_a_blank_kubeconfig_on_update_keeps_the_stored_one(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url)
    cluster_services.cluster_update(actor=tenancy.owner, cluster=cluster, name="renamed", kubeconfig="")
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
        ({"database_admin_url": "postgresql://admin:pa%zz@db.acme.io/postgres"}, "database_admin_url"),
        ({"database_admin_url": "postgresql://admin:pw@db.acme.io/postgres?shiny=1"}, "database_admin_url"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_cluster_input_is_refused(tenancy, kube, fields, field):
    values = {"name": "c", "kubeconfig": kubeconfig_for(kube.url), "ingress_base_domain": "a.example.com", **fields}
    with pytest.raises(ValidationError) as caught:
        cluster_services.cluster_create(actor=tenancy.owner, organization=tenancy.org, **values)
    assert field in caught.value.message_dict
    assert "pa%zz" not in str(caught.value)
    assert not Cluster.objects.exists()


def test_members_cannot_manage_clusters_and_outsiders_cannot_see_them(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url)
    platform = make_cluster(organization=None, name="shared")
    with pytest.raises(PermissionDenied):
        cluster_services.cluster_update(actor=tenancy.member, cluster=cluster, name="x")
    with pytest.raises(ValidationError, match="platform staff"):
        cluster_services.cluster_update(actor=tenancy.owner, cluster=platform, name="x")
    assert set(Cluster.objects.for_actor(tenancy.member)) == {cluster, platform}
    assert set(Cluster.objects.for_actor(tenancy.outsider)) == {platform}


def test_test_connection_reports_the_kubernetes_version(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url)

    cluster_services.cluster_test_connection(actor=tenancy.owner, cluster=cluster)

    cluster.refresh_from_db()
    assert cluster.last_check_ok is True
    assert cluster.last_check_message.startswith("Connected: Kubernetes v")
    assert AuditEvent.objects.filter(action="cluster.test_connection").exists()


def test_test_connection_explains_an_unreachable_cluster(tenancy, settings):
    settings.KUBE_RETRIES, settings.KUBE_BACKOFF_MS = 1, 1
    cluster = make_cluster(organization=tenancy.org, url="http://127.0.0.1:1")

    cluster_services.cluster_test_connection(actor=tenancy.owner, cluster=cluster)

    cluster.refresh_from_db()
    assert cluster.last_check_ok is False
    assert "cannot connect" in cluster.last_check_message


def test_a_cluster_in_use_cannot_be_deleted(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url)
    make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    with pytest.raises(ValidationError, match="still run on"):
        cluster_services.cluster_delete(actor=tenancy.owner, cluster=cluster)


def _kubeconfig(user: dict, cluster: dict | None = None) -> str:
    return yaml.safe_dump(
        {
            "clusters": [{"name": "c", "cluster": cluster or {"server": "http://127.0.0.1:1"}}],
            "users": [{"name": "u", "user": user}],
            "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "x",
        }
    )


def _exec_user(marker) -> dict:
    """A kubeconfig user whose credentials come from running a command (which leaves `marker` behind)."""
    credential = '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}'
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "sh",
            "args": ["-c", f"touch {marker}; echo '{credential}'"],
        }
    }


@pytest.mark.parametrize(
    ("user", "cluster", "named"),
    [
        (None, None, "exec"),
        ({"tokenFile": "/proc/self/environ"}, None, "tokenFile"),
        ({"auth-provider": {"name": "gcp", "config": {"cmd-path": "/bin/sh"}}}, None, "auth-provider"),
        ({"client-certificate": "/etc/ssl/cert.pem", "client-key": "/etc/ssl/key.pem"}, None, "client-key"),
        (
            {"token": "t"},
            {"server": "https://k.test", "certificate-authority": "/etc/ssl/ca.pem"},
            "certificate-authority",
        ),
    ],
)
def test_a_kubeconfig_may_not_run_commands_or_read_files_on_our_machines(tenancy, tmp_path, user, cluster, named):
    marker = tmp_path / "ran"
    kubeconfig = _kubeconfig(user or _exec_user(marker), cluster)
    with pytest.raises(ValidationError) as caught:
        cluster_services.cluster_create(
            actor=tenancy.owner, organization=tenancy.org, name="c", ingress_base_domain="a.b.io", kubeconfig=kubeconfig
        )
    assert named in " ".join(caught.value.message_dict["kubeconfig"])
    assert not Cluster.objects.exists()
    assert not marker.exists()


def test_a_stored_kubeconfig_that_runs_commands_is_never_used(tenancy, tmp_path):
    marker = tmp_path / "ran"
    cluster = make_cluster(organization=tenancy.org, kubeconfig=_kubeconfig(_exec_user(marker)))

    cluster_services.cluster_test_connection(actor=tenancy.owner, cluster=cluster)

    assert not marker.exists()
    cluster.refresh_from_db()
    assert cluster.last_check_ok is False and "exec" in cluster.last_check_message


@pytest.mark.parametrize(
    "kubeconfig",
    [
        "9" * 5000,  # an integer Python refuses to convert
        "when: 2024-13-45",  # a date that does not exist
        "clusters: 1\ncontexts: 1\nusers: 1\ncurrent-context: x",
        "clusters: [a]\ncontexts: [{name: [x]}]\nusers: [a]\ncurrent-context: x",
        "clusters: [a]\ncontexts: [{name: x}]\nusers: [a]\ncurrent-context: [x]",
    ],
)
def test_a_malformed_kubeconfig_is_refused_with_a_message(tenancy, kubeconfig):
    with pytest.raises(ValidationError) as caught:
        cluster_services.cluster_create(
            actor=tenancy.owner, organization=tenancy.org, name="c", ingress_base_domain="a.b.io", kubeconfig=kubeconfig
        )
    assert "kubeconfig" in caught.value.message_dict


def test_a_cluster_cannot_be_deleted_while_deleted_deployments_are_torn_down_on_it(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url)
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    services.deployment_delete(actor=tenancy.owner, deployment=deployment, confirm_name=deployment.name)

    with pytest.raises(ValidationError, match="being removed"):
        cluster_services.cluster_delete(actor=tenancy.owner, cluster=cluster)
    assert Deployment.objects.get(pk=deployment.pk).cluster == cluster  # its teardown still knows where to go

    Deployment.objects.filter(pk=deployment.pk).update(status=Deployment.Status.DELETED)
    cluster_services.cluster_delete(actor=tenancy.owner, cluster=cluster)
    assert not Cluster.objects.filter(pk=cluster.pk).exists()
