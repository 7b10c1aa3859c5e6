"""The admin site for platform staff: clusters, Deployments and their provisioning events.

Changes go through `deployments.services` (the same checks, audit entries and reconciles as the pages and the
API). Secrets stay write-only here too: a cluster's kubeconfig and database admin URL are never put back into a
form (blank keeps them), secret variables show as masked, and a Deployment's generated secrets, its status and
its generation are never editable.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.html import format_html, format_html_join

from aerodrome.admin_helpers import (
    BOTH_LOCATIONS,
    SERVICE_ERRORS,
    ReadOnly,
    ServiceBackedAdmin,
    adopt,
    apply_each,
    changelist_link,
    error_text,
    fresh,
)
from aerodrome.subqueries import count_of
from aerodrome.views import add_errors
from deployments import airflow_login, catalog, cluster_services, selectors, services
from deployments import quota as quotas  # `quota` is also a column of the changelist below
from deployments.models import (
    KUBERNETES_VERSIONS,
    Cluster,
    Deployment,
    DeploymentEvent,
    EnvironmentVariable,
    WorkerQueue,
)

MASKED = "•••••••• (secret)"
RECENT_EVENTS = 10


def _audit_link(obj, label: str):
    from accounts.models import AuditEvent

    if obj.pk is None:
        return "—"
    return changelist_link(AuditEvent, label, target_type=obj._meta.model_name, target_id=obj.pk)


# --- Clusters --------------------------------------------------------------------------------------------------

# What a cluster form hands to `cluster_services.cluster_create` / `cluster_update` (the organisation is fixed
# once saved).
CLUSTER_SETTINGS = (
    "name",
    "auth",
    "kubeconfig",
    "kubernetes_version",
    "ingress_base_domain",
    "prometheus_url",
    "database_admin_url",
    "tls_mode",
    "tls_cluster_issuer",
    "tls_certificate",
    "tls_private_key",
)
WRITE_ONLY = ("kubeconfig", "database_admin_url", "tls_certificate", "tls_private_key")


class WriteOnlyTextarea(forms.Textarea):
    """A textarea that is never filled in: not with the stored value, not with a rejected submission."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


class ClusterForm(forms.ModelForm):
    kubeconfig = forms.CharField(
        required=False,
        strip=False,
        widget=WriteOnlyTextarea(attrs={"rows": 8, "autocomplete": "off", "spellcheck": "false"}),
        help_text="Write-only: the stored kubeconfig is never shown. Leave blank to keep it.",
    )
    database_admin_url = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        label="Database admin URL",
        help_text="postgresql://… of a role that may create the Deployments' metadata databases. "
        "Write-only: leave blank to keep the stored one.",
    )
    tls_certificate = forms.CharField(
        required=False,
        strip=False,
        label="Wildcard certificate",
        widget=WriteOnlyTextarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="CERTIFICATE mode: a certificate for *.<ingress base domain> (PEM, leaf first, then its chain), "
        "written into each Deployment's namespace. Leave blank to keep the stored one (see TLS below).",
    )
    tls_private_key = forms.CharField(
        required=False,
        strip=False,
        label="Private key",
        widget=WriteOnlyTextarea(attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false"}),
        help_text="The certificate's key (PEM, no passphrase). Write-only and encrypted: leave blank to keep it.",
    )

    class Meta:
        model = Cluster
        fields = ("organization", *CLUSTER_SETTINGS)
        widgets = {"kubernetes_version": forms.Select(choices=[(v, v) for v in KUBERNETES_VERSIONS])}
        help_texts = {"organization": "Leave empty for a platform cluster, which serves every organisation."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in WRITE_ONLY:
            self.initial[name] = ""  # never in the page; blank means "unchanged"

    def clean(self):
        cleaned = super().clean()
        stored = self.instance if self.instance.pk else None
        fields = {name: cleaned[name] for name in CLUSTER_SETTINGS if name in cleaned}
        try:
            # The service's own checks, so its messages show next to their fields instead of after the save.
            cluster_services.clean_cluster(fields, cluster=stored, organization=cleaned.get("organization"))
        except ValidationError as error:
            add_errors(self, error)
        return cleaned


class IsNullFilter(admin.SimpleListFilter):
    """Two options: `field` is empty (the first) or set (the second). Subclasses name the field and options."""

    field = ""
    options: tuple[tuple[str, str], tuple[str, str]]  # not `choices`: SimpleListFilter has a method of that name

    def lookups(self, request, model_admin):
        return list(self.options)

    def queryset(self, request, queryset):
        (empty, _), (present, _) = self.options
        if self.value() in (empty, present):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == empty})
        return queryset


