"""The heart of the product in a real browser: create a Deployment on a (fake) cluster, watch it become Healthy
without reloading, scale a queue, and watch it roll out again. A real Celery worker does the provisioning."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.page_helpers import browser_login
from deployments.models import Deployment
from deployments.tests.factories import make_cluster, make_deployment

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.celery]


def test_create_a_deployment_scale_a_queue_and_see_it_healthy(page, live_server, tenancy, kube, celery_worker_queue):
    make_cluster(organization=tenancy.org, url=kube.url, name="kmock-eu")
    browser_login(page, live_server, tenancy.owner)

    page.goto(f"/orgs/{tenancy.org.slug}/workspaces/{tenancy.workspace.pk}/")
    page.get_by_role("link", name="New Deployment").first.click()
    form = page.locator("#create-deployment-form")
    form.get_by_label("Name").fill("Sales pipelines")
    form.get_by_label("Cluster").select_option(label="kmock-eu")
    form.get_by_role("button", name="Create Deployment").click()

    # The overview polls its status: Creating/Deploying, then Healthy, without a reload.
    badge = page.locator("#header-status .deployment-status")
    expect(badge).to_have_attribute("data-status", "HEALTHY", timeout=45_000)
    deployment = Deployment.objects.get(name="Sales pipelines")
    assert deployment.observed_generation == deployment.generation
    assert f"{deployment.release_name}-scheduler" in {o["metadata"]["name"] for o in kube.objects(kind="Deployment")}

    page.get_by_role("link", name="Resources").click()
    page.get_by_title("Edit queue default").click()
    page.get_by_label("Max", exact=True).fill("20")
    page.get_by_role("button", name="Save queue").click()
    expect(page.get_by_text("Worker queue “default” saved.")).to_be_visible()  # the page now shows generation 2
    expect(page.locator("#header-status .deployment-status")).to_have_attribute(
        "data-status", "HEALTHY", timeout=45_000
    )
    deployment.refresh_from_db()
    assert deployment.generation == 2 and deployment.observed_generation == 2
    assert deployment.queues.get().max_workers == 20
    hpa = [o for o in kube.objects(kind="HorizontalPodAutoscaler") if o["metadata"]["name"].endswith("worker-default")]
    assert hpa and hpa[0]["spec"]["maxReplicas"] == 20

    page.get_by_role("link", name="Events").click()
    expect(page.get_by_text("Scaled queue default: max workers 10 → 20.")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "deployment-events.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_the_settings_form_warns_while_typing_a_tag_unlike_the_version(page, live_server, tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    browser_login(page, live_server, tenancy.owner)

    page.goto(f"/orgs/{tenancy.org.slug}/deployments/{deployment.pk}/")
    form = page.locator("#deployment-settings-form")
    warnings = form.locator("#settings-warnings")
    form.get_by_label("Image tag").fill("2.10.5")
    expect(warnings).to_contain_text("The image tag “2.10.5” does not look like Airflow 3.1.3")
    ARTIFACTS.mkdir(exist_ok=True)
    form.screenshot(path=str(ARTIFACTS / "deployment-settings-tag-warning.png"))
    form.get_by_label("Image tag").fill("3.1.3-python3.12")
    expect(warnings).to_be_empty()
    form.get_by_label("Airflow version").select_option("2.11.0")
    expect(warnings).to_contain_text("Airflow cannot go back from 3.1.3 to 2.11.0")
    page.screenshot(path=str(ARTIFACTS / "deployment-settings-warnings.png"), full_page=True)
