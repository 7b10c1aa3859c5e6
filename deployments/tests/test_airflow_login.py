"""Logging in to a Deployment's Airflow through Aerodrome's OpenID Connect provider: each Deployment's own OAuth
client, the consent-free authorize page that refuses people without access, the role claim Airflow maps (evaluated
at every login), and the token exchange for machines. The real Airflow side is test_real_airflow_login.py."""

import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection
from jwcrypto import jwk, jwt
from oauth2_provider.models import AccessToken, Application

from accounts.models import AuditEvent
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import BindingFactory, MembershipFactory, UserFactory
from accounts.tokens.services import token_create
from deployments import airflow_login, catalog, selectors, services
from deployments.kube import reconcile, render
from deployments.models import Cluster, Deployment
from deployments.tests.factories import make_cluster, make_deployment
from deployments.tests.test_render import find
from workspaces import services as workspace_services
from workspaces.models import WorkspaceRoleBinding


def tls_cluster(tenancy):
    return make_cluster(
        organization=tenancy.org,
        ingress_base_domain="airflow.acme.test",
        tls_mode=catalog.TLSMode.CLUSTER_ISSUER,
        tls_cluster_issuer="letsencrypt",
    )


@pytest.fixture
def deployment(tenancy):
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=tls_cluster(tenancy))


def with_role(tenancy, role, org_role=OrgRole.MEMBER):
    user = UserFactory()
    MembershipFactory(organization=tenancy.org, user=user, role=org_role)
    if role:
        BindingFactory(workspace=tenancy.workspace, user=user, role=role)
    return user


def authorize(client, deployment, verifier="v" * 64):
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": deployment.oauth_client.client_id,
        "redirect_uri": airflow_login.redirect_uri(deployment),
        "scope": "openid email profile",
        "state": "s1",
        "nonce": "n1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return client.get("/o/authorize/?" + urlencode(query))


def login_claims(client, deployment, user) -> dict:
    """What Airflow learns from one login: the ID token's claims, its signature checked with the published JWKS."""
    client.force_login(user)
    response = authorize(client, deployment)
    assert response.status_code == 302, response.content.decode()[:500]
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == airflow_login.redirect_uri(deployment)
    code = parse_qs(location.query)["code"][0]
    client.logout()  # Airflow redeems the code server to server
    secret = Deployment.objects.get(pk=deployment.pk).generated_secrets["oauth_client_secret"]
    basic = base64.b64encode(f"{deployment.oauth_client.client_id}:{secret}".encode()).decode()
    token = client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": airflow_login.redirect_uri(deployment),
            "code_verifier": "v" * 64,
        },
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert token.status_code == 200, token.content
    keys = jwk.JWKSet.from_json(client.get("/o/.well-known/jwks.json").content)
    id_token = jwt.JWT(jwt=token.json()["id_token"], key=keys, algs=["RS256"])
    return json.loads(id_token.claims)


# ------------------------------------------------------------------------------------------ the OAuth client


def test_each_deployment_gets_its_own_consent_free_confidential_client_for_its_airflow_callback(deployment):
    client = deployment.oauth_client
    assert client.client_type == Application.CLIENT_CONFIDENTIAL
    assert client.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
    assert client.skip_authorization and client.algorithm == Application.RS256_ALGORITHM
    assert (
        client.redirect_uris == f"https://{deployment.release_name}.airflow.acme.test/auth/oauth-authorized/aerodrome"
    )
    secret = deployment.generated_secrets["oauth_client_secret"]
    assert check_password(secret, client.client_secret) and secret not in client.client_secret  # hashed there
    with connection.cursor() as cursor:  # encrypted at rest with the platform's keys
        cursor.execute("SELECT generated_secrets FROM deployments_deployment WHERE id = %s", [deployment.pk])
        assert secret not in cursor.fetchone()[0]
    objects = render.render(selectors.deployment_spec(deployment))
    rendered = find(objects, "Secret", f"{deployment.release_name}-oauth-client")["data"]["client-secret"]
    assert base64.b64decode(rendered).decode() == secret
    config = find(objects, "ConfigMap", f"{deployment.release_name}-config")["data"]["webserver_config.py"]
    assert repr(client.client_id) in config and "'http://testserver/o'" in config
    other = make_deployment(actor=deployment.created_by, workspace=deployment.workspace, name="Other")
    assert other.oauth_client_id != deployment.oauth_client_id


def test_deleting_a_deployment_removes_its_client(tenancy, deployment):
    client_id = deployment.oauth_client.client_id
    services.deployment_delete(actor=tenancy.owner, deployment=deployment, confirm_name=deployment.name)
    assert not Application.objects.filter(client_id=client_id).exists()
    assert Deployment.objects.get(pk=deployment.pk).oauth_client is None


