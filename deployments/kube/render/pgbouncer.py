"""pgbouncer between every Airflow process and the Deployment's metadata database: its configuration Secret
(pgbouncer.ini and the users file), Deployment, Service and disruption budget."""

from deployments import catalog
from deployments.kube.render.base import (
    PGBOUNCER,
    PGBOUNCER_PORT,
    disruption_budget,
    dns_name,
    port,
    resources,
    service,
    service_account_name,
)
from deployments.kube.render.pods import container_security, deployment, pod_security
from deployments.kube.render.secrets import secret
from deployments.kube.spec import DeploymentSpec

# The image the official chart ships (built by the Airflow project).
PGBOUNCER_IMAGE = "apache/airflow:airflow-pgbouncer-2025.03.05-1.23.1"
NOBODY = 65534  # the pgbouncer image runs as nobody


def pgbouncer_ini(spec: DeploymentSpec) -> str:
    db = spec.database
    # Transaction pooling keeps the number of server connections on the shared PostgreSQL small however many
    # Airflow processes connect. The database alias is the real database name, so the URL reads naturally.
    return "\n".join(
        [
            "[databases]",
            f"{db.name} = host={db.host} port={db.port} dbname={db.name} user={db.user} pool_size=10",
            "",
            "[pgbouncer]",
            "pool_mode = transaction",
            "listen_addr = *",
            f"listen_port = {PGBOUNCER_PORT}",
            "auth_type = scram-sha-256",
            "auth_file = /etc/pgbouncer/users.txt",
            f"stats_users = {db.user}",
            "ignore_startup_parameters = extra_float_digits",
            "max_client_conn = 200",
            "server_tls_sslmode = prefer",
            "log_connections = 0",
            "log_disconnections = 0",
            "",
        ]
    )


def _users(spec: DeploymentSpec) -> str:
    def quoted(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    return f"{quoted(spec.database.user)} {quoted(spec.secrets.metadata_password)}\n"


def configuration(spec: DeploymentSpec) -> list[dict]:
    name = dns_name(spec.release_name, "pgbouncer-config")
    return [secret(spec, name, {"pgbouncer.ini": pgbouncer_ini(spec), "users.txt": _users(spec)}, PGBOUNCER)]


def objects(spec: DeploymentSpec, hashes: dict) -> list[dict]:
    container = {
        "name": PGBOUNCER,
        "image": PGBOUNCER_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "command": ["pgbouncer", "-u", "nobody", "/etc/pgbouncer/pgbouncer.ini"],
        "ports": [{"name": "pgbouncer", "containerPort": PGBOUNCER_PORT, "protocol": "TCP"}],
        "readinessProbe": {"tcpSocket": {"port": "pgbouncer"}, "periodSeconds": 10},
        "livenessProbe": {"tcpSocket": {"port": "pgbouncer"}, "periodSeconds": 30, "failureThreshold": 5},
        "resources": resources(catalog.PGBOUNCER),
        "securityContext": container_security(),
        "volumeMounts": [{"name": "config", "mountPath": "/etc/pgbouncer", "readOnly": True}],
    }
    pod_spec = {
        "serviceAccountName": service_account_name(spec, PGBOUNCER),
        "securityContext": pod_security(NOBODY, NOBODY, NOBODY),
        "containers": [container],
        "volumes": [{"name": "config", "secret": {"secretName": dns_name(spec.release_name, "pgbouncer-config")}}],
    }
    return [
        deployment(spec, dns_name(spec.release_name, PGBOUNCER), PGBOUNCER, 1, pod_spec, hashes[PGBOUNCER]),
        service(spec, PGBOUNCER, [port("pgbouncer", PGBOUNCER_PORT)]),
        # Kept on a single replica, as in the chart, so that a drain moves it without a second eviction racing.
        disruption_budget(spec, PGBOUNCER),
    ]
