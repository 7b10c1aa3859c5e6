"""Feedback where the person is: a save low on a page confirms in view, and deleting a Deployment lands on the top
of its workspace's page, not on the workspace's own danger zone."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.page_helpers import browser_login
from deployments.models import Deployment
from deployments.tests.factories import make_deployment

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def toast(page, text):
    return page.locator("#messages").get_by_text(text)


def test_saving_the_resources_form_low_on_the_page_confirms_in_view(page, live_server, tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    browser_login(page, live_server, tenancy.owner)
    page.set_viewport_size({"width": 1366, "height": 700})
    page.goto(f"/orgs/{tenancy.org.slug}/deployments/{deployment.pk}/resources/")

    form = page.locator("#resources-form")
    form.get_by_label("Scheduler replicas").fill("2")
    save = form.get_by_role("button", name="Save resources")
    save.scroll_into_view_if_needed()
    save.click()

    confirmation = toast(page, "Resources saved. Deploying generation 2…")
    expect(confirmation).to_be_in_viewport()
    expect(page.locator("#messages").get_by_role("status")).to_have_count(1)
    assert page.evaluate("scrollY") > 0  # the person stays where they were
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "toast-resources-saved.png"))
    # A confirmation goes away by itself; an error would stay until closed.
    expect(confirmation).to_have_count(0, timeout=12_000)


@pytest.mark.parametrize("how", ["click", "enter"])
def test_deleting_a_deployment_lands_on_the_top_of_the_workspace_page(page, live_server, tenancy, how):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Doomed")
    make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Survivor")
    browser_login(page, live_server, tenancy.owner)
    page.goto(f"/orgs/{tenancy.org.slug}/deployments/{deployment.pk}/")

    form = page.locator("#delete-deployment-form")
    form.get_by_label("to confirm").fill("Doomed")
    if how == "click":
        form.get_by_role("button", name="Delete Deployment").click()
    else:
        form.get_by_label("to confirm").press("Enter")

    page.wait_for_url(f"**/workspaces/{tenancy.workspace.pk}/")
    expect(toast(page, "Deployment “Doomed” is being deleted.")).to_be_in_viewport()
    expect(page.locator("#deployments-table")).to_be_in_viewport()
    expect(page.locator("#delete-workspace-form")).not_to_be_in_viewport()
    assert page.evaluate("scrollY") == 0
    # Nothing of the workspace's danger zone has the keyboard: typing goes nowhere near "Delete workspace".
    assert page.evaluate("document.activeElement.closest('#delete-workspace-form') === null")
    assert Deployment.objects.get(pk=deployment.pk).deleted_at is not None
