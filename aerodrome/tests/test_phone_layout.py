"""At phone width (390 x 844) the navigation collapses behind a toggler and no page scrolls sideways: wide tables
scroll inside their cards."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import TeamFactory, TeamMembershipFactory
from accounts.tests.page_helpers import browser_login
from deployments.tests.factories import make_deployment

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def nav_link(page, name):
    return page.locator("#navbar-menu").get_by_role("link", name=name, exact=True)


def navigation_height(page) -> float:
    """How far down the page's own content starts."""
    return page.locator(".page-wrapper").bounding_box()["y"]


def main_pages(tenancy, deployment, team) -> list[str]:
    org = f"/orgs/{tenancy.org.slug}"
    d = f"{org}/deployments/{deployment.pk}"
    return [
        f"{org}/",
        f"{org}/overview/",
        f"{org}/workspaces/{tenancy.workspace.pk}/",
        f"{d}/",
        f"{d}/resources/",
        f"{d}/variables/",
        f"{d}/events/",
        f"{d}/logs/",
        f"{d}/manifests/",
        f"{org}/workspaces/{tenancy.workspace.pk}/deployments/new/",
        f"{org}/members/",
        f"{org}/teams/",
        f"{org}/teams/{team.pk}/",
        f"{org}/clusters/",
        f"{org}/audit/",
        f"{org}/tokens/",
        f"{org}/sso/",
        "/orgs/",
        "/profile/",
        "/accounts/email/",
    ]


def test_every_main_page_fits_a_phone_with_the_navigation_collapsed(page, live_server, tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="A rather long Deployment name")
    team = TeamFactory(organization=tenancy.org, name="Data Engineering")
    TeamMembershipFactory(team=team, user=tenancy.member)
    browser_login(page, live_server, tenancy.owner)
    page.set_viewport_size(PHONE)
    ARTIFACTS.mkdir(exist_ok=True)

    for url in main_pages(tenancy, deployment, team):
        page.goto(url)
        assert navigation_height(page) <= 72, f"{url}: the navigation takes {navigation_height(page)}px"
        expect(nav_link(page, "Teams")).to_be_hidden()
        width = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
        assert width[0] <= width[1], f"{url} scrolls sideways: {width[0]}px wide on a {width[1]}px screen"
        page.screenshot(path=str(ARTIFACTS / f"phone{url.replace('/', '_')}.png"), full_page=True)


def test_the_navigation_toggler_opens_the_menu_on_a_phone(page, live_server, tenancy):
    browser_login(page, live_server, tenancy.owner)
    page.set_viewport_size(PHONE)
    page.goto(f"/orgs/{tenancy.org.slug}/")

    toggler = page.get_by_role("button", name="Menu")
    expect(toggler).to_have_attribute("aria-expanded", "false")
    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    nav_link(page, "Teams").click()
    expect(page.get_by_role("heading", name="Teams")).to_be_visible()
    width = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1]


def test_the_navigation_stays_open_on_a_wide_screen(page, live_server, tenancy):
    browser_login(page, live_server, tenancy.owner)
    page.goto(f"/orgs/{tenancy.org.slug}/")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(nav_link(page, "Teams")).to_be_visible()
    assert navigation_height(page) <= 120  # two rows: the brand and account, then the sections
