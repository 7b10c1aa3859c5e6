"""Logging in to a Deployment's Airflow through Aerodrome, its OpenID Connect provider (django-oauth-toolkit).

Each Deployment has its own OAuth client (a confidential authorization-code client, consent-free), made with the
Deployment, rotated by the platform and removed with it. Its secret is stored hashed by the provider and encrypted
(aerodrome/crypto.py) in the Deployment's generated secrets, from which render puts it in the Deployment's Secret.
Its only redirect URI is the callback of the Deployment's Airflow URL.

People: the rendered webserver_config.py (deployments/kube/render/webserver_config.py) sends them to the authorize
endpoint. `authorize` decides there, at every login, with their effective workspace role: no role is a readable
refusal, any role is mapped to an Airflow role, delivered in the ID token's `airflow_roles` claim and re-applied by
Airflow at each login. Every login and refusal is audited.

Machines: `machine_token_issue` gives an Aerodrome API token that can see the Deployment a short-lived access token of
the Deployment's client carrying the token's own role (as the scope `airflow-role:<Role>`). Airflow's own token
endpoint (`POST /auth/token`, username `aerodrome-token`) takes it as the password, checks it with Aerodrome's
introspection endpoint under its client's credentials, and answers with an Airflow JWT for that role.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from accounts import audit
from accounts.permissions import deployment_role, is_token, require
from accounts.roles import WorkspaceRole
from deployments import catalog
from deployments.models import Deployment

PROVIDER = "aerodrome"  # the provider's name in webserver_config.py, part of the callback path
CALLBACK_PATHS = {3: f"/auth/oauth-authorized/{PROVIDER}", 2: f"/oauth-authorized/{PROVIDER}"}
LOGIN_PATHS = {3: f"/auth/login/{PROVIDER}", 2: f"/login/{PROVIDER}"}
# The workspace role -> the Airflow (FAB) role. Organisation owners are workspace owners everywhere.
AIRFLOW_ROLES = {
    WorkspaceRole.MEMBER: "Viewer",
    WorkspaceRole.AUTHOR: "User",
    WorkspaceRole.OPERATOR: "Op",
    WorkspaceRole.OWNER: "Admin",
}
ROLE_CLAIM = "airflow_roles"
MACHINE_USERNAME = "aerodrome-token"  # the username Airflow's token endpoint is given with an exchanged token
MACHINE_SCOPE_ROLE = "airflow-role:"
MACHINE_SCOPE_TOKEN = "aerodrome-token:"


class LoginRefused(Exception):
    """Someone may not log in to this Deployment's Airflow; `message` is for them."""

    def __init__(self, message: str, deployment: Deployment | None = None):
        super().__init__(message)
        self.message, self.deployment = message, deployment


def _ui_base(deployment: Deployment) -> str:
    """The Deployment's Airflow URL, as render publishes it: https with the cluster's TLS setting, else http (the
    Deployment page then says logins travel unencrypted)."""
    if deployment.ui_url:
        return deployment.ui_url
    return f"http://{deployment.release_name}.{settings.MANIFESTS_ONLY_INGRESS_DOMAIN}"  # manifests only: no TLS


def redirect_uri(deployment: Deployment) -> str:
    """Where Airflow receives the authorization code: its own callback under the Deployment's Airflow URL."""
    return _ui_base(deployment) + CALLBACK_PATHS[catalog.airflow_major(deployment.airflow_version)]


def open_url(deployment: Deployment) -> str | None:
    """What "Open Airflow" links to: Airflow's login through Aerodrome, which comes straight back signed in."""
    if deployment.ui_url is None:
        return None
    return deployment.ui_url + LOGIN_PATHS[catalog.airflow_major(deployment.airflow_version)]


def issuer() -> str:
    """The OpenID Connect issuer Airflow discovers (`<issuer>/.well-known/openid-configuration`)."""
    return settings.SITE_URL.rstrip("/") + "/o"


def airflow_role(actor, deployment: Deployment) -> str | None:
    """The Airflow role a person or API token gets on this Deployment's Airflow, None for no access."""
    role = deployment_role(actor, deployment)
    return AIRFLOW_ROLES.get(role) if role else None


def _new_secret() -> str:
    return secrets.token_urlsafe(48)


