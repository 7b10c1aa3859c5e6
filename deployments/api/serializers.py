"""Shapes of clusters, Deployments, worker queues and environment variables in the API.

Checks of meaning (ranges, names, choices, who may do what) belong to `deployments.services`: request
serializers only give the input its type, so the API answers with the same messages as the pages. They do refuse
fields they do not know, so a typo or a read-only field (`status`) is a 400 rather than silently ignored.

Secrets are write-only: a cluster's kubeconfig and database admin URL and a secret variable's value are accepted
in requests and never appear in a response (`has_kubeconfig`, `has_database_admin_url`, `value: null`).
"""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aerodrome.api.fields import NameField, OptionalURLField
from aerodrome.api.lean import LeanListSerializer
from deployments import catalog, cost, quota, services
from deployments.models import (
    KUBERNETES_VERSIONS,
    Cluster,
    Deployment,
    DeploymentEvent,
    EnvironmentVariable,
    WorkerQueue,
)

# --------------------------------------------------------------------------------------------------- fields


class _ServiceCheckedChoice(serializers.CharField):
    """A choice as its string value. Any string reaches the service, whose message names the choices."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)


@extend_schema_field(serializers.ChoiceField(choices=catalog.Executor.choices))
class ExecutorField(_ServiceCheckedChoice):
    pass


@extend_schema_field(serializers.ChoiceField(choices=catalog.SCHEDULER_SIZE_CHOICES))
class SchedulerSizeField(_ServiceCheckedChoice):
    pass


@extend_schema_field(serializers.ChoiceField(choices=catalog.AIRFLOW_VERSIONS))
class AirflowVersionField(_ServiceCheckedChoice):
    pass


@extend_schema_field(serializers.ChoiceField(choices=catalog.WORKER_TYPE_CHOICES))
class WorkerTypeField(_ServiceCheckedChoice):
    pass


@extend_schema_field(serializers.ChoiceField(choices=Cluster.Auth.choices))
class ClusterAuthField(_ServiceCheckedChoice):
    pass


@extend_schema_field(serializers.ChoiceField(choices=KUBERNETES_VERSIONS))
class KubernetesVersionField(_ServiceCheckedChoice):
    pass


@extend_schema_field(serializers.ChoiceField(choices=catalog.TLSMode.choices))
class TLSModeField(_ServiceCheckedChoice):
    pass


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": catalog.NAME_MAX_LENGTH})
class DeploymentNameField(serializers.CharField):
    """Blank or too long is rejected by the service (`validation.clean_deployment_name`), not here."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)


@extend_schema_field({"type": "integer"})
class WholeNumberField(serializers.Field):
    """A whole number. Any value reaches the service, whose message says what is allowed ("Enter a whole number for
    scheduler replicas.", "… must be between 1 and 4."), so a wrong type is reported with every other error."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


@extend_schema_field({"oneOf": [{"type": "number"}, {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"}]})
class HundredthsField(WholeNumberField):
    """A number in hundredths, e.g. 0.5 or "2.25"; checked by the service like `WholeNumberField`."""


def _secret_input(help_text: str) -> serializers.CharField:
    return serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        write_only=True,
        style={"input_type": "password"},
        help_text=help_text,
    )


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not declare (read-only ones such as `status` included) instead of ignoring them, with
    the other errors of the same object. Nested too (a Deployment's `queues` items)."""

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if hasattr(data, "keys") else []
        refused = {field: ["This field cannot be set here."] for field in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict):
                error.detail.update(refused)
            raise
        if refused:
            raise serializers.ValidationError(refused)
        return value


# ------------------------------------------------------------------------------------------------- clusters