class ClusterOwnerFilter(IsNullFilter):
    title, parameter_name, field = "owner", "owner", "organization"
    options = (("platform", "Platform"), ("organization", "An organisation"))


@admin.register(Cluster)
class ClusterAdmin(ServiceBackedAdmin):
    form = ClusterForm
    list_display = (
        "name",
        "owner",
        "kubernetes_version",
        "auth",
        "ingress_base_domain",
        "tls",
        "last_check",
        "deployment_count",
        "created_at",
    )
    list_select_related = ("organization",)
    list_filter = (ClusterOwnerFilter, "kubernetes_version", "auth", "tls_mode", "last_check_ok", "organization")
    search_fields = ("name", "ingress_base_domain", "organization__name", "organization__slug")
    autocomplete_fields = ("organization",)
    readonly_fields = (
        "stored_certificate",
        "stored_secrets",
        "last_checked_at",
        "last_check_ok",
        "last_check_message",
        "deployment_count",
        "created_at",
        "audit_trail",
    )
    fieldsets = (
        (None, {"fields": ("organization", "name", "ingress_base_domain", "prometheus_url", "monitoring_namespace")}),
        (
            "HTTPS for the Airflow UI",
            {"fields": ("tls_mode", "tls_cluster_issuer", "tls_certificate", "tls_private_key", "stored_certificate")},
        ),
        (
            "Connection",
            {
                "fields": (
                    "auth",
                    "kubernetes_version",
                    "kubeconfig",
                    "database_admin_url",
                    "stored_secrets",
                    "last_checked_at",
                    "last_check_ok",
                    "last_check_message",
                )
            },
        ),
        ("Elsewhere", {"fields": ("deployment_count", "created_at", "audit_trail")}),
    )
    actions = ["delete_selected", "test_connection"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(live_deployments=count_of(Deployment, "cluster", deleted_at=None))

    def get_readonly_fields(self, request, obj=None):
        # Moving a cluster to another organisation would strand its Deployments: not offered.
        return ("organization", *self.readonly_fields) if obj is not None else self.readonly_fields

    @admin.display(description="Organisation", ordering="organization__name")
    def owner(self, cluster):
        return cluster.organization or "Platform"

    @admin.display(description="Last check", ordering="last_checked_at")
    def last_check(self, cluster):
        if cluster.last_checked_at is None:
            return "never"
        outcome = "ok" if cluster.last_check_ok else "failed"
        when = cluster.last_checked_at.strftime("%Y-%m-%d %H:%M")
        return format_html('<span title="{}">{} · {}</span>', cluster.last_check_message, outcome, when)

    @admin.display(description="Live Deployments", ordering="live_deployments")
    def deployment_count(self, cluster):
        if cluster.pk is None:
            return "—"
        count = getattr(cluster, "live_deployments", None)
        return changelist_link(Deployment, "—" if count is None else count, cluster__id__exact=cluster.pk, deleted="no")

    @admin.display(description="HTTPS", ordering="tls_mode")
    def tls(self, cluster):
        info = cluster.tls_certificate_info
        detail = cluster.tls_cluster_issuer or (info and info.describe())
        return f"{cluster.get_tls_mode_display()}: {detail}" if detail else cluster.get_tls_mode_display()

    @admin.display(description="Stored certificate")
    def stored_certificate(self, cluster):
        info = cluster.tls_certificate_info
        key = "key stored" if cluster.tls_private_key else "no key"
        return f"{info.describe()}; {key}" if info else "none"

    @admin.display(description="Stored credentials")
    def stored_secrets(self, cluster):
        def state(value):
            return "stored" if value else "none"

        return f"kubeconfig: {state(cluster.kubeconfig)}; database admin URL: {state(cluster.database_admin_url)}"

    @admin.display(description="Audit trail")
    def audit_trail(self, cluster):
        return _audit_link(cluster, "Entries about this cluster")

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in CLUSTER_SETTINGS if name in form.cleaned_data}
        if change:
            cluster_services.cluster_update(actor=request.user, cluster=fresh(obj), **fields)
        else:
            organization = form.cleaned_data.get("organization")
            adopt(obj, cluster_services.cluster_create(actor=request.user, organization=organization, **fields))

    def delete_refusals(self, request, objs):
        return [refusal for refusal in map(cluster_services.cluster_delete_refusal, objs) if refusal]

    def delete_model(self, request, obj):
        cluster_services.cluster_delete(actor=request.user, cluster=obj)

    @admin.action(permissions=["change"], description="Test connection", location=BOTH_LOCATIONS)
    def test_connection(self, request, queryset):
        for cluster in queryset.select_related("organization"):
            try:
                cluster_services.cluster_test_connection(actor=request.user, cluster=cluster)
            except SERVICE_ERRORS as error:
                self.message_user(request, f"{cluster}: {error_text(error)}", messages.ERROR)
                continue
            level = messages.SUCCESS if cluster.last_check_ok else messages.WARNING
            self.message_user(request, f"{cluster}: {cluster.last_check_message}", level)


