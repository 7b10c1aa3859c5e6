"""The Metrics tab, rendered by the server against a real Prometheus (monitoring/tests/metrics_world.py): the tab,
its figures, one Deployment never showing another's series, the personas and the empty states."""

import json
import re
import time

import pytest

from deployments.tests.factories import make_cluster, make_deployment
from monitoring.tests import metrics_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def page_url(deployment, suffix=""):
    return f"/orgs/{deployment.workspace.organization.slug}/deployments/{deployment.pk}/metrics/{suffix}"


def figure(html: str, chart: str, name: str) -> str:
    card = html[html.index(f'id="chart-{chart}"') :]
    card = card[: card.index('class="card-body"')]
    found = re.search(
        rf'data-series="{re.escape(name)}"><span class="text-secondary">[^<]*</span> <strong>([^<]+)<', card
    )
    assert found, card
    return found.group(1)


def test_the_tab_opens_at_once_and_loads_its_charts(world, login, tenancy):
    response = login(tenancy.member).get(page_url(world.a))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-current="page"><i class="ti ti-chart-line me-1"></i>Metrics</a>' in html
    assert f'hx-get="{page_url(world.a, "charts/")}?window=6h"' in html
    assert "uplot/uPlot.iife.min.js" in html


def test_the_charts_show_the_deployments_figures(world, login, tenancy):
    html = login(tenancy.owner).get(page_url(world.a, "charts/") + "?window=1h").content.decode()
    assert "one point every 15 s" in html
    # The newest rate may miss part of a scrape interval at the window's edge: within 5 %.
    assert float(figure(html, "heartbeat", "heartbeats").split()[0]) == pytest.approx(12.0, rel=0.05)
    assert figure(html, "tasks", "running") == "4 tasks"
    assert figure(html, "tasks", "queued") == "2 tasks"
    default = world.a.queues.get(name="default")
    assert figure(html, "queues", "default capacity") == f"{default.max_workers * default.concurrency} tasks"
    assert figure(html, "pools", "starving") == "1 slots"
    memory = html[html.index('id="chart-memory"') :]
    scheduler = memory[memory.index('data-component="scheduler">') + 27 :]
    scheduler = scheduler[: scheduler.index('<div class="metrics-plot')]
    text = re.sub(r"<[^>]+>", " ", scheduler).split()
    assert text == ["scheduler", "used", "1.0", "GiB", "requested", "2.0", "GiB", "limit", "2.0", "GiB"]
    data = [json.loads(block) for block in re.findall(r'<script type="application/json">(.*?)</script>', html)]
    assert any(s["name"] == "heartbeats" for d in data for s in d["series"])


def test_one_deployments_charts_never_show_the_others(world, login, tenancy):
    a = login(tenancy.owner).get(page_url(world.a, "charts/")).content.decode()
    assert metrics_world.RELEASE_B not in a and metrics_world.RELEASE_A in a  # A's worker pod has restarts
    b = login(tenancy.outsider).get(page_url(world.b, "charts/")).content.decode()
    assert metrics_world.RELEASE_A not in b
    assert figure(b, "tasks", "queued") == "7 tasks"


def test_an_outsider_gets_a_404(world, login, tenancy):
    assert login(tenancy.outsider).get(page_url(world.a)).status_code == 404
    assert login(tenancy.outsider).get(page_url(world.a, "charts/")).status_code == 404


def test_an_unknown_window_shows_the_default_one(world, login, tenancy):
    html = login(tenancy.owner).get(page_url(world.a, "charts/") + "?window=forever").content.decode()
    assert '<div id="metrics-body" data-window="6h">' in html


def test_without_prometheus_the_tab_says_so(login, tenancy):
    cluster = make_cluster(name="bare")
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Bare", cluster=cluster)
    html = login(tenancy.owner).get(page_url(deployment, "charts/")).content.decode()
    assert "No metrics for this Deployment" in html
    assert "has no Prometheus" in html and "metrics-chart-card" not in html


def test_an_unreachable_prometheus_is_a_clear_message_fast(login, tenancy, settings):
    settings.PROMETHEUS_TIMEOUT_MS = 500
    cluster = make_cluster(name="down", prometheus_url="http://127.0.0.1:1")
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Down", cluster=cluster)
    started = time.monotonic()
    response = login(tenancy.owner).get(page_url(deployment, "charts/"))
    assert time.monotonic() - started < 2
    html = response.content.decode()
    assert response.status_code == 200
    assert "Prometheus cannot be reached" in html and "cannot be reached right now" in html
