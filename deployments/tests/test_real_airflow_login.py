"""Logging in to a real Airflow 3.1 through Aerodrome, in Chromium: the `real_airflow` fixture runs the api-server
with the rendered webserver_config.py and the rendered OAuth client secret, its issuer Aerodrome's live server.

The browser opens the Deployment's Airflow at its real address (https://<release>.<domain>), which Chromium resolves
to a stand-in Ingress (tls_ingress.py: TLS, then the local api-server with the X-Forwarded-* headers an ingress
controller adds). The Deployment in Aerodrome's database is given the fixture's release name and OAuth client
(id and secret), since the api-server started once for the run with those: the only substitution made."""

from urllib.parse import urlsplit

import psycopg
import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import AuditEvent
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import PASSWORD, BindingFactory, MembershipFactory, UserFactory
from deployments import airflow_login
from deployments.models import Deployment
from deployments.tests.factories import make_cluster, make_deployment
from deployments.tests.real_airflow import ADMIN_URL
from deployments.tests.test_browser import ARTIFACTS
from deployments.tests.tls_ingress import TlsIngress
from workspaces import services as workspace_services
from workspaces.models import WorkspaceRoleBinding

pytestmark = [pytest.mark.real_airflow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def airflow_deployment(real_airflow, tenancy):
    """The real Airflow's Deployment in Aerodrome: healthy, with the fixture's release name and OAuth client."""
    spec = real_airflow.spec
    cluster = make_cluster(
        organization=tenancy.org,
        name="real",
        ingress_base_domain=spec.ingress_domain,
        tls_mode=spec.tls.mode,
        tls_cluster_issuer=spec.tls.cluster_issuer,
    )
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Real", cluster=cluster)
    Deployment.objects.filter(pk=deployment.pk).update(
        release_name=spec.release_name, first_healthy_at=timezone.now(), status=Deployment.Status.HEALTHY
    )
    deployment.refresh_from_db()
    client = deployment.oauth_client
    client.client_id, client.client_secret = spec.oauth_client_id, spec.secrets.oauth_client_secret
    client.redirect_uris = airflow_login.redirect_uri(deployment)
    client.save()
    assert client.redirect_uris == f"https://{spec.ui_host}/auth/oauth-authorized/aerodrome"
    return deployment


@pytest.fixture(scope="module")
def airflow_browser(browser, real_airflow):
    """Chromium that resolves the Deployment's Airflow host to a stand-in Ingress in front of the api-server."""
    ingress = TlsIngress(real_airflow.spec.ui_host, real_airflow.api.port).start()
    chromium = browser.browser_type.launch(
        executable_path="/usr/bin/chromium",
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--host-resolver-rules={ingress.resolver_rule}",
        ],
    )
    yield chromium
    chromium.close()
    ingress.stop()


@pytest.fixture
def new_context(airflow_browser, live_server):
    """A fresh browser profile (no cookies), trusting the stand-in Ingress's self-signed certificate."""
    contexts = []

    def make():
        context = airflow_browser.new_context(
            base_url=live_server.url, viewport={"width": 1366, "height": 900}, ignore_https_errors=True
        )
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def _sign_in(context, user):
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_label("Password")).to_have_count(0)
    return page


def _open_airflow(page, deployment):
    """Click "Open Airflow" on the Deployment's page; the Airflow tab it opens, once it has settled."""
    page.goto(reverse("deployment_overview", args=[deployment.workspace.organization.slug, deployment.pk]))
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Open Airflow").click()
    airflow = opened.value
    airflow.wait_for_load_state("networkidle")
    return airflow


def _airflow_roles(real_airflow, user) -> list[str]:
    """The roles of the person's user in Airflow's own database."""
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{real_airflow.spec.database.name}"
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT r.name FROM ab_user u JOIN ab_user_role ur ON ur.user_id = u.id "
            "JOIN ab_role r ON r.id = ur.role_id WHERE u.username = %s ORDER BY r.name",
            [f"aerodrome-{user.pk}"],
        ).fetchall()
    return [name for (name,) in rows]


def _in_airflow_ui(airflow, real_airflow):
    expect(airflow).to_have_url(f"https://{real_airflow.spec.ui_host}/", timeout=30_000)
    expect(airflow.get_by_role("link", name="Dags").first).to_be_visible(timeout=30_000)


def test_an_operator_opens_airflow_from_aerodrome_and_lands_in_it_as_op(
    real_airflow, airflow_deployment, tenancy, new_context
):
    operator = UserFactory(email="opal@acme.test", full_name="Opal Operator")
    MembershipFactory(organization=tenancy.org, user=operator, role=OrgRole.MEMBER)
    BindingFactory(workspace=tenancy.workspace, user=operator, role=WorkspaceRole.OPERATOR)

    airflow = _open_airflow(_sign_in(new_context(), operator), airflow_deployment)
    _in_airflow_ui(airflow, real_airflow)  # no Airflow login form, no second password
    ARTIFACTS.mkdir(exist_ok=True)
    airflow.screenshot(path=str(ARTIFACTS / "airflow-after-aerodrome-login.png"))
    assert "Op" in _airflow_roles(real_airflow, operator)
    assert not {"Admin", "Viewer", "User"} & set(_airflow_roles(real_airflow, operator))
    login = AuditEvent.objects.get(action="airflow.login", actor=operator)
    assert login.target_id == str(airflow_deployment.pk) and login.changes == {"role": "Op"}