# --- Deployments -----------------------------------------------------------------------------------------------

# What staff may change on a Deployment, through `services.deployment_update` (moving it to another cluster is
# not supported; status, generation and generated secrets belong to provisioning).
DEPLOYMENT_SETTINGS = (
    "name",
    "description",
    "contact_emails",
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
)
assert set(DEPLOYMENT_SETTINGS) <= services.UPDATABLE_FIELDS


class DeploymentForm(forms.ModelForm):
    contact_emails = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="One address per line."
    )

    class Meta:
        model = Deployment
        fields = DEPLOYMENT_SETTINGS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["contact_emails"] = "\n".join(self.instance.contact_emails or [])
        versions = list(catalog.AIRFLOW_VERSIONS)
        if self.instance.airflow_version and self.instance.airflow_version not in versions:
            versions.append(self.instance.airflow_version)  # an old version stays selectable as it is
        if "airflow_version" in self.fields:
            self.fields["airflow_version"].widget = forms.Select(choices=[(v, v) for v in versions])

    def clean(self):
        cleaned = super().clean()
        changed = {name: cleaned[name] for name in self.changed_data if name in cleaned}
        if changed and self.instance.pk:
            try:
                # The service's own checks, so its messages show next to their fields.
                services.clean_settings(fresh(self.instance), changed)
            except ValidationError as error:
                add_errors(self, error)
        return cleaned


class DeletedFilter(IsNullFilter):
    title, parameter_name, field = "deleted", "deleted", "deleted_at"
    options = (("no", "Live"), ("yes", "Deleted"))


class _ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0
    can_delete = False


class WorkerQueueInline(_ReadOnlyInline):
    model = WorkerQueue
    fields = ("name", "worker_type", "min_workers", "max_workers", "concurrency", "updated_at")
    readonly_fields = fields
    verbose_name_plural = "Worker queues (change them on the Deployment's page or through the API)"


class EnvironmentVariableInline(_ReadOnlyInline):
    model = EnvironmentVariable
    fields = ("key", "shown_value", "is_secret", "updated_at")
    readonly_fields = fields
    verbose_name_plural = "Environment variables (secret values are never shown)"

    @admin.display(description="Value")
    def shown_value(self, variable):
        if variable.is_secret:
            return MASKED
        value = variable.value
        return value if len(value) <= 200 else value[:199] + "…"


