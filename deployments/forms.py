"""Page forms for clusters, Deployments, worker queues and variables.

They only shape the input (types and the choices on offer); every rule lives in `deployments.services`, whose
ValidationErrors the views put back on these forms next to the field they concern.
"""

from django import forms

from deployments import catalog
from deployments.models import KUBERNETES_VERSIONS, Cluster

BUILT_IN_CLUSTER = "Built-in (manifests only)"


def _text(label=None, **kwargs):
    return forms.CharField(label=label, required=False, strip=False, **kwargs)


def _number(label=None, **kwargs):
    # Text, not IntegerField: the service says what range is allowed, in the same words the API uses.
    return forms.CharField(label=label, required=False, widget=forms.NumberInput, **kwargs)


def cluster_choices(clusters) -> list[tuple[str, str]]:
    return [("", BUILT_IN_CLUSTER)] + [
        (str(c.pk), f"{c.name} · Platform" if c.is_platform else c.name) for c in clusters
    ]


class DeploymentCreateForm(forms.Form):
    name = forms.CharField(label="Name", max_length=500)
    description = _text("Description", widget=forms.Textarea(attrs={"rows": 2}))
    cluster = forms.ChoiceField(label="Cluster", required=False)
    airflow_version = forms.ChoiceField(
        label="Airflow version", choices=[(v, f"Airflow {v}") for v in catalog.AIRFLOW_VERSIONS]
    )
    executor = forms.ChoiceField(label="Executor", choices=catalog.Executor.choices, widget=forms.RadioSelect)
    scheduler_size = forms.ChoiceField(label="Scheduler size", choices=catalog.SCHEDULER_SIZE_CHOICES)
    contact_emails = _text("Contact emails", widget=forms.Textarea(attrs={"rows": 3}))
    image_repository = _text("Image repository")
    image_tag = _text("Image tag")
    confirm_cluster = forms.BooleanField(required=False)  # "create it anyway" on a cluster that did not answer

    def __init__(self, *args, clusters, **kwargs):
        # The organisation's own clusters first (the first of them is the default), then the platform's.
        clusters = sorted(clusters, key=lambda c: (c.is_platform, c.name.lower()))
        self.clusters = {str(c.pk): c for c in clusters}
        kwargs.setdefault(
            "initial",
            {
                "cluster": str(clusters[0].pk) if clusters else "",
                "airflow_version": catalog.DEFAULT_AIRFLOW_VERSION,
                "executor": catalog.Executor.CELERY,
                "scheduler_size": "SMALL",
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["cluster"].choices = cluster_choices(clusters)

    @property
    def cluster_warning(self):
        """The chosen cluster when its last connection test failed: the person confirms before creating on it."""
        cluster = self.clusters.get(str(self["cluster"].value() or ""))
        return cluster if cluster is not None and cluster.last_check_ok is False else None

    def clean(self):
        cleaned = super().clean()
        confirmed = cleaned.pop("confirm_cluster", False)
        cluster = self.cluster_warning
        if cluster is not None and not confirmed:
            self.add_error(
                "confirm_cluster",
                f"Tick the box to create it on {cluster.name} anyway, or choose another cluster.",
            )
        return cleaned

    @property
    def shows_advanced(self) -> bool:
        """Keep the advanced section open when it holds input or an error."""
        fields = ("image_repository", "image_tag")
        return any(self[f].errors for f in fields) or (
            self.is_bound and any(self.data.get(f, "").strip() for f in fields)
        )


class DeploymentSettingsForm(forms.Form):
    name = forms.CharField(label="Name", max_length=500)
    description = _text("Description", widget=forms.Textarea(attrs={"rows": 2}))
    airflow_version = forms.ChoiceField(
        label="Airflow version", choices=[(v, f"Airflow {v}") for v in catalog.AIRFLOW_VERSIONS]
    )
    contact_emails = _text(
        "Contact emails", widget=forms.Textarea(attrs={"rows": 2}), help_text="One address per line or comma."
    )
    image_repository = _text("Image repository")
    image_tag = _text("Image tag")

    @classmethod
    def for_deployment(cls, deployment):
        return cls(
            initial={
                "name": deployment.name,
                "description": deployment.description,
                "airflow_version": deployment.airflow_version,
                "contact_emails": "\n".join(deployment.contact_emails),
                # Blank while they are the defaults, so the tag keeps following the Airflow version.
                "image_repository": ""
                if deployment.image_repository == catalog.DEFAULT_IMAGE_REPOSITORY
                else deployment.image_repository,
                "image_tag": ""
                if deployment.image_tag == catalog.default_image_tag(deployment.airflow_version)
                else deployment.image_tag,
            }
        )


class ResourcesForm(forms.Form):
    executor = forms.ChoiceField(label="Executor", choices=catalog.Executor.choices, widget=forms.RadioSelect)
    scheduler_size = forms.ChoiceField(label="Scheduler size", choices=catalog.SCHEDULER_SIZE_CHOICES)
    scheduler_replicas = _number("Scheduler replicas")
    triggerer_replicas = _number("Triggerer replicas")
    api_server_replicas = _number("API server replicas")
    task_pod_cpu = _number("Task pod CPU")
    task_pod_memory_mib = _number("Task pod memory")
    max_task_pods = _number("Maximum task pods")
    headroom_percent = _number("Extra quota headroom")

    KUBERNETES_ONLY = ("task_pod_cpu", "task_pod_memory_mib", "max_task_pods")

    @classmethod
    def for_deployment(cls, deployment):
        initial = {name: getattr(deployment, name) for name in cls.base_fields}
        initial["task_pod_cpu"] = f"{deployment.task_pod_cpu.normalize():f}"  # 0.5, not 0.50
        return cls(initial=initial)

    def changes(self) -> dict:
        """What to hand the service: the task pod fields only when the Kubernetes executor is chosen (they are
        hidden, and not saved, for the Celery executor)."""
        data = dict(self.cleaned_data)
        if data.get("executor") != catalog.Executor.KUBERNETES:
            for name in self.KUBERNETES_ONLY:
                data.pop(name, None)
        return data


class QueueForm(forms.Form):
    name = _text("Queue name")
    worker_type = forms.ChoiceField(
        label="Worker type", choices=catalog.WORKER_TYPE_CHOICES, initial=catalog.DEFAULT_WORKER_TYPE
    )
    min_workers = _number("Minimum workers", initial=1)
    max_workers = _number("Maximum workers", initial=10)
    concurrency = _number("Concurrency")

    def values(self, *, with_name: bool) -> dict:
        data = dict(self.cleaned_data)
        data["concurrency"] = (data.get("concurrency") or "").strip() or None  # blank: the worker type's default
        if not with_name:
            data.pop("name", None)
        return data


class VariableForm(forms.Form):
    key = _text("Key")
    value = _text("Value")
    is_secret = forms.BooleanField(label="Secret", required=False)


class DeleteForm(forms.Form):
    confirm_name = forms.CharField(label="Type the Deployment's name to confirm", max_length=500)


class ClusterForm(forms.Form):
    name = forms.CharField(label="Name", max_length=500)
    auth = forms.ChoiceField(label="Authentication", choices=Cluster.Auth.choices, initial=Cluster.Auth.KUBECONFIG)
    kubeconfig = _text("Kubeconfig", widget=forms.Textarea(attrs={"rows": 8}))
    kubernetes_version = forms.ChoiceField(
        label="Kubernetes version", choices=[(v, v) for v in KUBERNETES_VERSIONS], initial=KUBERNETES_VERSIONS[0]
    )
    ingress_base_domain = _text("Ingress base domain")
    prometheus_url = _text("Prometheus URL")
    alertmanager_url = _text("Alertmanager URL", help_text="Silences set from a Deployment's page are created here.")
    prometheus_rule_labels = _text(
        "Selector labels",
        help_text="Labels your Prometheus selects PrometheusRule and PodMonitor objects by (its ruleSelector and "
        "podMonitorSelector), e.g. release=kube-prometheus-stack; every Deployment's alert rules and scrape config "
        "carry them.",
    )
    monitoring_namespace = _text(
        "Monitoring namespace", help_text="Where Prometheus runs: it may scrape each Deployment's statsd exporter."
    )
    database_admin_url = _text("Database admin URL")
    tls_mode = forms.ChoiceField(
        label="HTTPS",
        choices=catalog.TLSMode.choices,
        initial=catalog.TLSMode.NONE,
        widget=forms.RadioSelect,
        required=False,
    )
    tls_cluster_issuer = _text("cert-manager ClusterIssuer")
    tls_certificate = _text("Wildcard certificate", widget=forms.Textarea(attrs={"rows": 5}))
    tls_private_key = _text("Private key", widget=forms.Textarea(attrs={"rows": 5}))

    WRITE_ONLY = ("kubeconfig", "database_admin_url", "tls_certificate", "tls_private_key")

    def __init__(self, *args, cluster=None, **kwargs):
        if cluster is not None:
            kwargs.setdefault(
                "initial",
                {
                    name: getattr(cluster, name)
                    for name in (
                        "name",
                        "auth",
                        "kubernetes_version",
                        "ingress_base_domain",
                        "prometheus_url",
                        "alertmanager_url",
                        "prometheus_rule_labels",
                        "monitoring_namespace",
                        "tls_mode",
                        "tls_cluster_issuer",
                    )
                },
            )
        else:
            kwargs.setdefault(
                "initial",
                {
                    "auth": Cluster.Auth.KUBECONFIG,
                    "tls_mode": catalog.TLSMode.NONE,
                    "monitoring_namespace": "monitoring",
                },
            )
        super().__init__(*args, **kwargs)
        self.cluster = cluster

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("tls_mode"):  # not posted: the TLS setting stays as it is
            for name in ("tls_mode", "tls_cluster_issuer", "tls_certificate", "tls_private_key"):
                cleaned.pop(name, None)
        return cleaned