def oauth_client_create(deployment: Deployment) -> Application:
    """The Deployment's OAuth client, made with it (inside deployment_create's transaction)."""
    secret = _new_secret()
    client = Application.objects.create(
        name=f"Airflow {deployment.release_name}"[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri(deployment),
        skip_authorization=True,  # consent-free: Aerodrome's own Airflow, and the role decides
        algorithm=Application.RS256_ALGORITHM,
        client_secret=secret,  # hashed on save
        hash_client_secret=True,
    )
    deployment.oauth_client = client
    deployment.generated_secrets = {**deployment.generated_secrets, "oauth_client_secret": secret}
    deployment.save(update_fields=["oauth_client", "generated_secrets"])
    return client


def oauth_client_sync(deployment: Deployment) -> None:
    """Keeps the redirect URI on the callback of the Deployment's Airflow (its path differs between majors)."""
    client = deployment.oauth_client
    if client is not None and client.redirect_uris != redirect_uri(deployment):
        client.redirect_uris = redirect_uri(deployment)
        client.save(update_fields=["redirect_uris", "updated"])


def oauth_client_delete(deployment: Deployment) -> None:
    """Deleting the Deployment removes its client: no code or token of it is honoured any more."""
    if deployment.oauth_client_id is not None:
        Application.objects.filter(pk=deployment.oauth_client_id).delete()  # its grants and tokens with it
        Deployment.objects.filter(pk=deployment.pk).update(oauth_client=None)
        deployment.oauth_client = None


@transaction.atomic
def oauth_client_rotate(*, actor, deployment: Deployment) -> Deployment:
    """A new client secret (the platform's staff, or a schedule): stored, rendered, rolled out to the api-server."""
    from deployments import services  # services makes and removes clients with Deployments

    deployment = Deployment.objects.select_for_update().get(pk=deployment.pk)
    if deployment.is_deleted:
        raise ValidationError("A deleted Deployment has no Airflow login client to rotate.")
    if deployment.oauth_client is None:
        oauth_client_create(deployment)
    else:
        secret = _new_secret()
        client = deployment.oauth_client
        client.client_secret = secret
        client.save(update_fields=["client_secret", "updated"])
        deployment.generated_secrets = {**deployment.generated_secrets, "oauth_client_secret": secret}
        deployment.save(update_fields=["generated_secrets"])
    audit.record(
        actor=actor,
        action="deployment.oauth_client_rotate",
        target=deployment,
        organization=deployment.workspace.organization,
        changes={"client_secret": "replaced"},
    )
    services._bump(deployment, actor=actor, message="Rotated the Airflow login client's secret.", fields=[])
    return deployment


def deployment_for_client(client_id: str) -> Deployment | None:
    return (
        Deployment.objects.select_related("workspace__organization", "cluster")
        .filter(oauth_client__client_id=client_id, deleted_at__isnull=True)
        .first()
    )


def authorize(*, user, client_id: str) -> tuple[Deployment, str]:
    """Whether `user` may log in to the Airflow of the Deployment whose client asks, with which Airflow role.
    Decided at every login and audited either way; raises LoginRefused with a message for the person (after the
    refusal's audit entry is committed)."""
    deployment = deployment_for_client(client_id)
    if deployment is None:
        raise LoginRefused("This Airflow is not one of Aerodrome's Deployments any more.")
    role = airflow_role(user, deployment)
    organization = deployment.workspace.organization
    action, changes = ("airflow.login", {"role": role}) if role else ("airflow.login_refused", {})
    with transaction.atomic():
        audit.record(actor=user, action=action, target=deployment, organization=organization, changes=changes)
    if role is None:
        raise LoginRefused(
            f"Your account has no access to the workspace “{deployment.workspace.name}”, so it cannot open the "
            f"Airflow of “{deployment.name}”. Ask one of the workspace's owners to add you.",
            deployment,
        )
    return deployment, role


@transaction.atomic
def machine_token_issue(*, actor, deployment: Deployment) -> dict:
    """A short-lived access token of the Deployment's client for an API token that can see the Deployment, with
    the API token's own role on it, to exchange at Airflow's `/auth/token` for an Airflow JWT."""
    require(actor, "deployment.view", deployment)
    role = airflow_role(actor, deployment)
    if deployment.oauth_client is None or role is None:  # role: `require` passed, so only a missing client
        raise ValidationError("This Deployment has no Airflow login client yet; it gets one at its next change.")
    token_name = actor.prefix if is_token(actor) else f"user-{actor.pk}"
    value = secrets.token_urlsafe(40)
    lifetime = settings.AIRFLOW_LOGIN_TOKEN_SECONDS
    AccessToken.objects.create(
        user=None,  # the role is the API token's, not its creator's
        application=deployment.oauth_client,
        token=value,
        expires=timezone.now() + timedelta(seconds=lifetime),
        scope=f"{MACHINE_SCOPE_ROLE}{role} {MACHINE_SCOPE_TOKEN}{token_name}",
    )
    audit.record(
        actor=actor,
        action="airflow.token_issue",
        target=deployment,
        organization=deployment.workspace.organization,
        changes={"role": role},
    )
    return {"access_token": value, "expires_in": lifetime, "airflow_role": role, "username": MACHINE_USERNAME}


def clear_expired() -> None:
    """The provider's own housekeeping: expired grants, access and ID tokens (hourly, from Celery beat)."""
    from oauth2_provider.models import clear_expired as provider_clear_expired

    provider_clear_expired()
