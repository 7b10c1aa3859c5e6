"""The Secrets every Airflow container reads (metadata connection, Fernet key, the api-server's or webserver's
secret key, the JWT secret, the Celery broker), Redis's password and the user's environment variables."""

from urllib.parse import quote

from deployments.kube.render import webserver_config
from deployments.kube.render.base import (
    PGBOUNCER,
    PGBOUNCER_PORT,
    REDIS,
    REDIS_PORT,
    b64,
    dns_name,
    is_v3,
    meta,
    ui_component,
)
from deployments.kube.spec import DeploymentSpec

# (secret name suffix, key, environment variable) for the secrets every Airflow container reads.
METADATA = ("airflow-metadata", "connection", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
FERNET = ("fernet-key", "fernet-key", "AIRFLOW__CORE__FERNET_KEY")
API_SECRET = ("api-secret-key", "api-secret-key", "AIRFLOW__API__SECRET_KEY")
WEBSERVER_SECRET = ("webserver-secret-key", "webserver-secret-key", "AIRFLOW__WEBSERVER__SECRET_KEY")
JWT = ("jwt-secret", "jwt-secret", "AIRFLOW__API_AUTH__JWT_SECRET")
BROKER = ("broker-url", "connection", "AIRFLOW__CELERY__BROKER_URL")
REDIS_PASSWORD = ("redis-password", "password", "REDIS_PASSWORD")


def airflow_secret_refs(spec: DeploymentSpec) -> list[tuple[str, str, str]]:
    refs = [METADATA, FERNET]
    refs += [API_SECRET, JWT] if is_v3(spec) else [WEBSERVER_SECRET]
    if spec.is_celery:
        refs.append(BROKER)
    return refs


def secret(spec: DeploymentSpec, name: str, data: dict[str, str], component: str | None = None) -> dict:
    # base64 `data` rather than `stringData`: what the cluster stores is then exactly what we apply, so
    # server-side apply sees no drift.
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta(spec, name, component),
        "type": "Opaque",
        "data": {key: b64(value) for key, value in data.items()},
    }


def _pgbouncer_host(spec: DeploymentSpec) -> str:
    return f"{dns_name(spec.release_name, PGBOUNCER)}.{spec.namespace}"


def _metadata_connection(spec: DeploymentSpec) -> str:
    db = spec.database
    user = quote(db.user, safe="")
    password = quote(spec.secrets.metadata_password, safe="")
    return f"postgresql://{user}:{password}@{_pgbouncer_host(spec)}:{PGBOUNCER_PORT}/{db.name}"


def _broker_url(spec: DeploymentSpec) -> str:
    password = quote(spec.secrets.redis_password, safe="")
    return f"redis://:{password}@{dns_name(spec.release_name, REDIS)}:{REDIS_PORT}/0"


def objects(spec: DeploymentSpec) -> list[dict]:
    release = spec.release_name
    values = {
        METADATA: _metadata_connection(spec),
        FERNET: spec.secrets.fernet_key,
        API_SECRET: spec.secrets.api_secret_key,
        WEBSERVER_SECRET: spec.secrets.api_secret_key,  # one generated key, named as each major expects
        JWT: spec.secrets.jwt_secret,
    }
    if spec.is_celery:
        values[BROKER] = _broker_url(spec)
    secrets = []
    for ref in airflow_secret_refs(spec):
        suffix, key, _ = ref
        secrets.append(secret(spec, dns_name(release, suffix), {key: values[ref]}))
    if spec.is_celery:
        suffix, key, _ = REDIS_PASSWORD
        secrets.append(secret(spec, dns_name(release, suffix), {key: spec.secrets.redis_password}, REDIS))
    if webserver_config.configured(spec):
        suffix, key, _ = webserver_config.CLIENT_SECRET
        client_secret = {key: spec.secrets.oauth_client_secret}
        secrets.append(secret(spec, dns_name(release, suffix), client_secret, ui_component(spec)))
    # The user's variables, secret or not: one Secret, read whole through envFrom.
    secrets.append(secret(spec, dns_name(release, "env"), dict(spec.env)))
    from deployments.kube.render import dags  # dags builds its Secrets with `secret` above

    return secrets + dags.secrets(spec)
