"""The alert pages in Chromium: add a rule whose fields follow its type, turn a built-in off, filter the history
and acknowledge an alert. Screenshots go to test-artifacts/ for people to look at."""

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD
from monitoring.alerts import services
from monitoring.alerts.channels import services as channel_services
from monitoring.alerts.models import Alert, AlertRule, Silence
from monitoring.tests.alerts.factories import make_alert, monitored_deployment

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def alert(deployment, minutes_ago, summary, *, rule_name, rule_key, resolved_after=None, **more):
    starts = timezone.now() - timezone.timedelta(minutes=minutes_ago)
    return make_alert(
        deployment,
        rule_key=rule_key,
        rule_name=rule_name,
        fingerprint=f"fp{minutes_ago}",
        alertname="DagFailure",
        state=Alert.State.RESOLVED if resolved_after else Alert.State.FIRING,
        summary=summary,
        labels={},
        starts_at=starts,
        ends_at=starts + timezone.timedelta(minutes=resolved_after) if resolved_after else None,
        last_received_at=starts,
        **more,
    )


def test_rules_page_adds_a_rule_and_turns_a_built_in_off(page, tenancy):
    deployment = monitored_deployment(tenancy.owner, tenancy.workspace)
    for kind, fields in (
        ("SLACK", {"url": "https://hooks.slack.com/services/T/B/X"}),
        ("EMAIL", {"addresses": "oncall@acme.test"}),
    ):
        channel_services.channel_create(
            actor=tenancy.owner, workspace=tenancy.workspace, name=f"Data {kind.title()}", kind=kind, **fields
        )
    services.rule_create(
        actor=tenancy.owner,
        workspace=tenancy.workspace,
        name="Any task failed",
        type="TASK_FAILURE",
        severity="WARNING",
        dag_match="EXCLUDES",
        dag_patterns=["sandbox_*"],
    )
    sign_in(page, tenancy.owner)
    page.goto(f"/orgs/acme/deployments/{deployment.pk}/alerts/rules/")
    form = page.locator("#rule-form")
    expect(form.get_by_label("Longer than (seconds)")).to_be_hidden()
    form.get_by_label("Name").fill("Orders ETL slow")
    form.get_by_label("When").select_option("DAG_DURATION")
    expect(form.get_by_label("Longer than (seconds)")).to_be_visible()
    form.locator("#id_dag_patterns").fill("etl_orders*, etl_billing")
    form.get_by_label("Severity").select_option("CRITICAL")
    form.get_by_text("Data Slack").click()
    form.get_by_role("button", name="Add rule").click()  # no threshold yet: refused next to its field
    expect(form.get_by_text("Enter the duration threshold in seconds.")).to_be_visible()
    page.locator("#rule-form").get_by_label("Longer than (seconds)").fill("1800")
    page.locator("#rule-form").get_by_role("button", name="Add rule").click()
    expect(page.get_by_text("Alert rule “Orders ETL slow” added")).to_be_visible()
    rule = AlertRule.objects.get(name="Orders ETL slow")
    assert rule.threshold_seconds == 1800 and [c.name for c in rule.channels.all()] == ["Data Slack"]

    row = page.locator("#builtin-pod_quota")
    row.get_by_role("checkbox").uncheck()
    expect(row.get_by_text("Applies with the next reconcile")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "alert-rules.png"), full_page=True)


def test_history_filters_and_acknowledges(page, tenancy):
    deployment = monitored_deployment(tenancy.owner, tenancy.workspace)
    alert(deployment, 7, "DAG etl_orders failed", rule_name="Orders ETL failed", rule_key="rule-1")
    alert(
        deployment,
        95,
        "Scheduler heartbeat missing",
        rule_name="Scheduler heartbeat missing",
        rule_key="scheduler_heartbeat",
        resolved_after=12,
    )
    alert(
        deployment,
        300,
        "Task etl_billing.load failed",
        rule_name="Any task failed",
        rule_key="rule-2",
        severity="WARNING",
        resolved_after=4,
        acknowledged_at=timezone.now(),
        acknowledged_by_label="owner@acme.test",
    )
    alert(
        deployment,
        1500,
        "Pods near the quota",
        rule_name="Pods near the quota",
        rule_key="pod_quota",
        severity="INFO",
        resolved_after=30,
    )
    sign_in(page, tenancy.owner)
    page.goto(f"/orgs/acme/deployments/{deployment.pk}/alerts/")
    expect(page.get_by_test_id("firing-count")).to_have_text("1 firing")
    row = page.locator("#alert-table tbody tr").first
    row.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)  # resolved ones need none
    expect(page.locator("#alert-table tbody tr").first.get_by_test_id("acknowledged")).to_contain_text(
        "owner@acme.test"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "alert-history.png"), full_page=True)

    page.get_by_label("State").select_option("RESOLVED")
    expect(page.locator("#alert-table tbody tr")).to_have_count(3)
    assert "state=RESOLVED" in page.url
    page.get_by_label("Rule").select_option(label="Pods near the quota")
    expect(page.locator("#alert-table tbody tr")).to_have_count(1)

    page.goto(f"/orgs/acme/workspaces/{tenancy.workspace.pk}/")
    expect(page.locator("#incidents-badge")).to_have_text("1 incident")
    page.locator("#incidents-badge").click()
    expect(page.locator("#alert-table tbody tr")).to_have_count(4)
    page.screenshot(path=str(ARTIFACTS / "workspace-alerts.png"), full_page=True)

    now = timezone.now()
    Silence.objects.create(
        deployment=deployment,
        alertmanager_id="a1",
        starts_at=now,
        comment="Warehouse migration",
        ends_at=now + timezone.timedelta(hours=3),
        created_by_label="owner@acme.test",
    )
    Silence.objects.create(
        deployment=deployment,
        alertmanager_id="a0",
        starts_at=now - timezone.timedelta(days=2),
        ends_at=now - timezone.timedelta(days=1),
        comment="Airflow upgrade",
        created_by_label="owner@acme.test",
    )
    page.goto(f"/orgs/acme/deployments/{deployment.pk}/alerts/silences/")
    expect(page.locator("#current-silences")).to_contain_text("Warehouse migration")
    page.get_by_text("Until a time").click()
    expect(page.get_by_label("Until (UTC)")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "alert-silences.png"), full_page=True)

    page.goto(f"/orgs/acme/clusters/{deployment.cluster_id}/alerting/")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_test_id("receiver-token")).to_contain_text("aeram_")
    page.screenshot(path=str(ARTIFACTS / "cluster-alerting.png"), full_page=True)