class ClusterSerializer(serializers.ModelSerializer):
    organization = serializers.SlugField(
        source="organization.slug",
        read_only=True,
        allow_null=True,
        help_text="The owning organisation's slug; null for a platform cluster, which serves every organisation.",
    )
    is_platform = serializers.BooleanField(read_only=True)
    has_kubeconfig = serializers.SerializerMethodField(help_text="Whether a kubeconfig is stored (it is write-only).")
    has_database_admin_url = serializers.SerializerMethodField(
        help_text="Whether a PostgreSQL admin URL is stored (it is write-only)."
    )
    auth = serializers.ChoiceField(choices=Cluster.Auth.choices, read_only=True)
    kubernetes_version = serializers.ChoiceField(choices=KUBERNETES_VERSIONS, read_only=True)
    prometheus_url = OptionalURLField(read_only=True, help_text="The cluster's Prometheus; null when none is set.")
    monitoring_namespace = serializers.CharField(
        read_only=True,
        help_text="The namespace the cluster's Prometheus runs in: it may scrape each Deployment's statsd exporter.",
    )
    alertmanager_url = OptionalURLField(
        read_only=True, help_text="The cluster's Alertmanager, where silences are created; null when none is set."
    )
    prometheus_rule_labels = serializers.CharField(
        read_only=True,
        help_text="`key=value` labels (comma-separated) every Deployment's PrometheusRule and PodMonitor carry, so "
        "the cluster's Prometheus selects them.",
    )
    has_alert_receiver_token = serializers.SerializerMethodField(
        help_text="Whether the cluster's Alertmanager receiver token is set (it is shown once, on the cluster's "
        "alerting page)."
    )
    tls_mode = serializers.ChoiceField(
        choices=catalog.TLSMode.choices,
        read_only=True,
        help_text="How each Deployment's UI gets a certificate: `NONE` (plain HTTP), `CLUSTER_ISSUER` (cert-manager) "
        "or `CERTIFICATE` (an uploaded wildcard certificate).",
    )
    tls_cluster_issuer = serializers.CharField(
        read_only=True, help_text="The cert-manager ClusterIssuer (`CLUSTER_ISSUER` mode); empty otherwise."
    )
    tls_certificate_names = serializers.SerializerMethodField(
        help_text="The DNS names of the stored wildcard certificate (`CERTIFICATE` mode); empty otherwise."
    )
    tls_certificate_expires_at = serializers.SerializerMethodField(
        help_text="When the stored wildcard certificate expires; null without one."
    )
    has_tls_private_key = serializers.SerializerMethodField(
        help_text="Whether the wildcard certificate's private key is stored (it is write-only)."
    )

    class Meta:
        model = Cluster
        fields = [
            "id",
            "organization",
            "is_platform",
            "name",
            "auth",
            "kubernetes_version",
            "ingress_base_domain",
            "prometheus_url",
            "monitoring_namespace",
            "alertmanager_url",
            "prometheus_rule_labels",
            "has_alert_receiver_token",
            "tls_mode",
            "tls_cluster_issuer",
            "tls_certificate_names",
            "tls_certificate_expires_at",
            "has_tls_private_key",
            "has_kubeconfig",
            "has_database_admin_url",
            "last_checked_at",
            "last_check_ok",
            "last_check_message",
            "created_at",
        ]
        read_only_fields = fields

    def get_has_kubeconfig(self, cluster) -> bool:
        return bool(cluster.kubeconfig)

    def get_has_database_admin_url(self, cluster) -> bool:
        return bool(cluster.database_admin_url)

    def get_tls_certificate_names(self, cluster) -> list[str]:
        info = cluster.tls_certificate_info
        return list(info.names) if info else []

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_tls_certificate_expires_at(self, cluster):
        info = cluster.tls_certificate_info
        return serializers.DateTimeField().to_representation(info.not_after) if info else None

    def get_has_tls_private_key(self, cluster) -> bool:
        return bool(cluster.tls_private_key)

    def get_has_alert_receiver_token(self, cluster) -> bool:
        return bool(cluster.alert_receiver_token_hash)


class _ClusterSettings(StrictSerializer):
    auth = ClusterAuthField(required=False)
    kubeconfig = _secret_input("The kubeconfig (YAML) for `KUBECONFIG` authentication. Write-only; blank keeps it.")
    kubernetes_version = KubernetesVersionField(required=False)
    prometheus_url = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="Blank or null: none."
    )
    monitoring_namespace = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The namespace the cluster's Prometheus runs in (default `monitoring`): the Deployments' statsd "
        "exporters admit it, and get a PodMonitor when a Prometheus URL is set. Blank: none.",
    )
    alertmanager_url = serializers.CharField(
        required=False, allow_blank=True, help_text="The cluster's Alertmanager (API v2), for silences. Blank: none."
    )
    prometheus_rule_labels = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="`key=value` labels, comma-separated (e.g. `release=kube-prometheus-stack`), that the cluster's "
        "Prometheus selects PrometheusRules by.",
    )
    database_admin_url = _secret_input(
        "A postgresql:// URL of a role that may create the Deployments' metadata databases. Write-only; blank keeps it."
    )
    tls_mode = TLSModeField(
        required=False,
        help_text="HTTPS for the Deployments' UI: `NONE`, `CLUSTER_ISSUER` (with `tls_cluster_issuer`) or "
        "`CERTIFICATE` (with `tls_certificate` and `tls_private_key`). Left out: unchanged.",
    )
    tls_cluster_issuer = serializers.CharField(
        required=False, allow_blank=True, help_text="The name of a cert-manager ClusterIssuer on the cluster."
    )
    tls_certificate = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        write_only=True,
        help_text="A certificate for `*.<ingress_base_domain>` (PEM, leaf first, then its chain). Blank keeps it.",
    )
    tls_private_key = _secret_input("The certificate's private key (PEM, no passphrase). Write-only; blank keeps it.")