def test_rotating_the_client_secret_renders_the_new_one_rolls_the_api_server_and_is_audited(tenancy, deployment):
    staff = UserFactory(is_staff=True)
    before = Deployment.objects.get(pk=deployment.pk)
    old = before.generated_secrets["oauth_client_secret"]
    old_objects = render.render(selectors.deployment_spec(before))
    airflow_login.oauth_client_rotate(actor=staff, deployment=deployment)
    after = Deployment.objects.get(pk=deployment.pk)
    new = after.generated_secrets["oauth_client_secret"]
    assert new != old and after.generation == before.generation + 1
    assert check_password(new, after.oauth_client.client_secret) and not check_password(
        old, after.oauth_client.client_secret
    )
    entry = AuditEvent.objects.get(action="deployment.oauth_client_rotate")
    assert entry.changes == {"client_secret": "replaced"} and new not in json.dumps(entry.changes)

    def hashes(objects):
        return {
            o["metadata"]["name"]: o["spec"]["template"]["metadata"]["annotations"][render.ANNOTATION_CONFIG_HASH]
            for o in objects
            if o["kind"] == "Deployment" and "airflow" in o["metadata"]["labels"].get("app.kubernetes.io/name", "")
        }

    old_hashes, new_hashes = hashes(old_objects), hashes(render.render(selectors.deployment_spec(after)))
    changed = {name for name in old_hashes if old_hashes[name] != new_hashes[name]}
    assert changed == {f"{deployment.release_name}-api-server"}  # only the pod that reads the secret rolls


def test_the_redirect_uri_follows_the_deployments_url_when_its_cluster_gets_tls(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url, ingress_base_domain="airflow.acme.test")
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    base = f"{deployment.release_name}.airflow.acme.test/auth/oauth-authorized/aerodrome"
    assert deployment.oauth_client.redirect_uris == f"http://{base}"  # no TLS: the page says so
    Cluster.objects.filter(pk=cluster.pk).update(tls_mode=catalog.TLSMode.CLUSTER_ISSUER, tls_cluster_issuer="le")
    reconcile.run(deployment.pk)
    assert Deployment.objects.get(pk=deployment.pk).oauth_client.redirect_uris == f"https://{base}"


def test_an_airflow_2_deployment_uses_the_webserver_callback_and_login(tenancy):
    cluster = tls_cluster(tenancy)
    deployment = make_deployment(
        actor=tenancy.owner, workspace=tenancy.workspace, airflow_version="2.11.0", image_tag="2.11.0", cluster=cluster
    )
    base = f"https://{deployment.release_name}.airflow.acme.test"
    assert deployment.oauth_client.redirect_uris == f"{base}/oauth-authorized/aerodrome"
    assert deployment.ui_login_url == f"{base}/login/aerodrome"


# --------------------------------------------------------------------------------------------------- logins


@pytest.mark.parametrize(
    ("role", "org_role", "airflow_role"),
    [
        (WorkspaceRole.MEMBER, OrgRole.MEMBER, "Viewer"),
        (WorkspaceRole.AUTHOR, OrgRole.MEMBER, "User"),
        (WorkspaceRole.OPERATOR, OrgRole.MEMBER, "Op"),
        (WorkspaceRole.OWNER, OrgRole.MEMBER, "Admin"),
        (None, OrgRole.OWNER, "Admin"),  # organisation owners own every workspace
    ],
)
def test_the_id_token_carries_the_airflow_role_of_the_workspace_role(
    client, tenancy, deployment, role, org_role, airflow_role
):
    user = with_role(tenancy, role, org_role)
    claims = login_claims(client, deployment, user)
    assert claims["airflow_roles"] == [airflow_role]
    assert claims["aud"] == deployment.oauth_client.client_id and claims["nonce"] == "n1"
    assert claims["sub"] == str(user.pk) and claims["email"] == user.email
    assert AuditEvent.objects.get(action="airflow.login", actor=user).changes == {"role": airflow_role}


def test_the_role_is_evaluated_again_at_every_login(client, tenancy, deployment):
    user = with_role(tenancy, WorkspaceRole.MEMBER)
    assert login_claims(client, deployment, user)["airflow_roles"] == ["Viewer"]
    binding = WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, user=user)
    workspace_services.workspace_binding_change_role(actor=tenancy.owner, binding=binding, role=WorkspaceRole.OPERATOR)
    assert login_claims(client, deployment, user)["airflow_roles"] == ["Op"]


