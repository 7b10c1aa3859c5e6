"""Clusters, Deployments (the desired state of one Airflow), their worker queues and environment variables, and
the events provisioning reports back. Writes go through `deployments.services`."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.functional import cached_property

from accounts import permissions
from accounts.models import NAME_MAX_LENGTH, Organization, User
from aerodrome.crypto import EncryptedJSONField, EncryptedTextField
from deployments import catalog
from workspaces.models import Workspace

KUBERNETES_VERSIONS = ["1.34", "1.33", "1.32", "1.31", "1.30"]


class ClusterQuerySet(models.QuerySet):
    def for_actor(self, actor, permission: str = "cluster.view"):
        own = self.model.tenancy.q(actor, permission)
        if permission == "cluster.view" and getattr(actor, "is_authenticated", False):
            own |= Q(organization__isnull=True)  # platform clusters serve every organisation
        return self.filter(own)

    def usable_by(self, organization):
        return self.filter(Q(organization=organization) | Q(organization__isnull=True))


class Cluster(models.Model):
    """A Kubernetes cluster Deployments run on: the platform's (no organisation) or one organisation's own."""

    class Auth(models.TextChoices):
        KUBECONFIG = "KUBECONFIG", "Kubeconfig"
        IN_CLUSTER = "IN_CLUSTER", "In-cluster service account"

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="clusters"
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    auth = models.CharField(max_length=16, choices=Auth.choices, default=Auth.KUBECONFIG)
    kubeconfig = EncryptedTextField(blank=True)
    kubernetes_version = models.CharField(max_length=8, default=KUBERNETES_VERSIONS[0])
    ingress_base_domain = models.CharField(max_length=253)
    prometheus_url = models.URLField(blank=True)
    # Where the cluster's Prometheus runs: render lets pods of this namespace reach each Deployment's statsd exporter
    # and adds a PodMonitor (with a Prometheus URL only: a cluster that has one runs the Prometheus operator).
    monitoring_namespace = models.CharField(max_length=63, default="monitoring", blank=True)
    database_admin_url = EncryptedTextField(blank=True)
    # How each Deployment's UI gets a certificate (deployments/tls.py): none, a cert-manager ClusterIssuer, or a
    # wildcard certificate with its key (write-only, encrypted) that Aerodrome writes into each namespace.
    tls_mode = models.CharField(max_length=16, choices=catalog.TLSMode.choices, default=catalog.TLSMode.NONE)
    tls_cluster_issuer = models.CharField("cert-manager ClusterIssuer", max_length=253, blank=True)
    tls_certificate = models.TextField("TLS certificate", blank=True)
    tls_private_key = EncryptedTextField("TLS private key", blank=True)
    # Alerting (monitoring/alerts): the cluster's Alertmanager (silences go there), the labels its Prometheus selects
    # PrometheusRule objects by ("release=kube-prometheus-stack"), and the receiver's bearer token, stored hashed.
    alertmanager_url = models.URLField(blank=True)
    prometheus_rule_labels = models.CharField(max_length=500, blank=True)
    alert_receiver_token_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    alert_receiver_token_set_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_ok = models.BooleanField(null=True)
    last_check_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClusterQuerySet.as_manager()
    tenancy = permissions.Tenancy(organization="organization")

    class Meta:
        ordering = ["name"]
        constraints = [
            # Two partial constraints rather than nulls_distinct=False, which SQLite (the embedded default) lacks.
            models.UniqueConstraint(
                Lower("name"),
                "organization",
                condition=Q(organization__isnull=False),
                name="unique_cluster_name_per_org",
            ),
            models.UniqueConstraint(
                Lower("name"), condition=Q(organization__isnull=True), name="unique_platform_cluster_name"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_platform(self) -> bool:
        return self.organization_id is None

    @property
    def tls_enabled(self) -> bool:
        return self.tls_mode != catalog.TLSMode.NONE

    @cached_property
    def tls_certificate_info(self):
        """Names and expiry of the stored wildcard certificate, or None."""
        from deployments import tls

        if self.tls_mode != catalog.TLSMode.CERTIFICATE or not self.tls_certificate:
            return None
        try:
            return tls.certificate_info(self.tls_certificate)
        except ValidationError:
            return None


class DeploymentQuerySet(models.QuerySet):
    def for_actor(self, actor, permission: str = "deployment.view"):
        return self.filter(self.model.tenancy.q(actor, permission))

    def live(self):
        return self.filter(deleted_at__isnull=True)


class Deployment(models.Model):
    """One Airflow environment: its desired state (bumping `generation` on every change) and what provisioning
    last observed."""

    class Status(models.TextChoices):
        CREATING = "CREATING", "Creating"
        DEPLOYING = "DEPLOYING", "Deploying"
        RENDERED = "RENDERED", "Rendered (no cluster)"
        HEALTHY = "HEALTHY", "Healthy"
        UNHEALTHY = "UNHEALTHY", "Unhealthy"
        HIBERNATING = "HIBERNATING", "Hibernating"
        DELETING = "DELETING", "Deleting"
        DELETED = "DELETED", "Deleted"
        FAILED = "FAILED", "Failed"

    # States provisioning leaves alone until the desired state changes; pages stop polling on them.
    FINAL_STATUSES = {
        Status.RENDERED,
        Status.HEALTHY,
        Status.UNHEALTHY,
        Status.HIBERNATING,
        Status.DELETED,
        Status.FAILED,
    }

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="deployments")
    cluster = models.ForeignKey(Cluster, null=True, blank=True, on_delete=models.PROTECT, related_name="deployments")
    name = models.CharField(max_length=catalog.NAME_MAX_LENGTH)
    description = models.CharField(max_length=1000, blank=True)
    release_name = models.CharField(max_length=40, unique=True)
    contact_emails = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    airflow_version = models.CharField(max_length=16, default=catalog.DEFAULT_AIRFLOW_VERSION)
    image_repository = models.CharField(max_length=255, default=catalog.DEFAULT_IMAGE_REPOSITORY)
    image_tag = models.CharField(max_length=128)
    # Set by an image deploy (deployments/deploys): pods run image_repository@image_digest, exactly what the tag
    # named then. Changing the repository or tag in the settings clears it.
    image_digest = models.CharField(max_length=71, blank=True, editable=False)
    # The DAG bundle its pods' sync sidecars fetch (a DAG deploy changes this, never a pod spec).
    dag_bundle = models.ForeignKey(
        "deployments.DagBundle", null=True, blank=True, on_delete=models.PROTECT, editable=False, related_name="+"
    )
    executor = models.CharField(max_length=32, choices=catalog.Executor.choices, default=catalog.Executor.CELERY)

    scheduler_size = models.CharField(max_length=16, choices=catalog.SCHEDULER_SIZE_CHOICES, default="SMALL")
    scheduler_replicas = models.PositiveSmallIntegerField(default=1)
    triggerer_replicas = models.PositiveSmallIntegerField(default=1)
    api_server_replicas = models.PositiveSmallIntegerField(default=1)
    task_pod_cpu = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal("0.5"))
    task_pod_memory_mib = models.PositiveIntegerField(default=1024)
    max_task_pods = models.PositiveSmallIntegerField(default=16)
    headroom_percent = models.PositiveSmallIntegerField(default=0)

    generated_secrets = EncryptedJSONField(blank=True, editable=False)  # the OAuth client's secret among them
    # The Deployment's own OAuth client at Aerodrome's OpenID Connect provider (deployments/airflow_login.py):
    # its Airflow sends people through it. Its secret is stored hashed there and encrypted in generated_secrets.
    oauth_client = models.OneToOneField(
        "oauth2_provider.Application",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="airflow_deployment",
    )

    generation = models.PositiveIntegerField(default=1)
    observed_generation = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CREATING)
    status_reason = models.CharField(max_length=1000, blank=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    last_reconciled_at = models.DateTimeField(null=True, blank=True)
    first_healthy_at = models.DateTimeField(null=True, blank=True, editable=False)  # its UI has answered since
    applied_manifest = models.TextField(blank=True, editable=False)  # redacted YAML of the last apply
    # When provisioning runs (deployments/kube/scheduling.py): a reconcile is wanted; one wake-up is queued (due
    # then); one run holds the lease (renewed while it lives); failed attempts of the current retry chain.
    reconcile_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    reconcile_queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    reconcile_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    reconcile_lease_holder = models.CharField(max_length=64, blank=True, editable=False)
    reconcile_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    reconcile_failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = DeploymentQuerySet.as_manager()
    tenancy = permissions.Tenancy(organization="workspace__organization", workspace="workspace", deployment="pk")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "workspace", condition=Q(deleted_at__isnull=True), name="unique_live_deployment_name"
            ),
        ]
        indexes = [models.Index(fields=["status", "status_changed_at"])]

    def __str__(self):
        return self.name

    @property
    def organization(self):
        return self.workspace.organization

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
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def ui_ready(self) -> bool:
        """Whether to offer "Open Airflow": its UI has been healthy at least once."""
        return self.first_healthy_at is not None and self.ui_url is not None

    @property
    def queue_list(self) -> list:
        """Its worker queues: the list a listing prefetched (`LISTED_QUEUES`: a plain list per row, where a
        prefetched `queues` builds a queryset per row and a copy of it per read), else read now."""
        try:
            return self.listed_queues
        except AttributeError:
            return list(self.queues.all())

    @property
    def ui_url(self) -> str | None:
        """The Airflow UI's address: https only when the cluster's TLS setting gives the Ingress a certificate."""
        if not self.cluster_id or not self.cluster.ingress_base_domain:
            return None
        scheme = "https" if self.cluster.tls_enabled else "http"
        return f"{scheme}://{self.release_name}.{self.cluster.ingress_base_domain}"

    @property
    def served_over_plain_http(self) -> bool:
        """Whether its UI (when it runs on a cluster) is plain HTTP: sign-in cookies then travel unencrypted."""
        return self.ui_url is not None and not self.cluster.tls_enabled

    @property
    def ui_login_url(self) -> str | None:
        """Where "Open Airflow" goes: Airflow's login through Aerodrome, which comes straight back signed in."""
        from deployments import airflow_login  # the login rules sit above the models

        return airflow_login.open_url(self)

    @property
    def image(self) -> str:
        """What its pods run: pinned by digest after an image deploy, else repository:tag."""
        if self.image_digest:
            return f"{self.image_repository}@{self.image_digest}"
        return f"{self.image_repository}:{self.image_tag}"


