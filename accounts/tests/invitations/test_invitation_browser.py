"""Invitations in a real browser: the sign-up page an invitee reaches shows the invited address locked, and the
Members page invites people (there is no adding an existing account directly). Screenshots go to test-artifacts/."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from accounts.invitations import services as invitations
from accounts.models import OrganizationMembership
from accounts.tests.invitations.test_invitations import link_in
from accounts.tests.page_helpers import browser_login

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
PUNYCODE = "jurgen@xn--exmple-cua.de"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_invitee_signs_up_with_the_invited_address_locked(page, live_server, tenancy, smtp_server):
    # An internationalised domain: Chromium's email box sends it as punycode, and it is still the invited address.
    invitations.invitations_create(actor=tenancy.owner, organization=tenancy.org, emails=["jurgen@exämple.de"])
    page.goto(urlsplit(link_in(smtp_server.messages[0])).path)
    page.get_by_role("button", name="Create your account to accept").click()

    email = page.get_by_label("Email")
    expect(email).to_have_attribute("value", "jurgen@exämple.de")
    expect(email).to_have_value(PUNYCODE)  # what Chromium's email box holds, and sends, for an IDN domain
    expect(email).not_to_be_editable()
    expect(page.get_by_text("This invitation is for jurgen@exämple.de.")).to_be_visible()
    email.click()
    page.keyboard.type("eve")  # typing into the locked box changes nothing
    expect(email).to_have_value(PUNYCODE)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "invitation-signup-locked-email.png"), full_page=True)

    page.get_by_label("Password", exact=True).fill("a-long-unusual-passphrase")
    page.get_by_label("Password (again)").fill("a-long-unusual-passphrase")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_text("You joined Acme Data.")).to_be_visible()
    assert OrganizationMembership.objects.filter(organization=tenancy.org, user__email="jurgen@exämple.de").exists()


def test_the_members_page_invites_and_offers_no_direct_adding(page, live_server, tenancy, smtp_server):
    browser_login(page, live_server, tenancy.owner)
    page.goto(f"/orgs/{tenancy.org.slug}/members/")
    expect(page.get_by_text("No pending invitations")).to_be_visible()
    expect(page.get_by_text("Add someone with an account")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "members-page-empty-invitations.png"), full_page=True)

    form = page.locator("#invite-form")
    form.get_by_label("Email addresses").fill("ada@example.com, outsider@globex.test")
    form.get_by_role("button", name="Send invitations").click()
    expect(form.locator("#invite-outcomes")).to_contain_text("Invited ada@example.com.")
    expect(form.locator("#invite-outcomes")).to_contain_text("Invited outsider@globex.test.")  # an account: invited too
    expect(page.locator("#invitations-table")).to_contain_text("outsider@globex.test")
    page.screenshot(path=str(ARTIFACTS / "members-page-after-inviting.png"), full_page=True)
    assert not OrganizationMembership.objects.filter(organization=tenancy.org, user=tenancy.outsider).exists()


def test_an_invitation_to_a_workspace_picks_it_by_searching(page, live_server, tenancy, smtp_server):
    """However many workspaces the organisation has, the invite form finds one as the owner types; words typed but
    not picked are not sent as "no workspace"."""
    from accounts.models import Invitation
    from workspaces.models import Workspace

    Workspace.objects.bulk_create(Workspace(organization=tenancy.org, name=f"Team {i:02d}") for i in range(30))
    browser_login(page, live_server, tenancy.owner)
    page.goto(f"/orgs/{tenancy.org.slug}/members/")
    form = page.locator("#invite-form")
    form.get_by_label("Email addresses").fill("ada@example.com")
    box = form.get_by_label("Workspace (optional)")
    box.fill("analy")
    form.get_by_role("button", name="Send invitations").click()  # before picking: refused, nothing sent
    expect(form.get_by_text("Choose one from the list, or clear the box.")).to_be_visible()
    assert not Invitation.objects.exists()

    box.fill("team 2")
    matches = form.locator("[data-pick-id]")
    expect(matches.first).to_have_text("Team 20")  # Team 20 to 29 match: a few are listed, and a word that more do
    expect(matches).to_have_count(8)
    expect(form.get_by_text("and more match")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "members-page-workspace-search.png"), full_page=True)
    box.fill("team 27")
    expect(form.get_by_text("Choose one from the list, or clear the box.")).to_have_count(0)
    form.get_by_role("option", name="Team 27").click()
    expect(box).to_have_value("Team 27")
    page.screenshot(path=str(ARTIFACTS / "members-page-workspace-picked.png"), full_page=True)
    form.get_by_label("Workspace role").select_option("AUTHOR")
    form.get_by_role("button", name="Send invitations").click()
    expect(form.locator("#invite-outcomes")).to_contain_text("Invited ada@example.com.")
    invitation = Invitation.objects.get(email="ada@example.com")
    assert (invitation.workspace.name, invitation.workspace_role) == ("Team 27", "AUTHOR")
    expect(form.get_by_label("Workspace (optional)")).to_have_value("Team 27")  # kept for the next addresses
