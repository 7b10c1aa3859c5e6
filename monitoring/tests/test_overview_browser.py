"""The organisation overview in Chromium: reached from the navigation, live figures from a real Prometheus,
search as you type without losing the box, sort by a column, and the estimated cost once staff set prices."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import WorkspaceFactory
from accounts.tests.page_helpers import browser_login
from deployments.models import Deployment
from deployments.tests.factories import make_cluster, make_deployment
from monitoring import pricing

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_overview_search_sort_and_cost(page, live_server, world, tenancy, admin_user):
    Deployment.objects.filter(pk=world.a.pk).update(status=Deployment.Status.HEALTHY)
    finance = WorkspaceFactory(organization=tenancy.org, name="Finance")
    eu = make_cluster(name="eu-west (no Prometheus)")
    ledger = make_deployment(
        actor=tenancy.owner,
        workspace=finance,
        name="Ledger close",
        cluster=eu,
        queues=[{"name": "default", "worker_type": "A20", "min_workers": 2, "max_workers": 6}],
    )
    Deployment.objects.filter(pk=ledger.pk).update(status=Deployment.Status.UNHEALTHY)
    make_deployment(actor=tenancy.owner, workspace=finance, name="Reporting (manifests)", executor="KubernetesExecutor")
    pricing.pricing_update(actor=admin_user, cpu_hour=Decimal("0.0475"), gib_hour=Decimal("0.0064"), currency="USD")

    browser_login(page, live_server, tenancy.owner)
    page.goto(f"/orgs/{tenancy.org.slug}/")
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    rows = page.locator("#overview-table tbody tr")
    expect(rows).to_have_count(3)
    acme = page.locator(f"#overview-{world.a.pk}")
    expect(acme.get_by_test_id("running")).to_have_text("4")
    expect(acme.get_by_test_id("queued")).to_have_text("2")
    expect(acme.get_by_test_id("health")).to_have_text("Healthy")
    missing = page.locator(f"#overview-{ledger.pk}").get_by_test_id("running").locator("span")
    expect(missing).to_have_attribute("title", re.compile("no Prometheus"))
    expect(page.get_by_test_id("total-cost")).to_contain_text("USD")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "organisation-overview.png"), full_page=True)

    # Sort by CPU, largest first: the ledger's two A20 workers put it on top.
    page.locator('th a[data-sort="cpu"]').click()
    page.locator('th a[data-sort="cpu"]').click()
    expect(page).to_have_url(f"{live_server.url}/orgs/{tenancy.org.slug}/overview/?sort=-cpu")
    expect(rows.first).to_contain_text("Ledger close")

    # Search as you type: the results change, the box keeps its focus and text, the sort stays.
    search = page.get_by_role("searchbox", name="Search Deployments")
    search.press_sequentially("finance", delay=30)
    expect(rows).to_have_count(2)
    expect(search).to_be_focused()
    expect(rows.first).to_contain_text("Ledger close")
    assert "q=finance" in page.url and "sort=-cpu" in page.url
    search.fill("zzz")
    expect(page.get_by_test_id("overview-no-match")).to_be_visible()

    # The Deployment's own page shows what it requests and its estimate, with how it is computed on hover.
    search.fill("")
    page.get_by_role("link", name="Ledger close").click()
    estimate = page.get_by_test_id("estimated-cost")
    expect(estimate).to_contain_text("USD / month")
    expect(estimate).to_have_attribute("title", re.compile("730 hours a month"))
    expect(page.get_by_test_id("requested")).to_have_text("12.85 CPU · 25.3 GiB")
    page.screenshot(path=str(ARTIFACTS / "deployment-overview-cost.png"), full_page=True)