def test_people_without_access_are_refused_with_a_readable_page_and_airflow_gets_no_code(client, tenancy, deployment):
    client.force_login(tenancy.outsider)
    response = authorize(client, deployment)
    assert response.status_code == 403
    html = response.content.decode()
    assert "You cannot open this Airflow" in html and "no access to the workspace “Analytics”" in html
    assert "code=" not in html
    entry = AuditEvent.objects.get(action="airflow.login_refused")
    assert entry.actor == tenancy.outsider and entry.target_id == str(deployment.pk)

    # A member removed from the workspace: the same at their next login.
    binding = WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, user=tenancy.member)
    workspace_services.workspace_binding_remove(actor=tenancy.owner, binding=binding)
    client.force_login(tenancy.member)
    assert authorize(client, deployment).status_code == 403


def test_signed_out_people_sign_in_to_aerodrome_first(client, deployment):
    response = authorize(client, deployment)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/o/authorize/")


def test_the_provider_publishes_rs256_discovery_and_no_client_management_pages(client, deployment):
    discovery = client.get("/o/.well-known/openid-configuration").json()
    assert discovery["issuer"] == "http://testserver/o"
    assert "RS256" in discovery["id_token_signing_alg_values_supported"]
    assert client.get("/o/.well-known/jwks.json").json()["keys"][0]["kty"] == "RSA"
    assert client.get("/o/applications/").status_code == 404


# ------------------------------------------------------------------------------------------------- machines


def exchange(client, deployment, secret):
    return client.post(f"/api/v1/deployments/{deployment.pk}/airflow-token/", HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_a_deployment_token_gets_a_short_lived_airflow_login_token_with_its_own_role(client, tenancy, deployment):
    token, secret = token_create(actor=tenancy.owner, deployment=deployment, role=WorkspaceRole.AUTHOR, name="ci")
    response = exchange(client, deployment, secret)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["airflow_role"] == "User" and body["expires_in"] == 300 and body["username"] == "aerodrome-token"
    issued = AccessToken.objects.get(application=deployment.oauth_client)
    assert issued.user is None and issued.scope == f"airflow-role:User aerodrome-token:{token.prefix}"

    # What Airflow's token endpoint asks Aerodrome, with its client's credentials.
    client_secret = Deployment.objects.get(pk=deployment.pk).generated_secrets["oauth_client_secret"]
    basic = base64.b64encode(f"{deployment.oauth_client.client_id}:{client_secret}".encode()).decode()
    info = client.post("/o/introspect/", {"token": body["access_token"]}, HTTP_AUTHORIZATION=f"Basic {basic}").json()
    assert info["active"] and info["client_id"] == deployment.oauth_client.client_id
    wrong = base64.b64encode(f"{deployment.oauth_client.client_id}:{secrets.token_hex(8)}".encode()).decode()
    assert client.post(
        "/o/introspect/", {"token": body["access_token"]}, HTTP_AUTHORIZATION=f"Basic {wrong}"
    ).status_code in (401, 403)
    assert AuditEvent.objects.filter(action="airflow.token_issue").count() == 1


def test_another_deployments_or_organisations_token_cannot_exchange(client, tenancy, deployment):
    other = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Other")
    _, secret = token_create(actor=tenancy.owner, deployment=other, role=WorkspaceRole.OWNER, name="other")
    assert exchange(client, deployment, secret).status_code == 404
    outsider_org_token = token_create(
        actor=tenancy.outsider, organization=tenancy.other_org, role=OrgRole.OWNER, name="globex"
    )[1]
    assert exchange(client, deployment, outsider_org_token).status_code == 404
    assert client.post(f"/api/v1/deployments/{deployment.pk}/airflow-token/").status_code == 401
    assert not AccessToken.objects.exists()


def test_expired_exchange_tokens_are_cleared_by_the_hourly_task(client, tenancy, deployment):
    from datetime import timedelta

    from django.utils import timezone

    from deployments import tasks

    _, secret = token_create(actor=tenancy.owner, deployment=deployment, role=WorkspaceRole.MEMBER, name="ci")
    assert exchange(client, deployment, secret).status_code == 200
    assert exchange(client, deployment, secret).status_code == 200
    first = AccessToken.objects.order_by("pk").first()
    AccessToken.objects.filter(pk=first.pk).update(expires=timezone.now() - timedelta(hours=1))
    tasks.clear_expired_airflow_tokens()
    assert (
        list(AccessToken.objects.values_list("pk", flat=True)) != []
        and not AccessToken.objects.filter(pk=first.pk).exists()
    )
