"""Deploy records, DAG bundles and registry credentials. Imported by `deployments.models`, so the migrations
live with the deployments app."""

from django.db import models
from django.db.models import Q

from accounts import permissions
from accounts.models import User
from aerodrome.crypto import EncryptedTextField

DEPLOYMENT_TENANCY = permissions.Tenancy(
    organization="deployment__workspace__organization", workspace="deployment__workspace", deployment="deployment"
)


class DagBundle(models.Model):
    """One DAG archive, stored once under its SHA-256 (`bundles.storage_name`), with the listing of its files
    ({path: [size, sha256]}) that diffs compare."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    file_count = models.PositiveIntegerField()
    files = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"DAG bundle {self.sha256[:12]}"


class DeployQuerySet(models.QuerySet):
    def for_actor(self, actor, permission: str = "deployment.view"):
        return self.filter(self.model.tenancy.q(actor, permission))


class Deploy(models.Model):
    """One deploy of code to a Deployment: an image (pinned by digest), a DAG bundle, or both. `base_*` is what ran
    before it started and `result_*` what runs after it, so a diff and a rollback are exact whatever happened in
    between (settings edits, other deploys)."""

    class Kind(models.TextChoices):
        IMAGE = "IMAGE", "Image"
        DAGS = "DAGS", "DAGs"
        IMAGE_AND_DAGS = "IMAGE_AND_DAGS", "Image and DAGs"

    class Status(models.TextChoices):
        QUEUED = "QUEUED", "Queued"
        DEPLOYING = "DEPLOYING", "Deploying"
        DEPLOYED = "DEPLOYED", "Deployed"
        FAILED = "FAILED", "Failed"

    class ActorKind(models.TextChoices):
        USER = "user", "Person"
        TOKEN = "token", "API token"

    ACTIVE = (Status.QUEUED, Status.DEPLOYING)

    deployment = models.ForeignKey("deployments.Deployment", on_delete=models.CASCADE, related_name="deploys")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    image = models.CharField(max_length=512, blank=True)  # as the client named it (tag or digest)
    image_repository = models.CharField(max_length=255, blank=True)
    image_tag = models.CharField(max_length=128, blank=True)
    image_digest = models.CharField(max_length=71, blank=True)  # sha256:<64 hex>
    dag_bundle = models.ForeignKey(DagBundle, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=1000, blank=True)
    deployed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    deployed_by_label = models.CharField(max_length=254)
    deployed_by_kind = models.CharField(max_length=8, choices=ActorKind.choices, default=ActorKind.USER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    status_reason = models.CharField(max_length=1000, blank=True)
    rolled_back_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rollbacks"
    )
    # What ran before this deploy started, and what runs once it is applied (image as repo@digest or repo:tag).
    base_image = models.CharField(max_length=512, blank=True)
    base_bundle = models.ForeignKey(DagBundle, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    result_image = models.CharField(max_length=512, blank=True)
    result_bundle = models.ForeignKey(DagBundle, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    generation = models.PositiveIntegerField(null=True, blank=True)  # the Deployment's generation it waits for
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = DeployQuerySet.as_manager()
    tenancy = DEPLOYMENT_TENANCY

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["deployment", "status"])]

    def __str__(self):
        return f"Deploy #{self.pk} ({self.get_kind_display()})"

    @property
    def has_image(self) -> bool:
        return self.kind in (self.Kind.IMAGE, self.Kind.IMAGE_AND_DAGS)

    @property
    def has_dags(self) -> bool:
        return self.kind in (self.Kind.DAGS, self.Kind.IMAGE_AND_DAGS)

    @property
    def is_final(self) -> bool:
        return self.status in (self.Status.DEPLOYED, self.Status.FAILED)


class RegistryCredential(models.Model):
    """How pods pull images from one registry: a workspace's (its Deployments) or a cluster's (every Deployment on
    it). The password is encrypted and write-only; render turns the credentials into an image pull secret."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", null=True, blank=True, on_delete=models.CASCADE, related_name="registry_credentials"
    )
    cluster = models.ForeignKey(
        "deployments.Cluster", null=True, blank=True, on_delete=models.CASCADE, related_name="registry_credentials"
    )
    registry = models.CharField(max_length=255)  # host[:port], e.g. registry.example.com:5000
    username = models.CharField(max_length=255)
    password = EncryptedTextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["registry"]
        constraints = [
            models.CheckConstraint(
                condition=Q(workspace__isnull=True) ^ Q(cluster__isnull=True), name="registry_credential_one_owner"
            ),
            models.UniqueConstraint(
                fields=["workspace", "registry"], condition=Q(workspace__isnull=False), name="unique_workspace_registry"
            ),
            models.UniqueConstraint(
                fields=["cluster", "registry"], condition=Q(cluster__isnull=False), name="unique_cluster_registry"
            ),
        ]

    def __str__(self):
        return f"{self.username}@{self.registry}"
