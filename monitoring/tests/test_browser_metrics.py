"""The Metrics tab in Chromium against a real Prometheus: the charts draw (uPlot canvases with the event markers),
switching the window reloads them in place, and a cluster without Prometheus shows its empty state."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.page_helpers import browser_login
from deployments.models import DeploymentEvent
from deployments.tests.factories import make_cluster, make_deployment

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_charts_draw_and_follow_the_window(worker_paused, page, live_server, world, tenancy):
    DeploymentEvent.objects.create(deployment=world.a, reason="Updated", message="Scaled queue default: 1 → 3 workers.")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    browser_login(page, live_server, tenancy.owner)
    page.goto(f"/orgs/{tenancy.org.slug}/deployments/{world.a.pk}/metrics/")
    expect(page.locator("#deployment-tabs .nav-link.active")).to_have_text("Metrics")
    plots = page.locator(".metrics-plot[data-drawn=true]")
    expect(plots.first).to_be_visible()
    expect(page.locator("#chart-heartbeat canvas")).to_have_count(1)
    assert errors == []
    assert plots.count() >= 9  # every chart, and a panel per component for CPU and memory
    expect(page.locator("#chart-tasks .metrics-figures")).to_contain_text("running 4 tasks")
    expect(page.locator("#metrics-range")).to_contain_text("one point every 90 s · 2 events marked")  # + Created
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "deployment-metrics.png"), full_page=True)

    page.locator("#metrics-windows").get_by_role("link", name="1h").click()
    expect(page.locator("#metrics-range")).to_contain_text("Last 1 hour, one point every 15 s")
    expect(page.locator("#metrics-windows a.active")).to_have_text("1h")
    assert page.url.endswith("/metrics/?window=1h")
    expect(page.locator("#chart-heartbeat canvas")).to_have_count(1)


def test_a_cluster_without_prometheus_shows_the_empty_state(page, live_server, tenancy):
    cluster = make_cluster(name="bare")
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Bare", cluster=cluster)
    browser_login(page, live_server, tenancy.owner)
    page.goto(f"/orgs/{tenancy.org.slug}/deployments/{deployment.pk}/metrics/")
    expect(page.locator("#metrics-empty")).to_contain_text("No metrics for this Deployment")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "deployment-metrics-empty.png"), full_page=True)
