"""Notification channels in a real browser: an owner sets up Slack from the workspace page, sends a test and sees
the service's answer on the row, adds a signed webhook with a generated secret, sees recent deliveries with their
attempts, and deletes a channel after confirming."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD
from monitoring.alerts import delivery
from monitoring.alerts.channels.models import Channel
from monitoring.alerts.channels.tests.helpers import notice

ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"


@pytest.mark.browser
def test_owner_sets_up_channels_tests_them_and_sees_deliveries(page, tenancy, receiver, saas, eager_celery, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(tenancy.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"/orgs/acme/workspaces/{tenancy.workspace.pk}/")
    page.locator("#workspace-channels-card").get_by_role("link", name="Set up channels").click()
    expect(page.get_by_text("No notification channels yet")).to_be_visible()

    page.get_by_role("link", name="Add your first channel").click()
    form = page.locator("#channel-form")
    form.get_by_label("Name").fill("Data team Slack")
    form.locator(".kind-choice label", has_text="Slack").click()
    expect(form.get_by_label("Email addresses")).to_be_hidden()  # only the chosen kind's fields
    form.get_by_label("Slack incoming webhook URL").fill(receiver.url("/services/T0/B0/secret-token"))
    form.get_by_role("button", name="Add channel").click()
    expect(page.get_by_text("Channel “Data team Slack” added.")).to_be_visible()

    row = page.locator("#channels-table tr", has_text="Data team Slack")
    expect(row).to_contain_text("127.0.0.1")
    expect(row).not_to_contain_text("secret-token")
    row.get_by_role("button", name="Send test").click()
    expect(
        page.locator("#channels-table tr", has_text="Data team Slack").get_by_test_id("test-result")
    ).to_contain_text("Accepted (202)")
    assert receiver.at("/services/T0/B0/secret-token")[0].json["text"].startswith(":wave: [TEST]")

    page.get_by_role("link", name="New channel").click()
    form = page.locator("#channel-form")
    form.get_by_label("Name").fill("Incident bot")
    form.locator(".kind-choice label", has_text="Webhook").click()
    form.get_by_label("Webhook URL").fill(receiver.url("/hook"))
    form.get_by_role("button", name="Generate").click()
    secret = form.get_by_label("Signing secret")
    expect(secret).to_have_attribute("type", "text")  # shown, so it can be copied once
    generated = secret.input_value()
    assert len(generated) == 64
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notification-channel-form.png"), full_page=True)
    form.get_by_role("button", name="Add channel").click()
    expect(page.get_by_text("Channel “Incident bot” added.")).to_be_visible()
    assert Channel.objects.get(name="Incident bot").secrets["signing_secret"] == generated

    page.get_by_role("link", name="New channel").click()
    form = page.locator("#channel-form")
    form.get_by_label("Name").fill("On-call email")
    form.locator(".kind-choice label", has_text="Email").click()
    form.get_by_label("Email addresses").fill("oncall@acme.test, data-team@acme.test")
    form.get_by_role("button", name="Add channel").click()
    expect(page.get_by_text("Channel “On-call email” added.")).to_be_visible()

    # Alerts go out: a webhook answering 500 is retried and recorded as failed; Slack gets it.
    receiver.answer("/hook", 500)
    channels = Channel.objects.filter(name__in=["Data team Slack", "Incident bot"])
    delivery.notify(workspace=tenancy.workspace, channels=channels, notice=notice())
    delivery.notify(workspace=tenancy.workspace, channels=channels, notice=notice("resolved"))
    page.reload()
    deliveries = page.locator("#deliveries-table")
    expect(deliveries.locator("tr", has_text="Incident bot").first).to_contain_text("Failed")
    expect(deliveries.locator("tr", has_text="Incident bot").first).to_contain_text("HTTP 500")
    expect(deliveries.locator("tr", has_text="Data team Slack").first).to_contain_text("Sent")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notification-channels.png"), full_page=True)

    row = page.locator("#channels-table tr", has_text="On-call email")
    row.get_by_role("button", name="Delete On-call email").click()  # confirm() is accepted by the fixture
    expect(page.get_by_text("Channel “On-call email” deleted.")).to_be_visible()
    expect(page.locator("#channels-table")).not_to_contain_text("On-call email")
    assert not Channel.objects.filter(name="On-call email").exists()