class WorkerQueue(models.Model):
    """A Celery queue and the workers that serve it."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="queues")
    name = models.CharField(max_length=63)
    worker_type = models.CharField(
        max_length=8, choices=catalog.WORKER_TYPE_CHOICES, default=catalog.DEFAULT_WORKER_TYPE
    )
    min_workers = models.PositiveSmallIntegerField(default=1)
    max_workers = models.PositiveSmallIntegerField(default=10)
    concurrency = models.PositiveSmallIntegerField(default=5)
    updated_at = models.DateTimeField(auto_now=True)

    tenancy = permissions.Tenancy(
        organization="deployment__workspace__organization", workspace="deployment__workspace", deployment="deployment"
    )

    class Meta:
        ordering = ["deployment", "name"]
        constraints = [models.UniqueConstraint(fields=["deployment", "name"], name="unique_queue_name")]

    def __str__(self):
        return self.name

    @property
    def is_default(self) -> bool:
        return self.name == catalog.DEFAULT_QUEUE


class EnvironmentVariable(models.Model):
    """A variable set in every Airflow container. Values are encrypted at rest; secret ones are write-only."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="variables")
    key = models.CharField(max_length=255)
    value = EncryptedTextField(blank=True)
    is_secret = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    tenancy = permissions.Tenancy(
        organization="deployment__workspace__organization", workspace="deployment__workspace", deployment="deployment"
    )

    class Meta:
        ordering = ["deployment", "key"]
        constraints = [models.UniqueConstraint(fields=["deployment", "key"], name="unique_variable_key")]

    def __str__(self):
        return self.key

    @property
    def display_value(self) -> str | None:
        """What pages and the API may show: never a secret's value."""
        return None if self.is_secret else self.value


class DeploymentEvent(models.Model):
    """One step of provisioning, shown on the Deployment's timeline."""

    class Level(models.TextChoices):
        INFO = "INFO", "Info"
        SUCCESS = "SUCCESS", "Success"
        WARNING = "WARNING", "Warning"
        ERROR = "ERROR", "Error"

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.INFO)
    reason = models.CharField(max_length=64)  # a short machine-friendly word: Created, Applied, Pruned, Failed...
    message = models.CharField(max_length=2000)
    generation = models.PositiveIntegerField(null=True)
    actor_label = models.CharField(max_length=254, blank=True)  # who caused it; empty for the platform itself
    # The same event repeated (a retry chain's "Unreachable") is one row: how often, and when it was last seen.
    count = models.PositiveIntegerField(default=1)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.reason}: {self.message}"


# Deploys sit in their own subpackage; their models belong to this app (and its migrations).
from deployments.deploys.models import DagBundle, Deploy, RegistryCredential  # noqa: E402

__all__ = [
    "Cluster",
    "DagBundle",
    "Deploy",
    "Deployment",
    "DeploymentEvent",
    "EnvironmentVariable",
    "RegistryCredential",
    "WorkerQueue",
]
