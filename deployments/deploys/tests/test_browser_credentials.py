"""Registry credentials in Chromium: from the workspace page to the credentials page, a refused host explained next
to the field, add, edit keeping the password, delete after confirming; the password never reaches the page."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.page_helpers import browser_login
from deployments.deploys import services
from deployments.models import RegistryCredential
from deployments.tests.factories import make_cluster

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SECRET = "ghp_browserS3cretToken"


def test_an_owner_sets_up_registry_credentials_from_the_workspace_page(page, live_server, tenancy):
    services.registry_credential_create(
        actor=tenancy.owner,
        workspace=tenancy.workspace,
        registry_host="registry.acme.internal:5000",
        username="svc-airflow",
        password="existing",
    )
    browser_login(page, live_server, tenancy.owner)
    page.goto(f"/orgs/{tenancy.org.slug}/workspaces/{tenancy.workspace.pk}/")
    card = page.locator("#workspace-registry-credentials-card")
    card.get_by_role("link", name="Registry credentials").click()
    expect(page.get_by_role("heading", name="Registry credentials").first).to_be_visible()

    form = page.locator("#credential-add-form")
    form.get_by_label("Registry").fill("https://ghcr.io/acme")
    form.get_by_label("Username").fill("acme-bot")
    form.get_by_label("Password or access token").fill(SECRET)
    form.get_by_role("button", name="Add credentials").click()
    expect(page.locator("#credential-add-form .invalid-feedback")).to_contain_text("without “https://”")
    expect(page.locator("#credential-add-form").get_by_label("Username")).to_have_value("acme-bot")
    expect(page.locator("#credential-add-form").get_by_label("Password or access token")).to_have_value("")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "registry-credentials-error.png"), full_page=True)

    form = page.locator("#credential-add-form")
    form.get_by_label("Registry").fill("ghcr.io")
    form.get_by_label("Password or access token").fill(SECRET)
    form.get_by_role("button", name="Add credentials").click()
    expect(page.get_by_text("Credentials for ghcr.io saved.")).to_be_visible()
    row = page.locator("#credentials-table tr", has_text="ghcr.io")
    expect(row).to_contain_text("acme-bot")
    expect(row).to_contain_text("by owner@acme.test")
    assert SECRET not in page.content()
    page.screenshot(path=str(ARTIFACTS / "registry-credentials.png"), full_page=True)

    row.get_by_role("link", name="Edit ghcr.io").click()
    editing = page.locator("#credentials-table tr.bg-primary-lt")
    expect(editing.get_by_label("New password for ghcr.io")).to_have_attribute("placeholder", "Leave blank to keep")
    editing.get_by_label("Username for ghcr.io").fill("acme-bot-2")
    page.screenshot(path=str(ARTIFACTS / "registry-credentials-edit.png"), full_page=True)
    editing.get_by_role("button", name="Save").click()
    expect(page.locator("#credentials-table tr.bg-primary-lt")).to_have_count(0)
    expect(page.locator("#credentials-table tr", has_text="ghcr.io")).to_contain_text("acme-bot-2")
    credential = RegistryCredential.objects.get(registry="ghcr.io")
    assert (credential.username, credential.password) == ("acme-bot-2", SECRET)

    page.locator("#credentials-table tr", has_text="ghcr.io").get_by_role("button", name="Remove ghcr.io").click()
    expect(page.get_by_text("Credentials for ghcr.io removed.")).to_be_visible()
    expect(page.locator("#credentials-table")).not_to_contain_text("ghcr.io")
    assert list(RegistryCredential.objects.values_list("registry", flat=True)) == ["registry.acme.internal:5000"]


def test_a_member_sees_the_registries_without_controls(page, live_server, tenancy):
    services.registry_credential_create(
        actor=tenancy.owner, workspace=tenancy.workspace, registry_host="ghcr.io", username="acme-bot", password=SECRET
    )
    browser_login(page, live_server, tenancy.member)
    page.goto(f"/orgs/{tenancy.org.slug}/workspaces/{tenancy.workspace.pk}/registry-credentials/")
    expect(page.locator("#credentials-table")).to_contain_text("acme-bot")
    expect(page.locator("#credential-add-form")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove ghcr.io")).to_have_count(0)


def test_an_organisation_owner_adds_cluster_credentials_on_its_edit_page(page, live_server, tenancy):
    cluster = make_cluster(organization=tenancy.org, name="acme-prod")
    browser_login(page, live_server, tenancy.owner)
    page.goto(f"/orgs/{tenancy.org.slug}/clusters/{cluster.pk}/edit/")
    form = page.locator("#credential-add-form")
    form.get_by_label("Registry").fill("quay.io")
    form.get_by_label("Username").fill("acme+puller")
    form.get_by_label("Password or access token").fill(SECRET)
    form.get_by_role("button", name="Add credentials").click()
    expect(page.locator("#credentials-table")).to_contain_text("acme+puller")
    expect(page).to_have_url(f"/orgs/{tenancy.org.slug}/clusters/{cluster.pk}/edit/#registry-credentials")
    page.screenshot(path=str(ARTIFACTS / "registry-credentials-cluster.png"), full_page=True)
    assert RegistryCredential.objects.get(cluster=cluster).username == "acme+puller"