def test_a_member_lands_as_viewer_and_once_removed_is_refused_at_the_next_login(
    real_airflow, airflow_deployment, tenancy, new_context
):
    context = new_context()
    aerodrome = _sign_in(context, tenancy.member)
    airflow = _open_airflow(aerodrome, airflow_deployment)
    _in_airflow_ui(airflow, real_airflow)
    assert "Viewer" in _airflow_roles(real_airflow, tenancy.member)
    assert not {"Admin", "Op", "User"} & set(_airflow_roles(real_airflow, tenancy.member))

    binding = WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, user=tenancy.member)
    workspace_services.workspace_binding_remove(actor=tenancy.owner, binding=binding)
    # Their Airflow session ends (it lasts an hour at most), and they log in again from Aerodrome's page: still
    # signed in to Aerodrome, they are refused with a page saying why, and Airflow gets nothing.
    Deployment.objects.filter(pk=airflow_deployment.pk).update(status=Deployment.Status.HEALTHY)
    context.clear_cookies(domain=real_airflow.spec.ui_host)
    refused = airflow.context.new_page()
    response = refused.goto(airflow_deployment.ui_login_url)
    expect(refused.get_by_test_id("airflow-login-refused")).to_be_visible()
    expect(refused.get_by_text("Your account has no access to the workspace “Analytics”")).to_be_visible()
    assert urlsplit(refused.url).netloc != real_airflow.spec.ui_host and response is not None
    assert AuditEvent.objects.filter(action="airflow.login_refused", actor=tenancy.member).count() == 1


def test_an_outsider_is_refused_with_a_readable_page(real_airflow, airflow_deployment, tenancy, new_context):
    page = _sign_in(new_context(), tenancy.outsider)
    response = page.goto(airflow_deployment.ui_login_url)
    expect(page.get_by_test_id("airflow-login-refused")).to_be_visible()
    expect(page.get_by_text("You cannot open this Airflow")).to_be_visible()
    assert response.status == 403
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "airflow-login-refused.png"))
    assert _airflow_roles(real_airflow, tenancy.outsider) == []  # Airflow never heard of them
    assert AuditEvent.objects.filter(action="airflow.login_refused", actor=tenancy.outsider).count() == 1


def _post_json(url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict | str]:
    import json
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def test_ci_exchanges_a_deployment_token_for_an_airflow_token_with_no_more_than_its_role(
    real_airflow, airflow_deployment, tenancy, live_server
):
    from accounts.tokens.services import token_create

    api = real_airflow.api
    exchange = f"{live_server.url}/api/v1/deployments/{airflow_deployment.pk}/airflow-token/"

    def airflow_jwt(role: str) -> str:
        _, secret = token_create(
            actor=tenancy.owner, deployment=airflow_deployment, role=role, name=f"ci-{role.lower()}"
        )
        status, issued = _post_json(exchange, token=secret)
        assert status == 200, issued
        assert issued["username"] == "aerodrome-token" and issued["expires_in"] == 300
        status, answer = _post_json(
            f"{api.url}/auth/token", {"username": issued["username"], "password": issued["access_token"]}
        )
        assert status == 201, answer
        return answer["access_token"]

    viewer = airflow_jwt(WorkspaceRole.MEMBER)
    assert api.request("GET", "/api/v2/dags", token=viewer)[0] == 200
    assert api.request("GET", "/api/v2/pools", token=viewer)[0] == 200
    assert api.request("POST", "/api/v2/pools", token=viewer, body={"name": "ci", "slots": 1})[0] == 403

    operator = airflow_jwt(WorkspaceRole.OPERATOR)
    assert api.request("POST", "/api/v2/pools", token=operator, body={"name": "ci", "slots": 1})[0] == 201
    assert AuditEvent.objects.filter(action="airflow.token_issue", target_id=str(airflow_deployment.pk)).count() == 2

    # Anything else is refused by Airflow's token endpoint: a made-up token, and a real one of another Deployment's
    # client (Airflow checks the client it was issued to).
    refused = _post_json(f"{api.url}/auth/token", {"username": "aerodrome-token", "password": "not-a-token"})
    assert refused[0] == 401
    other = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Other")
    _, secret = token_create(actor=tenancy.owner, deployment=other, role=WorkspaceRole.OWNER, name="other")
    status, issued = _post_json(f"{live_server.url}/api/v1/deployments/{other.pk}/airflow-token/", token=secret)
    assert status == 200
    refused = _post_json(f"{api.url}/auth/token", {"username": "aerodrome-token", "password": issued["access_token"]})
    assert refused[0] == 401
    # And a Deployment token cannot ask for another Deployment's exchange.
    assert _post_json(exchange, token=secret)[0] == 404
