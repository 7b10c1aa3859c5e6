"""The overview's live columns against a real Prometheus (monitoring/tests/metrics_world.py): each person sees the
figures of their own Deployments only, health follows the scheduler's heartbeat, and a cluster without Prometheus
says why its columns are empty."""

import re

import pytest
from django.urls import reverse

from deployments.models import Deployment
from deployments.tests.factories import make_cluster, make_deployment


def row_of(html: str, deployment) -> str:
    start = html.index(f'id="overview-{deployment.pk}"')
    return html[start : html.index("</tr>", start)]


def cell(row: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</td>', row, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.mark.django_db
def test_live_figures_of_ones_own_deployments_from_prometheus(client, world, tenancy):
    Deployment.objects.filter(pk__in=[world.a.pk, world.b.pk]).update(status=Deployment.Status.HEALTHY)
    bare = make_deployment(
        actor=tenancy.owner, workspace=tenancy.workspace, name="No metrics", cluster=make_cluster(name="bare")
    )
    client.force_login(tenancy.member)
    html = client.get(reverse("organization_overview", args=[tenancy.org.slug])).content.decode()

    a = row_of(html, world.a)
    assert (cell(a, "running"), cell(a, "queued")) == ("4", "2")
    assert float(cell(a, "heartbeat").removesuffix("/min")) == pytest.approx(
        12.0, rel=0.2
    )  # a rate over 5 min: scrape timing moves it
    assert cell(a, "health") == "Healthy"
    assert "Globex ETL" not in html and f'id="overview-{world.b.pk}"' not in html
    # B's figures (1 running, 7 queued, 6 heartbeats) appear nowhere on Acme's page.
    assert not re.search(r'data-testid="queued"[^>]*>7<', html)

    empty = row_of(html, bare)
    assert cell(empty, "running") == "—"
    assert re.search(r'title="[^"]*no Prometheus[^"]*">—', empty)


@pytest.mark.django_db
def test_another_organisation_sees_its_own_figures_only(client, world, tenancy):
    Deployment.objects.filter(pk=world.b.pk).update(status=Deployment.Status.HEALTHY)
    client.force_login(tenancy.outsider)  # Globex's owner
    html = client.get(reverse("organization_overview", args=[tenancy.other_org.slug])).content.decode()
    b = row_of(html, world.b)
    assert (cell(b, "running"), cell(b, "queued")) == ("1", "7")
    assert float(cell(b, "heartbeat").removesuffix("/min")) == pytest.approx(6.0, rel=0.05)
    assert "Acme ETL" not in html
