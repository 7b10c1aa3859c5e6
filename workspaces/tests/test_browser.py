"""The core loop in a real browser: log in, create a workspace, add a member, change its role, see it audited."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD
from workspaces.models import WorkspaceRoleBinding

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.mark.browser
def test_owner_creates_workspace_adds_member_changes_role_and_sees_it_audited(page, tenancy):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(tenancy.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Acme Data")).to_be_visible()

    page.get_by_role("link", name="New workspace").click()
    dialog = page.locator("#new-workspace")
    dialog.get_by_label("Workspace name").fill("Marketing Analytics")
    dialog.get_by_role("button", name="Create workspace").click()
    expect(page.locator("#workspace-name")).to_have_text("Marketing Analytics")
    expect(page.get_by_text("Workspace “Marketing Analytics” created.")).to_be_visible()

    form = page.locator("#add-member-form")
    form.get_by_label("Member").fill("mo mem")  # search-as-you-type: a few matches, then a click
    form.get_by_role("option", name=tenancy.member.email).click()
    expect(form.get_by_label("Member")).to_have_value(tenancy.member.name_and_email)
    form.get_by_role("button", name="Add member").click()
    row = page.locator("#access-table tr", has_text=tenancy.member.email)
    expect(row.get_by_test_id("effective-role")).to_have_text("Member")

    row.get_by_label(f"Direct role of {tenancy.member.email}").select_option("OPERATOR")
    row = page.locator("#access-table tr", has_text=tenancy.member.email)
    expect(row.get_by_text("Role changed to Operator.")).to_be_visible()
    expect(row.get_by_test_id("effective-role")).to_have_text("Operator")
    binding = WorkspaceRoleBinding.objects.get(workspace__name="Marketing Analytics", user=tenancy.member)
    assert binding.role == "OPERATOR"

    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").select_option("workspace.role_change")
    audit_row = page.locator("#audit-table tbody tr").first
    expect(audit_row).to_contain_text("workspace.role_change")
    expect(audit_row).to_contain_text(re.compile(r"MEMBER → OPERATOR"))
    expect(audit_row).to_contain_text(tenancy.owner.email)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "audit-log.png"), full_page=True)


@pytest.mark.browser
def test_pickers_search_as_you_type_and_rarely_used_forms_load_on_demand(page, live_server, tenancy):
    """In an organisation of many people: the member picker and the audit log's actor filter search as one types;
    the workspace's settings and delete forms appear when asked for."""
    from accounts.models import OrganizationMembership, User
    from accounts.tests.page_helpers import browser_login

    people = User.objects.bulk_create(
        User(email=f"person{i:02d}@acme.test", full_name=f"Person {i:02d}") for i in range(40)
    )
    OrganizationMembership.objects.bulk_create(OrganizationMembership(organization=tenancy.org, user=u) for u in people)
    browser_login(page, live_server, tenancy.owner)
    page.goto(f"/orgs/acme/workspaces/{tenancy.workspace.pk}/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workspace-page.png"), full_page=True)

    form = page.locator("#add-member-form")
    form.get_by_label("Member").fill("person 1")
    matches = form.locator("[data-pick-id]")
    expect(matches.first).to_contain_text("person10@acme.test")  # by address: Person 10 to 19 match
    expect(matches).to_have_count(8)  # 10 match: a few are shown, and a word that more do
    expect(form.get_by_text("and more match")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "workspace-member-picker.png"))
    form.get_by_label("Member").fill("person 17")
    form.get_by_role("option", name="person17@acme.test").click()
    expect(form.get_by_label("Member")).to_have_value("Person 17 <person17@acme.test>")
    form.get_by_role("button", name="Add member").click()
    expect(page.locator("#access-table tr", has_text="person17@acme.test")).to_be_visible()

    page.locator("#workspace-settings-card").get_by_role("link", name="Edit").click()
    settings_form = page.locator("#workspace-settings-form")
    expect(settings_form.get_by_label("Workspace name")).to_have_value("Analytics")
    page.locator("#delete-workspace-card").get_by_role("link", name="Delete…").click()
    delete_form = page.locator("#delete-workspace-form")
    expect(delete_form.get_by_role("button", name="Delete workspace")).to_be_disabled()
    settings_form.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "workspace-forms-on-demand.png"), full_page=True)
    settings_form.get_by_label("Workspace name").fill("Analytics EU")
    settings_form.get_by_role("button", name="Save").click()
    expect(page.locator("#workspace-name")).to_have_text("Analytics EU")

    page.goto("/orgs/acme/audit/")
    actor = page.get_by_label("Actor")
    actor.fill("olive")
    page.get_by_role("option", name=tenancy.owner.email).click()
    expect(page).to_have_url(re.compile(rf"actor={tenancy.owner.pk}"))
    expect(page.locator("#audit-table")).to_contain_text("workspace.member_add")
    expect(page.locator("#audit-table tbody tr")).to_have_count(2)  # the owner's two changes
    actor.fill("person 0")
    expect(page.locator("[data-pick-id]").first).to_contain_text("person00@acme.test")
    expect(page.locator("[data-pick-id]")).to_have_count(8)
    page.screenshot(path=str(ARTIFACTS / "audit-actor-picker.png"))