class ClusterCreateSerializer(_ClusterSettings):
    organization = serializers.SlugField(help_text="The slug of the organisation the cluster belongs to.")
    name = NameField()
    ingress_base_domain = serializers.CharField(
        allow_blank=True, help_text="Each Deployment's UI is served at `<release>.<this domain>`."
    )


class ClusterUpdateSerializer(_ClusterSettings):
    """A partial update: a field left out keeps its value (and so does a blank kubeconfig or database URL)."""

    name = NameField(required=False)
    ingress_base_domain = serializers.CharField(required=False, allow_blank=True)


class ClusterReplaceSerializer(_ClusterSettings):
    """A full update (PUT): the settings as a whole. The secrets stay write-only: left out or blank keeps them."""

    name = NameField()
    auth = ClusterAuthField()
    kubernetes_version = KubernetesVersionField()
    ingress_base_domain = serializers.CharField(allow_blank=True)
    prometheus_url = serializers.CharField(
        allow_blank=True, allow_null=True, default="", help_text="Blank or null: none."
    )
    alertmanager_url = serializers.CharField(allow_blank=True, default="", help_text="Left out or blank: none.")
    prometheus_rule_labels = serializers.CharField(allow_blank=True, default="", help_text="Left out or blank: none.")


class ConnectionCheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="Whether the cluster's API server answered.")
    message = serializers.CharField(help_text="What happened, for people (the Kubernetes version, or the error).")
    checked_at = serializers.DateTimeField()


# ------------------------------------------------------------------------------------------ worker queues


class WorkerQueueSerializer(serializers.ModelSerializer):
    worker_type = serializers.ChoiceField(choices=catalog.WORKER_TYPE_CHOICES, read_only=True)
    is_default = serializers.BooleanField(read_only=True, help_text="The `default` queue is required.")

    class Meta:
        model = WorkerQueue
        fields = ["id", "name", "worker_type", "min_workers", "max_workers", "concurrency", "is_default", "updated_at"]
        read_only_fields = fields


class WorkerQueueCreateSerializer(StrictSerializer):
    name = serializers.CharField(
        allow_blank=True, help_text="1-63 lowercase letters, digits and hyphens; Airflow tasks name it as `queue`."
    )
    worker_type = WorkerTypeField(default=catalog.DEFAULT_WORKER_TYPE)
    min_workers = WholeNumberField(default=1)
    max_workers = WholeNumberField(default=10)
    concurrency = WholeNumberField(
        required=False, allow_null=True, default=None, help_text="Tasks per worker; null for the worker type's default."
    )


class WorkerQueueUpdateSerializer(StrictSerializer):
    """A partial update of a queue's workers. A queue cannot be renamed (tasks refer to it by name)."""

    name = serializers.CharField(required=False, allow_blank=True, help_text="Must stay the queue's name.")
    worker_type = WorkerTypeField(required=False)
    min_workers = WholeNumberField(required=False)
    max_workers = WholeNumberField(required=False)
    concurrency = WholeNumberField(
        required=False, allow_null=True, help_text="Tasks per worker; null for the worker type's default."
    )


# ------------------------------------------------------------------------------------- environment variables


class VariableSerializer(serializers.ModelSerializer):
    value = serializers.CharField(
        source="display_value", read_only=True, allow_null=True, help_text="Null for a secret: secrets are write-only."
    )

    class Meta:
        model = EnvironmentVariable
        fields = ["key", "value", "is_secret", "updated_at"]
        read_only_fields = fields


class VariableCreateSerializer(StrictSerializer):
    key = serializers.CharField(
        allow_blank=True, help_text="Letters, digits and underscores; names Aerodrome sets itself are refused."
    )
    value = serializers.CharField(allow_blank=True, trim_whitespace=False, write_only=True)
    is_secret = serializers.BooleanField(
        default=False, help_text="A secret's value is never shown again, and it cannot be made visible."
    )


class VariableUpdateSerializer(StrictSerializer):
    """Changes one variable. Leaving out `value` keeps the stored one (how a secret is kept while editing)."""

    value = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, trim_whitespace=False, write_only=True
    )
    is_secret = serializers.BooleanField(required=False, help_text="Only false → true: a secret stays secret.")


