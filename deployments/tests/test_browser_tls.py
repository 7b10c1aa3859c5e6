"""The TLS setting in a real browser (issue 10): the Deployment page's plain-HTTP notice, and the cluster form's
HTTPS section showing the fields of the mode chosen, until the notice is gone."""

import pytest
from playwright.sync_api import expect

from accounts.tests.page_helpers import browser_login
from deployments.models import Cluster
from deployments.tests.certificates import make_certificate
from deployments.tests.factories import make_cluster, make_deployment
from deployments.tests.test_browser import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plain_http_notice_leads_the_owner_to_set_up_https(page, live_server, tenancy):
    cluster = make_cluster(organization=tenancy.org, name="eu-prod", ingress_base_domain="airflow.acme.test")
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    browser_login(page, live_server, tenancy.owner)
    page.goto(f"/orgs/{tenancy.org.slug}/deployments/{deployment.pk}/")
    notice = page.get_by_test_id("plain-http-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Airflow is served over plain HTTP")
    expect(notice).to_contain_text("sign-in cookies are not secure")
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "deployment-plain-http-notice.png"), full_page=True)

    notice.get_by_role("link", name="Set up HTTPS for eu-prod").click()
    section = page.locator("#tls-settings")
    expect(section.get_by_text("Without HTTPS, Airflow is served over plain HTTP")).to_be_visible()
    expect(section.get_by_label("cert-manager ClusterIssuer", exact=True)).to_be_hidden()
    section.locator("label.form-selectgroup-item", has_text="Wildcard certificate").click()
    expect(section.get_by_label("Private key")).to_be_visible()
    expect(section.get_by_text("Without HTTPS")).to_be_hidden()
    certificate, key = make_certificate("*.example.org")  # the wrong domain: refused next to the field
    section.get_by_label("Wildcard certificate", exact=True).fill(certificate)
    section.get_by_label("Private key").fill(key)
    page.get_by_role("button", name="Save cluster").click()
    expect(section.get_by_text("the certificate must be for *.airflow.acme.test")).to_be_visible()
    section.screenshot(path=str(ARTIFACTS / "cluster-https-certificate-error.png"))

    section.locator("label.form-selectgroup-item", has_text="cert-manager ClusterIssuer").click()
    section.get_by_label("cert-manager ClusterIssuer", exact=True).fill("letsencrypt-prod")
    section.screenshot(path=str(ARTIFACTS / "cluster-https-cert-manager.png"))
    page.get_by_role("button", name="Save cluster").click()
    expect(page.get_by_text("Cluster “eu-prod” saved.")).to_be_visible()
    expect(page.get_by_test_id("cluster-tls")).to_contain_text("cert-manager letsencrypt-prod")
    page.screenshot(path=str(ARTIFACTS / "cluster-list-https.png"), full_page=True)
    assert Cluster.objects.get(pk=cluster.pk).tls_cluster_issuer == "letsencrypt-prod"

    page.goto(f"/orgs/{tenancy.org.slug}/deployments/{deployment.pk}/")
    expect(page.get_by_test_id("plain-http-notice")).to_have_count(0)
    expect(page.get_by_test_id("airflow-ui")).to_contain_text("Available once the Deployment is healthy")
