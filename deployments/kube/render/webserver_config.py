"""Login to the Deployment's Airflow through Aerodrome: the `webserver_config.py` that FAB reads (Airflow 3's FAB auth
manager in the api-server, Airflow 2's webserver), in the `<release>-config` ConfigMap, and the OAuth client's
secret in a Secret of its own that only the api-server (webserver) reads.

FAB's AUTH_OAUTH with Aerodrome as the one OpenID Connect provider (Authlib, which the official image ships): the
person's Airflow role arrives in the ID token's `airflow_roles` claim and FAB re-applies it at every login
(AUTH_ROLES_SYNC_AT_LOGIN). Airflow's own token endpoint also takes, as the password of the user `aerodrome-token`,
a short-lived token Aerodrome issued for this Deployment, checked at Aerodrome's introspection endpoint with the
client's credentials (deployments/airflow_login.py): machines get an Airflow JWT with their Aerodrome token's role.
"""

from deployments.kube.render.base import AIRFLOW_HOME, dns_name
from deployments.kube.spec import DeploymentSpec

FILE = "webserver_config.py"
MOUNT_PATH = f"{AIRFLOW_HOME}/{FILE}"  # where Airflow 3's [fab] and Airflow 2's [webserver] config_file point
CLIENT_SECRET = ("oauth-client", "client-secret", "AERODROME_OAUTH_CLIENT_SECRET")
# How long a login lasts in Airflow (its UI token and FAB's session) before it goes back through Aerodrome, which
# decides again: the longest a removed person keeps using an Airflow UI they had open.
SESSION_MINUTES = 60

_TEMPLATE = '''\
# Written by Aerodrome for this Deployment: people log in through Aerodrome (OpenID Connect), which decides at every
# login whether they may and with which role. Changes here are overwritten by the next reconcile.
import os

import requests
from flask_appbuilder.const import AUTH_OAUTH

from airflow.providers.fab.auth_manager.security_manager.override import FabAirflowSecurityManagerOverride

AERODROME_ISSUER = {issuer!r}
CLIENT_ID = {client_id!r}
CLIENT_SECRET = os.environ.get({secret_env!r}, "")
PROVIDER = "aerodrome"
ROLE_CLAIM = "airflow_roles"
MACHINE_USERNAME = "aerodrome-token"

WTF_CSRF_ENABLED = True
AUTH_TYPE = AUTH_OAUTH
AUTH_USER_REGISTRATION = True
AUTH_USER_REGISTRATION_ROLE = "Public"  # no permissions: what someone gets from anything but the role claim
AUTH_ROLES_SYNC_AT_LOGIN = True
AUTH_ROLES_MAPPING = {{"Viewer": ["Viewer"], "User": ["User"], "Op": ["Op"], "Admin": ["Admin"]}}
OAUTH_PROVIDERS = [
    {{
        "name": PROVIDER,
        "icon": "fa-plane",
        "token_key": "access_token",
        "remote_app": {{
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "server_metadata_url": AERODROME_ISSUER + "/.well-known/openid-configuration",
            "client_kwargs": {{"scope": "openid email profile", "code_challenge_method": "S256"}},
        }},
    }}
]


class AerodromeSecurityManager(FabAirflowSecurityManagerOverride):
    """People: who they are and their role come from the ID token Aerodrome signed (Authlib verified it).
    Machines: Airflow's token endpoint takes a token Aerodrome issued for this Deployment as the password of
    MACHINE_USERNAME and gives an Airflow JWT with the role Aerodrome put in it."""

    def get_oauth_user_info(self, provider, resp):
        if provider != PROVIDER:
            return super().get_oauth_user_info(provider, resp)
        claims = resp.get("userinfo") or {{}}
        return {{
            "username": "aerodrome-" + str(claims["sub"]),
            "email": claims.get("email", ""),
            "first_name": claims.get("given_name", ""),
            "last_name": claims.get("family_name", ""),
            "role_keys": list(claims.get(ROLE_CLAIM, [])),
        }}

    def auth_user_db(self, username, password, *args, **kwargs):
        if username != MACHINE_USERNAME:
            return super().auth_user_db(username, password, *args, **kwargs)
        try:
            answer = requests.post(
                AERODROME_ISSUER + "/introspect/",
                data={{"token": password}},
                auth=(CLIENT_ID, CLIENT_SECRET),
                timeout=10,
            )
            info = answer.json() if answer.status_code == 200 else {{}}
        except (requests.RequestException, ValueError):
            return None
        if not info.get("active") or info.get("client_id") != CLIENT_ID:
            return None
        scopes = str(info.get("scope", "")).split()
        roles = [s.split(":", 1)[1] for s in scopes if s.startswith("airflow-role:")]
        names = [s.split(":", 1)[1] for s in scopes if s.startswith("aerodrome-token:")]
        if len(roles) != 1 or roles[0] not in AUTH_ROLES_MAPPING or len(names) != 1:
            return None
        role = self.find_role(roles[0])
        fab_username = MACHINE_USERNAME + "-" + names[0]
        user = self.find_user(username=fab_username)
        if user is None:
            user = self.add_user(
                username=fab_username,
                first_name="Aerodrome token",
                last_name=names[0],
                email=fab_username + "@tokens.aerodrome.invalid",
                role=role,
            )
        else:
            user.roles = [role]  # the role of this token, every time
            self.update_user(user)
        return user or None


SECURITY_MANAGER_CLASS = AerodromeSecurityManager
'''


def configured(spec: DeploymentSpec) -> bool:
    return bool(spec.oauth_client_id)


def source(spec: DeploymentSpec) -> str:
    return _TEMPLATE.format(issuer=spec.oidc_issuer, client_id=spec.oauth_client_id, secret_env=CLIENT_SECRET[2])


def client_secret_env(spec: DeploymentSpec) -> dict:
    """The UI container's variable holding the client secret (`<release>-oauth-client`)."""
    suffix, key, env = CLIENT_SECRET
    return {"name": env, "valueFrom": {"secretKeyRef": {"name": dns_name(spec.release_name, suffix), "key": key}}}


def mount() -> dict:
    return {"name": "config", "mountPath": MOUNT_PATH, "subPath": FILE, "readOnly": True}
