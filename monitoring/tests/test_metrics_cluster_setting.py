"""The cluster's monitoring namespace: checked when saved, on the cluster form, and what render gets from it (a
PodMonitor and the NetworkPolicy for that namespace, only on a cluster with a Prometheus URL)."""

import pytest
from django.core.exceptions import ValidationError

from deployments import cluster_services, selectors
from deployments.kube.render import render
from deployments.tests.factories import make_cluster, make_deployment

pytestmark = pytest.mark.django_db


def test_a_cluster_with_prometheus_renders_scraping_for_its_monitoring_namespace(tenancy):
    cluster = make_cluster(organization=tenancy.org, name="prod", prometheus_url="http://prometheus.example.com:9090")
    cluster_services.cluster_update(actor=tenancy.owner, cluster=cluster, monitoring_namespace=" Observability ")
    cluster.refresh_from_db()
    assert cluster.monitoring_namespace == "observability"
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    objects = render(selectors.deployment_spec(deployment))
    policy = next(o for o in objects if o["metadata"]["name"].endswith("-allow-monitoring"))
    peer = policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]
    assert peer == {"kubernetes.io/metadata.name": "observability"}
    assert [o["kind"] for o in objects if o["kind"] == "PodMonitor"] == ["PodMonitor"]


def test_without_a_prometheus_url_or_namespace_nothing_is_scraped(tenancy):
    for fields in (
        {"prometheus_url": ""},
        {"prometheus_url": "http://prometheus.example.com", "monitoring_namespace": ""},
    ):
        cluster = make_cluster(organization=tenancy.org, **fields)
        deployment = make_deployment(
            actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster, name=cluster.name
        )
        assert selectors.deployment_spec(deployment).monitoring_namespace == ""


def test_a_bad_namespace_is_refused_next_to_its_field(tenancy):
    cluster = make_cluster(organization=tenancy.org, name="prod")
    with pytest.raises(ValidationError) as refused:
        cluster_services.cluster_update(actor=tenancy.owner, cluster=cluster, monitoring_namespace="Not_a namespace!")
    assert "monitoring_namespace" in refused.value.message_dict


def test_the_cluster_form_offers_the_namespace_with_its_default(tenancy, login):
    cluster = make_cluster(organization=tenancy.org, name="prod")
    client = login(tenancy.owner)
    page = client.get(f"/orgs/{tenancy.org.slug}/clusters/new/").content.decode()
    assert 'name="monitoring_namespace"' in page and 'value="monitoring"' in page
    edit = client.get(f"/orgs/{tenancy.org.slug}/clusters/{cluster.pk}/edit/").content.decode()
    assert 'name="monitoring_namespace" id="id_monitoring_namespace" value="monitoring"' in edit
