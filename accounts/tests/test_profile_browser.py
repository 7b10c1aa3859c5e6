"""Setting one's name on the profile page in a real browser, and where it then shows."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import MembershipFactory, UserFactory
from accounts.tests.page_helpers import browser_login

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_invited_person_sets_their_name_and_the_members_list_shows_it(page, live_server, tenancy):
    invitee = UserFactory(email="invitee@acme.test", full_name="")
    MembershipFactory(organization=tenancy.org, user=invitee)
    browser_login(page, live_server, invitee)
    page.goto("/profile/")

    form = page.locator("#profile-name-form")
    form.get_by_label("Name").fill("Ada\tLovelace")
    form.get_by_role("button", name="Save name").click()
    expect(form.get_by_text("The name cannot contain control characters such as line breaks or tabs.")).to_be_visible()
    expect(form.get_by_label("Name")).to_have_value("Ada\tLovelace")  # nothing typed is lost

    form.get_by_label("Name").fill("Ada Lovelace")
    form.get_by_role("button", name="Save name").click()
    expect(page.locator("#messages").get_by_role("status")).to_have_text("Your name is saved.")
    expect(page.get_by_test_id("user-menu")).to_contain_text("Ada Lovelace")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "profile-name-saved.png"), full_page=True)

    page.goto(f"/orgs/{tenancy.org.slug}/members/")
    row = page.locator("#members-table tr", has_text="invitee@acme.test")
    expect(row.locator("td").first).to_have_text("Ada Lovelace you invitee@acme.test")
