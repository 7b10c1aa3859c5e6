"""The desired state of one Deployment as plain, immutable data: everything `render` needs, nothing it has to
look up. Built from the models by `deployments.selectors.deployment_spec`."""

from dataclasses import dataclass, field
from decimal import Decimal

from deployments import catalog


@dataclass(frozen=True)
class QueueSpec:
    name: str
    worker_type: str  # a key of catalog.WORKER_TYPES
    min_workers: int
    max_workers: int
    concurrency: int


@dataclass(frozen=True)
class GeneratedSecrets:
    """Random values made once when the Deployment is created and kept for its whole life."""

    fernet_key: str
    api_secret_key: str  # Airflow 3 api-server secret key, or Airflow 2 webserver secret key
    jwt_secret: str
    redis_password: str
    metadata_password: str
    oauth_client_secret: str = ""  # the Deployment's OAuth client at Aerodrome (deployments/airflow_login.py)


@dataclass(frozen=True)
class MetadataDatabase:
    """Where pgbouncer finds the Deployment's metadata database (on the cluster's PostgreSQL)."""

    host: str
    port: int
    name: str  # database name
    user: str  # role name


@dataclass(frozen=True)
class TLSSpec:
    """The cluster's TLS setting, as render needs it (see deployments/tls.py)."""

    mode: str = catalog.TLSMode.NONE
    cluster_issuer: str = ""  # CLUSTER_ISSUER: the cert-manager ClusterIssuer's name
    certificate: str = ""  # CERTIFICATE: the wildcard certificate (PEM, leaf first) ...
    private_key: str = ""  # ... and its private key (PEM), both written into a Secret in the namespace

    @property
    def enabled(self) -> bool:
        return self.mode != catalog.TLSMode.NONE


@dataclass(frozen=True)
class DeploymentSpec:
    # identity
    id: int
    release_name: str  # adjective-noun-NNNN, DNS-1123
    name: str
    organization_slug: str
    workspace_id: int
    generation: int
    # versions
    airflow_version: str
    image_repository: str
    image_tag: str
    executor: str  # catalog.Executor.CELERY or KUBERNETES
    # components
    scheduler_size: str  # a key of catalog.SCHEDULER_SIZES
    scheduler_replicas: int
    triggerer_replicas: int
    api_server_replicas: int
    queues: tuple[QueueSpec, ...]  # CeleryExecutor only; always contains "default"
    task_pod_cpu: Decimal  # KubernetesExecutor default task pod
    task_pod_memory_mib: int
    max_task_pods: int  # KubernetesExecutor parallelism, used for the quota
    headroom_percent: int
    # environment
    env: tuple[tuple[str, str], ...]  # user's variables, (key, value), secrets included, sorted by key
    secrets: GeneratedSecrets
    database: MetadataDatabase
    ingress_domain: str  # the cluster's base domain; the UI is at <release>.<domain>
    kubernetes_version: str = "1.34"
    contact_emails: tuple[str, ...] = field(default_factory=tuple)
    # Login through Aerodrome (deployments/airflow_login.py): its OAuth client and OpenID Connect issuer. Without
    # a client, no webserver_config.py is rendered.
    oauth_client_id: str = ""
    oidc_issuer: str = ""
    tls: TLSSpec = TLSSpec()  # off unless the cluster has a TLS setting
    # An image deploy pins the image: pods run image_repository@image_digest (deployments/deploys).
    image_digest: str = ""
    # DAG sync (deployments/kube/dag_sync.py): where pods ask for the current DAG bundle, with which read-only
    # token, how often. Without a URL, no sync is rendered and DAGs come with the image.
    dag_sync_url: str = ""
    dag_sync_token: str = ""
    dag_sync_interval: int = 30
    # Registry credentials (registry host, username, password) rendered as an image pull secret.
    registry_auths: tuple[tuple[str, str, str], ...] = ()
    # The namespace of the cluster's Prometheus: it may reach the statsd exporter, which a PodMonitor offers it.
    # Empty (no Prometheus URL on the cluster, or none set): neither is rendered.
    monitoring_namespace: str = ""

    @property
    def namespace(self) -> str:
        return f"aerodrome-{self.release_name}"

    @property
    def airflow_major(self) -> int:
        return catalog.airflow_major(self.airflow_version)

    @property
    def is_celery(self) -> bool:
        return self.executor == catalog.Executor.CELERY

    @property
    def ui_host(self) -> str:
        return f"{self.release_name}.{self.ingress_domain}"

    @property
    def ui_url(self) -> str:
        """Where people open the Airflow UI: https only when the cluster's TLS setting gives the Ingress a
        certificate."""
        return f"{'https' if self.tls.enabled else 'http'}://{self.ui_host}"