# ------------------------------------------------------------------------------------------------- deployments


class QuotaSerializer(serializers.Serializer):
    """The namespace's resource quota: every component at its largest scale, plus the headroom."""

    cpu = serializers.DecimalField(max_digits=8, decimal_places=1, help_text="CPU cores, rounded up to a tenth.")
    memory_mib = serializers.IntegerField()
    pods = serializers.IntegerField()
    cpu_quantity = serializers.CharField(help_text="As Kubernetes writes it, e.g. `3500m`.")
    memory_quantity = serializers.CharField(help_text="As Kubernetes writes it, e.g. `8192Mi`.")


QUOTA_CPU_STEP = Decimal("0.1")  # QuotaSerializer.cpu's decimal places


class CostSerializer(serializers.Serializer):
    """An estimate of what the Deployment costs a month: what its pods request at the configured scale (each worker
    queue at its minimum; autoscaled workers and task pods add to it while they run) times the platform's prices
    per CPU-hour and per GiB-hour, over 730 hours."""

    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="CPU plus memory, per month.")
    currency = serializers.CharField(help_text="ISO 4217, e.g. `USD`.")
    cpu_amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="The CPU's part.")
    memory_amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="The memory's part.")
    cpu_cores = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="CPU cores requested.")
    memory_gib = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="GiB of memory requested.")
    hours_per_month = serializers.IntegerField(help_text=f"Always {cost.HOURS_PER_MONTH}.")


class DeploymentSerializer(serializers.ModelSerializer):
    organization = serializers.SerializerMethodField()
    workspace = serializers.PrimaryKeyRelatedField(read_only=True)
    cluster = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The cluster's id; null renders manifests without applying them."
    )
    airflow_version = serializers.ChoiceField(choices=catalog.AIRFLOW_VERSIONS, read_only=True)
    executor = serializers.ChoiceField(choices=catalog.Executor.choices, read_only=True)
    scheduler_size = serializers.ChoiceField(choices=catalog.SCHEDULER_SIZE_CHOICES, read_only=True)
    contact_emails = serializers.ListField(child=serializers.EmailField(), read_only=True)
    status = serializers.ChoiceField(choices=Deployment.Status.choices, read_only=True)
    namespace = serializers.CharField(read_only=True, help_text="The Kubernetes namespace it runs in.")
    ui_url = serializers.URLField(
        read_only=True,
        allow_null=True,
        help_text="The Airflow UI (https when the cluster has a TLS setting, http otherwise); null without a cluster.",
    )
    quota = serializers.SerializerMethodField()
    estimated_monthly_cost = serializers.SerializerMethodField(
        help_text="Null while platform staff have set no prices (then no estimate is shown anywhere)."
    )
    warnings = serializers.SerializerMethodField(
        help_text="What the settings allow but is probably a mistake, e.g. an image tag unlike the Airflow version."
    )
    queues = WorkerQueueSerializer(
        many=True, read_only=True, source="queue_list", help_text="Celery worker queues (see `queues/`)."
    )

    class Meta:
        model = Deployment
        fields = [
            "id",
            "organization",
            "workspace",
            "name",
            "description",
            "release_name",
            "namespace",
            "ui_url",
            "cluster",
            "airflow_version",
            "image_repository",
            "image_tag",
            "executor",
            "scheduler_size",
            "scheduler_replicas",
            "triggerer_replicas",
            "api_server_replicas",
            "task_pod_cpu",
            "task_pod_memory_mib",
            "max_task_pods",
            "headroom_percent",
            "contact_emails",
            "status",
            "status_reason",
            "status_changed_at",
            "generation",
            "observed_generation",
            "last_reconciled_at",
            "quota",
            "estimated_monthly_cost",
            "warnings",
            "queues",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = LeanListSerializer  # a page of 50 rows, each field planned once
        extra_kwargs = {
            "generation": {"help_text": "Bumped by every change of the desired state."},
            "observed_generation": {"help_text": "The generation provisioning last applied."},
        }

    @extend_schema_field({"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$"})  # as a SlugField documents itself
    def get_organization(self, deployment) -> str:
        # A list annotates the slug (DeploymentViewSet.get_queryset); one Deployment comes with its organisation.
        return getattr(deployment, "organization_slug", None) or deployment.workspace.organization.slug

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_warnings(self, deployment) -> list[str]:
        return services.deployment_warnings(deployment)

    @extend_schema_field(QuotaSerializer)
    def get_quota(self, deployment):
        # What QuotaSerializer would answer, built directly: a serializer per row (its fields deep-copied for each of
        # a list's rows) cost more than the Deployment's other fields together.
        figures = quota.for_deployment(deployment)
        return {
            "cpu": f"{figures.cpu.quantize(QUOTA_CPU_STEP):f}",
            "memory_mib": figures.memory_mib,
            "pods": figures.pods,
            "cpu_quantity": figures.cpu_quantity,
            "memory_quantity": figures.memory_quantity,
        }

    @extend_schema_field(CostSerializer(allow_null=True))
    def get_estimated_monthly_cost(self, deployment):
        # The prices are read once per response, not once per row of a list.
        if "prices" not in self.context:
            self.context["prices"] = cost.current_prices()
        estimate = cost.for_deployment(deployment, self.context["prices"])
        return estimate.as_dict() if estimate else None


class QueueSpecSerializer(WorkerQueueCreateSerializer):
    """One worker queue of a new Deployment (as `queues/` would add it)."""


class VariableSpecSerializer(VariableCreateSerializer):
    """One environment variable of a new Deployment (as `variables/` would add it)."""


class DeploymentCreateSerializer(StrictSerializer):
    workspace = serializers.IntegerField(help_text="The id of the workspace to create the Deployment in.")
    name = DeploymentNameField()
    description = serializers.CharField(required=False, allow_blank=True, default="")
    cluster = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="One of the organisation's clusters or a platform cluster; null renders manifests only.",
    )
    airflow_version = AirflowVersionField(default=catalog.DEFAULT_AIRFLOW_VERSION)
    executor = ExecutorField(default=catalog.Executor.CELERY)
    scheduler_size = SchedulerSizeField(default="SMALL")
    image_repository = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=f"Blank for `{catalog.DEFAULT_IMAGE_REPOSITORY}`."
    )
    image_tag = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Blank for the Airflow version's own tag."
    )
    contact_emails = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False, default=list)
    scheduler_replicas = WholeNumberField(required=False)
    triggerer_replicas = WholeNumberField(required=False)
    api_server_replicas = WholeNumberField(required=False)
    task_pod_cpu = HundredthsField(required=False, help_text="Kubernetes executor: CPU cores per task pod.")
    task_pod_memory_mib = WholeNumberField(required=False, help_text="Kubernetes executor: MiB per task pod.")
    max_task_pods = WholeNumberField(required=False, help_text="Kubernetes executor: task pods at once.")
    headroom_percent = WholeNumberField(required=False, help_text="Extra quota on top of the largest scale.")
    queues = QueueSpecSerializer(
        many=True,
        required=False,
        help_text="Celery executor: its worker queues. `default` is always made: include it to size it.",
    )
    variables = VariableSpecSerializer(many=True, required=False, help_text="Its environment variables.")


