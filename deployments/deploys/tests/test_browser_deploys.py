"""The Deploys tab in Chromium: the history with each deploy's diff, and a rollback from the page whose confirm
dialog shows that diff and says environment variables and resources stay as they are."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.page_helpers import browser_login
from deployments.deploys import services
from deployments.deploys.tests.conftest import archive, upload
from deployments.models import Deploy
from deployments.tests.factories import make_deployment

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_history_shows_diffs_and_a_rollback_confirms_with_the_diff(page, live_server, tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    v1 = {"dags/etl.py": b"# etl v1\n" * 40, "dags/report.py": b"# report\n" * 100, "dags/util/common.py": b"X=1\n"}
    v2 = {"dags/etl.py": b"# etl v2\n" * 55, "dags/util/common.py": b"X=1\n", "dags/ml/train.py": b"# train\n" * 80}
    first = services.deploy_create(
        actor=tenancy.owner, deployment=deployment, dags=upload(archive(v1)), description="Nightly ETL and reports"
    )
    services.deploy_create(
        actor=tenancy.owner, deployment=deployment, dags=upload(archive(v2)), description="Add the training DAG"
    )

    browser_login(page, live_server, tenancy.owner)
    page.goto(f"/orgs/{tenancy.org.slug}/deployments/{deployment.pk}/")
    page.get_by_role("link", name="Deploys").click()

    latest = page.locator(".deploy-item").first
    expect(latest).to_contain_text("Add the training DAG")
    expect(latest).to_contain_text("Current")
    latest.locator("summary").click()
    expect(latest.locator("tr[data-change=added]")).to_contain_text("dags/ml/train.py")
    expect(latest.locator("tr[data-change=removed]")).to_contain_text("dags/report.py")
    expect(latest.locator("tr[data-change=changed]")).to_contain_text("dags/etl.py")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "deploys-tab.png"), full_page=True)

    page.locator(f"#deploy-{first.pk}").get_by_role("button", name="Roll back").click()
    dialog = page.locator(f"#rollback-{first.pk}")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Environment variables and resources stay as they are.")
    expect(dialog.locator("tr[data-change=added]")).to_have_count(1)
    expect(dialog.locator("tr[data-change=added]")).to_contain_text("dags/report.py")
    expect(dialog.locator("tr[data-change=removed]")).to_contain_text("dags/ml/train.py")
    expect(dialog.locator("tr[data-change=changed]")).to_contain_text("dags/etl.py")
    page.screenshot(path=str(ARTIFACTS / "deploys-rollback-dialog.png"), full_page=False)
    dialog.get_by_label("Description").fill("Training DAG broke the nightly run")
    dialog.get_by_role("button", name="Roll back").click()

    expect(page.get_by_text(f"Rolling back to deploy #{first.pk}")).to_be_visible()
    newest = page.locator(".deploy-item").first
    expect(newest).to_contain_text(f"Rollback to #{first.pk}")
    expect(newest).to_contain_text("Training DAG broke the nightly run")
    rollback = Deploy.objects.get(rolled_back_from=first)
    assert rollback.status == Deploy.Status.DEPLOYED and rollback.result_bundle_id == first.result_bundle_id


def test_a_member_sees_the_history_without_rollback(page, live_server, tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    services.deploy_create(actor=tenancy.owner, deployment=deployment, dags=upload(archive({"a.py": b"1"})))
    services.deploy_create(actor=tenancy.owner, deployment=deployment, dags=upload(archive({"a.py": b"2"})))
    browser_login(page, live_server, tenancy.member)
    page.goto(f"/orgs/{tenancy.org.slug}/deployments/{deployment.pk}/deploys/")
    expect(page.locator(".deploy-item")).to_have_count(2)
    expect(page.get_by_role("button", name="Roll back")).to_have_count(0)
