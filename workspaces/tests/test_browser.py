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