class DeploymentUpdateSerializer(StrictSerializer):
    """A partial update: only the fields sent change. Each change bumps `generation` and triggers a reconcile."""

    name = DeploymentNameField(required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    contact_emails = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False)
    cluster = serializers.IntegerField(required=False, allow_null=True)
    airflow_version = AirflowVersionField(required=False)
    image_repository = serializers.CharField(required=False, allow_blank=True)
    image_tag = serializers.CharField(required=False, allow_blank=True)
    executor = ExecutorField(required=False)
    scheduler_size = SchedulerSizeField(required=False)
    scheduler_replicas = WholeNumberField(required=False)
    triggerer_replicas = WholeNumberField(required=False)
    api_server_replicas = WholeNumberField(required=False)
    task_pod_cpu = HundredthsField(required=False)
    task_pod_memory_mib = WholeNumberField(required=False)
    max_task_pods = WholeNumberField(required=False)
    headroom_percent = WholeNumberField(required=False)


# ---------------------------------------------------------------------------------------------------- events


class DeploymentEventSerializer(serializers.ModelSerializer):
    level = serializers.ChoiceField(choices=DeploymentEvent.Level.choices, read_only=True)
    actor = serializers.CharField(
        source="actor_label", read_only=True, help_text="Who caused it: a person or an API token; empty for Aerodrome."
    )

    class Meta:
        model = DeploymentEvent
        fields = ["id", "created_at", "last_seen_at", "count", "level", "reason", "message", "generation", "actor"]
        read_only_fields = fields
        extra_kwargs = {
            "count": {"help_text": "How often it happened: repeats (a retry chain's) are one event."},
            "last_seen_at": {"help_text": "When it last happened, for a repeated event."},
            "reason": {"help_text": "A short word such as Created, Updated, Applied, Unreachable, Failed."},
            "generation": {"help_text": "The Deployment's generation it concerns."},
        }