@pytest.mark.browser
def test_a_search_still_waiting_neither_moves_the_address_nor_undoes_the_person_picked(page, live_server, tenancy):
    """Typing in the audit log's actor box keeps the page's own address (the box's search is not a filter), and a
    person clicked while a search for what was typed is still waiting stays picked: that search is dropped."""
    from accounts.tests.page_helpers import browser_login

    browser_login(page, live_server, tenancy.owner)
    page.goto("/orgs/acme/audit/")
    actor = page.get_by_label("Actor")
    actor.fill("olive")
    option = page.get_by_role("option", name=tenancy.owner.email)
    expect(option).to_be_visible()
    expect(page).to_have_url(re.compile(r"/orgs/acme/audit/$"))

    actor.fill("olive ow")  # its search waits 250 ms before asking; the person is clicked before then
    option.click()
    expect(page).to_have_url(re.compile(rf"/orgs/acme/audit/\?.*actor={tenancy.owner.pk}"))
    page.wait_for_timeout(800)  # the dropped search would have been sent and answered by now
    expect(page).to_have_url(re.compile(rf"/orgs/acme/audit/\?.*actor={tenancy.owner.pk}"))
    expect(actor).to_have_value(tenancy.owner.name_and_email)
    expect(page.locator("#id_actor-matches")).to_be_empty()


@pytest.mark.browser
def test_a_team_gets_a_member_and_a_workspace_role_by_searching(page, live_server, tenancy):
    from accounts.models import OrganizationMembership, User
    from accounts.tests.factories import TeamFactory
    from accounts.tests.page_helpers import browser_login

    team = TeamFactory(organization=tenancy.org, name="Data Engineering")
    ada = User.objects.create(email="ada@acme.test", full_name="Ada Lovelace")
    OrganizationMembership.objects.create(organization=tenancy.org, user=ada)
    browser_login(page, live_server, tenancy.owner)
    page.goto(f"/orgs/acme/teams/{team.pk}/")

    member_form = page.locator("#team-add-member-form")
    member_form.get_by_label("Member").fill("lovel")
    member_form.get_by_role("option", name="ada@acme.test").click()
    member_form.get_by_role("button", name="Add to team").click()
    expect(page.get_by_text("ada@acme.test added to Data Engineering.")).to_be_visible()

    bind_form = page.locator("#team-bind-form")
    bind_form.get_by_label("Workspace", exact=True).fill("analy")
    bind_form.get_by_role("option", name="Analytics").click()
    bind_form.get_by_label("Role").select_option("AUTHOR")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "team-page-pickers.png"), full_page=True)
    bind_form.get_by_role("button", name="Grant role").click()
    expect(page.get_by_text("Data Engineering now has a role on Analytics.")).to_be_visible()
    assert WorkspaceRoleBinding.objects.get(team=team).role == "AUTHOR"


@pytest.mark.browser
def test_a_team_gets_a_role_on_the_workspace_by_searching(page, live_server, tenancy):
    from accounts.tests.factories import TeamFactory
    from accounts.tests.page_helpers import browser_login

    TeamFactory(organization=tenancy.org, name="Data Engineering")
    TeamFactory(organization=tenancy.org, name="Finance")
    browser_login(page, live_server, tenancy.owner)
    page.goto(f"/orgs/acme/workspaces/{tenancy.workspace.pk}/")
    form = page.locator("#add-team-form")
    form.get_by_label("Team", exact=True).fill("engin")
    form.get_by_role("option", name="Data Engineering").click()
    form.get_by_label("Role").select_option("OPERATOR")
    form.get_by_role("button", name="Add team").click()
    expect(page.get_by_text("Team Data Engineering added to Analytics.")).to_be_visible()
    binding = WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, team__name="Data Engineering")
    assert binding.role == "OPERATOR"