@admin.register(Deployment)
class DeploymentAdmin(ServiceBackedAdmin):
    form = DeploymentForm
    list_display = (
        "name",
        "workspace",
        "organization",
        "status",
        "airflow_version",
        "executor",
        "cluster_label",
        "generations",
        "updated_at",
    )
    list_select_related = ("workspace__organization", "cluster")
    list_filter = ("status", "executor", "airflow_version", "cluster", DeletedFilter)
    search_fields = (
        "name",
        "release_name",
        "workspace__name",
        "workspace__organization__name",
        "workspace__organization__slug",
    )
    date_hierarchy = "created_at"
    readonly_fields = (
        "workspace",
        "organization",
        "cluster_label",
        "release_name",
        "namespace",
        "ui_link",
        "created_by",
        "created_at",
        "updated_at",
        "quota",
        "status",
        "status_reason",
        "status_changed_at",
        "generation",
        "observed_generation",
        "last_reconciled_at",
        "deleted_at",
        "recent_events",
        "audit_trail",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "description",
                    "contact_emails",
                    "workspace",
                    "organization",
                    "cluster_label",
                    "release_name",
                    "namespace",
                    "ui_link",
                    "created_by",
                    "created_at",
                    "updated_at",
                )
            },
        ),
        (
            "Desired state (saving bumps the generation and reconciles)",
            {
                "fields": (
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
                    "quota",
                )
            },
        ),
        (
            "Status (set by provisioning)",
            {
                "fields": (
                    "status",
                    "status_reason",
                    "status_changed_at",
                    "generation",
                    "observed_generation",
                    "last_reconciled_at",
                    "deleted_at",
                )
            },
        ),
        ("History", {"fields": ("recent_events", "audit_trail")}),
    )
    inlines = [WorkerQueueInline, EnvironmentVariableInline]
    actions = ["reconcile_now", "rotate_oauth_client"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("workspace__organization", "cluster", "created_by")

    def has_add_permission(self, request):
        return False  # created by users in their workspace (pages or API), where a release name is chosen

    def has_delete_permission(self, request, obj=None):
        return False  # deletion is a soft delete with a teardown, done from the Deployment's page or the API

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_deleted:
            return False  # being torn down: nothing left to change
        return super().has_change_permission(request, obj)

    @admin.display(description="Organisation", ordering="workspace__organization__name")
    def organization(self, deployment):
        return deployment.workspace.organization

    @admin.display(description="Cluster", ordering="cluster__name")
    def cluster_label(self, deployment):
        return deployment.cluster or "— manifests only —"

    @admin.display(description="Generation / observed")
    def generations(self, deployment):
        return f"{deployment.generation} / {deployment.observed_generation}"

    @admin.display(description="Namespace")
    def namespace(self, deployment):
        return deployment.namespace

    @admin.display(description="Airflow UI")
    def ui_link(self, deployment):
        url = deployment.ui_url
        return format_html('<a href="{}" rel="noopener">{}</a>', url, url) if url else "—"

    @admin.display(description="Resource quota")
    def quota(self, deployment):
        if deployment.pk is None:
            return "—"
        figures = quotas.for_deployment(deployment)
        return f"{figures.cpu} CPU, {figures.memory_mib} MiB memory, {figures.pods} pods"

    @admin.display(description="Recent events")
    def recent_events(self, deployment):
        if deployment.pk is None:
            return "—"
        events = selectors.recent_events(deployment, RECENT_EVENTS)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (f"{e.created_at:%Y-%m-%d %H:%M:%S}", e.level, e.reason, e.message, e.actor_label or "platform")
                for e in events
            ),
        )
        link = changelist_link(DeploymentEvent, "All events", deployment__id__exact=deployment.pk)
        return format_html("<table><tbody>{}</tbody></table>{}", rows, link)

    @admin.display(description="Audit trail")
    def audit_trail(self, deployment):
        return _audit_link(deployment, "Entries about this Deployment")

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in DEPLOYMENT_SETTINGS}
        if change and fields:
            services.deployment_update(actor=request.user, deployment=fresh(obj), **fields)

    @admin.action(permissions=["change"], description="Reconcile now", location=BOTH_LOCATIONS)
    def reconcile_now(self, request, queryset):
        def reconcile(deployment):
            services.deployment_request_reconcile(actor=request.user, deployment=deployment)
            return True

        rows = queryset.select_related("workspace__organization")
        apply_each(self, request, rows, reconcile, done="Asked provisioning to reconcile {count} {items}.")

    @admin.action(
        permissions=["change"], description="Rotate the Airflow login client's secret", location=BOTH_LOCATIONS
    )
    def rotate_oauth_client(self, request, queryset):
        def rotate(deployment):
            airflow_login.oauth_client_rotate(actor=request.user, deployment=deployment)
            return True

        rows = queryset.filter(deleted_at__isnull=True).select_related("workspace__organization")
        apply_each(self, request, rows, rotate, done="Rotated the Airflow login secret of {count} {items}.")


# --- Events ----------------------------------------------------------------------------------------------------


class LevelFilter(admin.SimpleListFilter):
    title = "problems"
    parameter_name = "problems"

    def lookups(self, request, model_admin):
        return [("yes", "Warnings and errors")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(Q(level=DeploymentEvent.Level.WARNING) | Q(level=DeploymentEvent.Level.ERROR))
        return queryset


@admin.register(DeploymentEvent)
class DeploymentEventAdmin(ReadOnly, admin.ModelAdmin):
    """What provisioning reported: a record, so nobody edits or deletes it here."""

    list_display = ("created_at", "deployment", "level", "reason", "short_message", "generation", "actor_label")
    list_select_related = ("deployment",)
    list_filter = ("level", LevelFilter, "reason")
    search_fields = ("deployment__name", "deployment__release_name", "reason", "message")
    date_hierarchy = "created_at"
    show_full_result_count = False  # events grow without bound; skip the unfiltered COUNT(*)
    fields = ("created_at", "deployment", "level", "reason", "message", "generation", "actor_label")
    readonly_fields = fields

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        return {}  # not even delete_selected

    @admin.display(description="Message")
    def short_message(self, event):
        return event.message if len(event.message) <= 120 else event.message[:119] + "…"


from deployments.deploys import admin as deploys_admin  # noqa: E402,F401 - registers the deploys admin
