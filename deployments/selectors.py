"""Reads for Deployments: what pages list, and the plain spec provisioning renders from."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce

from accounts.selectors import in_period
from aerodrome.subqueries import count_of
from deployments import airflow_login
from deployments.deploys import selectors as deploys
from deployments.kube import contributions
from deployments.kube.spec import DeploymentSpec, GeneratedSecrets, MetadataDatabase, QueueSpec, TLSSpec
from deployments.models import Cluster, Deployment, DeploymentEvent, WorkerQueue

# What lists of Deployments never show: the stored manifest (kilobytes a row) and the secrets that would otherwise
# be decrypted for every row as it loads (the Deployment's generated secrets, its cluster's credentials and TLS
# private key, with the certificate that goes with it).
NOT_LISTED = (
    "applied_manifest",
    "generated_secrets",
    "cluster__kubeconfig",
    "cluster__database_admin_url",
    "cluster__tls_private_key",
    "cluster__tls_certificate",
)


# A list's queues, prefetched into Deployment.queue_list.
LISTED_QUEUES = Prefetch("queues", to_attr="listed_queues")


def for_listing(deployments):
    """Deployments with their cluster, without the columns a list does not show (NOT_LISTED)."""
    return deployments.select_related("cluster").defer(*NOT_LISTED)


# The columns of the workspace page's Deployment rows (deployment_tags.deployment_rows): a row loads these, not the
# Deployment's other fifty-odd columns and its cluster's.
CARD_COLUMNS = (
    "name",
    "description",
    "release_name",
    "airflow_version",
    "executor",
    "status",
    "updated_at",
    "workspace",
    "cluster",
    "cluster__name",
)


def live_deployment_count():
    """How many live Deployments a workspace has, as an expression over a workspace row (its page's count)."""
    return count_of(Deployment, "workspace", deleted_at__isnull=True)


def workspace_deployments(*, actor, workspace):
    """Live Deployments of a workspace the actor can see, with what its page's rows show (CARD_COLUMNS and the
    number of queues), in a fixed number of queries."""
    # The queue count is a subquery, not a join grouped over every row: the page's count (Paginator) leaves it out,
    # and it is computed for the rows of the page only.
    queue_count = (
        WorkerQueue.objects.filter(deployment=OuterRef("pk")).order_by().values("deployment").annotate(n=Count("*"))
    )
    return (
        Deployment.objects.for_actor(actor)
        .live()
        .filter(workspace=workspace)
        .select_related("cluster")
        .only(*CARD_COLUMNS)
        .annotate(queue_count=Coalesce(Subquery(queue_count.values("n")), 0))
        .order_by("name")
    )


def deployment_events(deployment: Deployment, *, level=None, reason=None, since=None, until=None):
    """The Deployment's events, newest first; `since`/`until` are dates (whole days) or datetimes."""
    events = DeploymentEvent.objects.filter(deployment=deployment).order_by("-created_at", "-id")
    if level:
        events = events.filter(level=level)
    if reason:
        events = events.filter(reason=reason)
    return in_period(events, since=since, until=until)


def recent_events(deployment: Deployment, limit: int = 50):
    return DeploymentEvent.objects.filter(deployment=deployment).order_by("-created_at", "-id")[:limit]


def clusters_for(*, actor, organization):
    """The clusters a Deployment of this organisation may run on."""
    return Cluster.objects.for_actor(actor).usable_by(organization).order_by("organization_id", "name")


def database_name(release_name: str) -> str:
    return "airflow_" + release_name.replace("-", "_")


def metadata_database(deployment: Deployment) -> MetadataDatabase:
    """Where the Deployment's metadata database lives: the cluster's PostgreSQL, or (manifests only) the host a
    GitOps user is expected to provide."""
    admin_url = deployment.cluster.database_admin_url if deployment.cluster_id else ""
    if admin_url:
        parts = urlsplit(admin_url)
        host, port = parts.hostname or "localhost", parts.port or 5432
    else:
        host, port = settings.MANIFESTS_ONLY_DATABASE_HOST, 5432
    name = database_name(deployment.release_name)
    return MetadataDatabase(host=host, port=port, name=name, user=name)


def deployment_spec(deployment: Deployment, *, queues=None, variables=None) -> DeploymentSpec:
    """The plain desired state render() needs. Pass prefetched queues/variables to save queries."""
    queues = deployment.queues.all() if queues is None else queues
    variables = deployment.variables.all() if variables is None else variables
    cluster = deployment.cluster
    generated = deployment.generated_secrets
    return DeploymentSpec(
        id=deployment.pk,
        release_name=deployment.release_name,
        name=deployment.name,
        organization_slug=deployment.workspace.organization.slug,
        workspace_id=deployment.workspace_id,
        generation=deployment.generation,
        airflow_version=deployment.airflow_version,
        image_repository=deployment.image_repository,
        image_tag=deployment.image_tag,
        executor=deployment.executor,
        scheduler_size=deployment.scheduler_size,
        scheduler_replicas=deployment.scheduler_replicas,
        triggerer_replicas=deployment.triggerer_replicas,
        api_server_replicas=deployment.api_server_replicas,
        queues=tuple(
            QueueSpec(q.name, q.worker_type, q.min_workers, q.max_workers, q.concurrency)
            for q in sorted(queues, key=lambda q: q.name)
        )
        if deployment.is_celery
        else (),
        task_pod_cpu=deployment.task_pod_cpu,
        task_pod_memory_mib=deployment.task_pod_memory_mib,
        max_task_pods=deployment.max_task_pods,
        headroom_percent=deployment.headroom_percent,
        env=tuple(sorted((var.key, var.value) for var in variables)),
        secrets=GeneratedSecrets(**generated),
        database=metadata_database(deployment),
        ingress_domain=cluster.ingress_base_domain if cluster else settings.MANIFESTS_ONLY_INGRESS_DOMAIN,
        kubernetes_version=cluster.kubernetes_version if cluster else "1.34",
        contact_emails=tuple(deployment.contact_emails),
        oauth_client_id=deployment.oauth_client.client_id if deployment.oauth_client_id else "",
        oidc_issuer=airflow_login.issuer(),
        tls=tls_spec(cluster),
        monitoring_namespace=cluster.monitoring_namespace if cluster and cluster.prometheus_url else "",
        alert_rules=contributions.alert_rules(deployment),  # provided by the monitoring app
        image_digest=deployment.image_digest,
        dag_sync_url=deploys.sync_url(deployment),
        dag_sync_token=deploys.sync_token(deployment),
        dag_sync_interval=settings.DAG_SYNC_INTERVAL_SECONDS,
        registry_auths=deploys.registry_auths(deployment),
    )


def tls_spec(cluster) -> TLSSpec:
    """The cluster's TLS setting for render (none on the built-in manifests-only cluster)."""
    if cluster is None:
        return TLSSpec()
    return TLSSpec(
        mode=cluster.tls_mode,
        cluster_issuer=cluster.tls_cluster_issuer,
        certificate=cluster.tls_certificate,
        private_key=cluster.tls_private_key,
    )


def cluster_for(actor, organization, pk, permission: str | None = None) -> Cluster:
    """A cluster `organization` may use (its own or the platform's) that the actor can see (404 otherwise), then
    403 below `permission`."""
    from accounts.tenancy import get_for_actor

    clusters = Cluster.objects.usable_by(organization)
    return get_for_actor(clusters, actor, view_permission="cluster.view", permission=permission, pk=pk)


def deployment_for(actor, organization, pk, permission: str | None = None) -> Deployment:
    """A live Deployment of `organization` the actor can see (404 otherwise), then 403 below `permission`."""
    from accounts.tenancy import get_for_actor

    deployments = (
        Deployment.objects.live()
        .filter(workspace__organization=organization)
        .select_related("workspace__organization", "cluster", "created_by")
    )
    return get_for_actor(deployments, actor, view_permission="deployment.view", permission=permission, pk=pk)
