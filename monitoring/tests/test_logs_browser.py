"""Live tail in Chromium: lines a container writes appear within seconds while Live is on, stop when it is off
(and come when it is back on), the view stays pinned to the bottom unless the person scrolled up, and polling stops
once the person leaves the tab."""

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.page_helpers import browser_login
from deployments import services
from deployments.tests.factories import make_cluster, make_deployment
from monitoring.tests.logs_world import add_pod, ago, airflow3_line

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def history(deployment, kube):
    levels = ["INFO", "INFO", "INFO", "WARNING", "INFO", "ERROR", "DEBUG"]
    scheduler = [
        (ago(600 - i * 5), airflow3_line(ago(600 - i * 5), levels[i % 7], f"Scheduler loop {i}: 3 DAG runs checked"))
        for i in range(100)
    ]
    worker = [
        (ago(598 - i * 9), f"[2026-05-01T12:00:00.000+0000] {{taskinstance.py:1234}} INFO - Running task extract_{i}")
        for i in range(60)
    ]
    crash = [(ago(900), airflow3_line(ago(900), "ERROR", "Scheduler heartbeat lost"))]
    pod = add_pod(kube, deployment, "scheduler", "7d9f8b6c5-x2x9q", scheduler, restart_count=1, previous_lines=crash)
    add_pod(kube, deployment, "worker", "5c6d7-k8m2p", worker, queue="default")
    add_pod(kube, deployment, "triggerer", "6f5e4-abcde", state="waiting", reason="ContainerCreating")
    return pod


def test_live_tail_shows_new_lines_while_live_is_on_and_stops_when_off(page, live_server, tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url, name="eu-prod")
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    services.queue_create(actor=tenancy.owner, deployment=deployment, name="ml")
    pod = history(deployment, kube)
    browser_login(page, live_server, tenancy.member)

    page.goto(f"/orgs/{tenancy.org.slug}/deployments/{deployment.pk}/")
    page.locator("#deployment-tabs").get_by_role("link", name="Logs").click()
    lines = page.locator("#log-lines .log-line")
    expect(lines).to_have_count(160)
    expect(page.get_by_text("container triggerer is still starting (ContainerCreating)")).to_be_visible()
    expect(page.locator("[data-notice=restarted]")).to_contain_text("restarted 1 time")
    scroller = page.locator("#log-scroll")
    assert scroller.evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight") < 8  # pinned to the newest
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "logs-tab.png"), full_page=True)

    # Live is on: a line the scheduler writes now appears without a reload, and the view follows it.
    kube.append_log(deployment.namespace, pod, "scheduler", airflow3_line(ago(0), "ERROR", "Task extract_61 failed"))
    expect(lines.last).to_contain_text("Task extract_61 failed", timeout=6000)
    expect(lines).to_have_count(161)
    page.wait_for_timeout(300)
    assert scroller.evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight") < 8

    # Live off: nothing arrives, however long we wait; back on, it catches up from where it was.
    page.locator("label").filter(has_text="Live").click()
    expect(page.locator("#log-live")).not_to_be_checked()
    kube.append_log(deployment.namespace, pod, "scheduler", airflow3_line(ago(0), "INFO", "Written while paused"))
    requests_before = len(kube.log_requests)
    page.wait_for_timeout(4500)
    expect(lines).to_have_count(161)
    assert len(kube.log_requests) == requests_before  # no polls at all while Live is off
    page.locator("label").filter(has_text="Live").click()
    expect(lines.last).to_contain_text("Written while paused", timeout=6000)

    # Scrolled up: new lines arrive but the view stays where the person is, with a way down.
    scroller.evaluate("el => { el.scrollTop = 0; }")
    kube.append_log(deployment.namespace, pod, "scheduler", airflow3_line(ago(0), "INFO", "While reading old lines"))
    expect(lines.last).to_contain_text("While reading old lines", timeout=6000)
    assert scroller.evaluate("el => el.scrollTop") == 0
    expect(page.locator("#log-jump")).to_be_visible()
    page.locator("#log-jump").click()
    assert scroller.evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight") < 8

    # Filters combine and highlight; the tail keeps them.
    page.get_by_label("Level").select_option("ERROR")
    page.get_by_label("Search").fill("EXTRACT")
    expect(lines).to_have_count(1)
    expect(lines.first.locator("mark")).to_have_text("extract")
    page.screenshot(path=str(ARTIFACTS / "logs-filtered.png"), full_page=True)
    assert "level=ERROR" in page.url and "search=EXTRACT" in page.url

    # Leaving the tab stops the polling.
    page.locator("#deployment-tabs").get_by_role("link", name="Events").click()
    expect(page.get_by_role("heading", name="Created").first).to_be_visible()
    left = len(kube.log_requests)
    time.sleep(4.5)
    assert len(kube.log_requests) == left


def test_previous_instance_and_the_manifests_only_empty_state(page, live_server, tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url, name="eu-prod")
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    history(deployment, kube)
    paper = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Paper only")
    browser_login(page, live_server, tenancy.member)

    page.goto(f"/orgs/{tenancy.org.slug}/deployments/{deployment.pk}/logs/")
    page.get_by_test_id("show-previous").click()
    expect(page.locator("#log-lines .log-line")).to_have_count(1)
    expect(page.locator("#log-lines")).to_contain_text("Scheduler heartbeat lost")
    page.screenshot(path=str(ARTIFACTS / "logs-previous.png"), full_page=True)

    page.goto(f"/orgs/{tenancy.org.slug}/deployments/{paper.pk}/logs/")
    expect(page.get_by_test_id("logs-empty")).to_contain_text("built-in manifests-only cluster")
    page.screenshot(path=str(ARTIFACTS / "logs-manifests-only.png"), full_page=True)
