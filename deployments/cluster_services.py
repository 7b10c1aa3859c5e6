"""Writes for clusters: their settings (validated, every invalid field at once, tenant addresses under the
outbound policy), creation, changes, deletion and the connection test. Each checks the actor's role and writes the
audit entry."""

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.models import Organization, User
from accounts.permissions import require
from aerodrome.validation import ErrorCollector, clean_name
from deployments import metadata_db, tls
from deployments import validation as v
from deployments.models import KUBERNETES_VERSIONS, Cluster, Deployment


def _clean_kubeconfig(text: str) -> str:
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValidationError({"kubeconfig": f"This is not valid YAML: {str(error).splitlines()[0]}"}) from None
    except (ValueError, RecursionError):  # a value YAML reads but Python cannot hold: a 5000-digit number, 13th month
        raise ValidationError({"kubeconfig": "This is not valid YAML."}) from None
    sections = ("clusters", "contexts", "users")
    if not isinstance(parsed, dict) or not all(isinstance(parsed.get(key), list) and parsed[key] for key in sections):
        raise ValidationError({"kubeconfig": "A kubeconfig needs clusters, contexts and users."})
    contexts = {c.get("name") for c in parsed["contexts"] if isinstance(c, dict) and isinstance(c.get("name"), str)}
    current = parsed.get("current-context")
    if not isinstance(current, str) or current not in contexts:
        raise ValidationError({"kubeconfig": "Set current-context to one of the kubeconfig's contexts."})
    local = v.kubeconfig_local_references(parsed)
    if local:
        raise ValidationError(
            {
                "kubeconfig": f"Remove {', '.join(local)}: Aerodrome never runs commands or reads files a kubeconfig "
                "names. Put the credentials in it (token, client-certificate-data, client-key-data, "
                "certificate-authority-data)."
            }
        )
    return text


def clean_cluster(fields: dict, *, cluster: Cluster | None = None, organization: Organization | None = None) -> dict:
    """The cluster settings in `fields`, cleaned, for a new cluster of `organization` (None: a platform cluster)
    or a change of `cluster`. Every invalid field is reported at once."""
    errors = ErrorCollector()
    owner = cluster.organization if cluster else organization
    cleaned = {}
    if "name" in fields:
        cleaned["name"] = name = errors.check(clean_name, fields["name"])
        clash = Cluster.objects.filter(organization=owner, name__iexact=name).exclude(pk=getattr(cluster, "pk", None))
        if name and clash.exists():
            errors.add("name", f"A cluster named “{name}” already exists.")
    if "auth" in fields:
        cleaned["auth"] = errors.check(
            v.clean_choice, fields["auth"], Cluster.Auth.choices, field="auth", what="authentication"
        )
    if fields.get("kubeconfig"):  # write-only: blank keeps the stored one
        cleaned["kubeconfig"] = errors.check(_clean_kubeconfig, fields["kubeconfig"])
    if "kubernetes_version" in fields:
        cleaned["kubernetes_version"] = errors.check(
            v.clean_choice,
            fields["kubernetes_version"],
            KUBERNETES_VERSIONS,
            field="kubernetes_version",
            what="Kubernetes version",
        )
    if "ingress_base_domain" in fields:
        cleaned["ingress_base_domain"] = errors.check(v.clean_domain, fields["ingress_base_domain"])
    if "prometheus_url" in fields:
        cleaned["prometheus_url"] = errors.check(
            v.clean_url, fields["prometheus_url"], field="prometheus_url", what="Prometheus URL"
        )
    if "monitoring_namespace" in fields:
        cleaned["monitoring_namespace"] = errors.check(v.clean_namespace, fields["monitoring_namespace"])
    if fields.get("database_admin_url"):  # write-only too
        url = errors.check(
            v.clean_url,
            fields["database_admin_url"],
            field="database_admin_url",
            schemes=("postgres", "postgresql"),
            what="PostgreSQL URL",
        )
        if url and not metadata_db.usable_url(url):
            errors.add(
                "database_admin_url", "PostgreSQL cannot read this URL: check its port, parameters and %-escapes."
            )
        cleaned["database_admin_url"] = url
    if any(name in fields for name in tls.FIELDS) or "ingress_base_domain" in fields:
        # The certificate is checked against the domain, so a new domain re-checks the stored certificate.
        domain = cleaned.get("ingress_base_domain", getattr(cluster, "ingress_base_domain", None))
        cleaned.update(tls.clean_tls(errors, fields, cluster=cluster, domain=domain))
    is_platform = cluster.is_platform if cluster else organization is None
    if not errors.has("auth"):
        auth = cleaned.get("auth", cluster.auth if cluster else Cluster.Auth.KUBECONFIG)
        if auth == Cluster.Auth.IN_CLUSTER and not is_platform:
            # In-cluster credentials are the platform's own service account: only staff may hand those out.
            errors.add("auth", "Only platform clusters can use in-cluster credentials; paste a kubeconfig.")
        has_kubeconfig = fields.get("kubeconfig") or (cluster and cluster.kubeconfig)
        if auth == Cluster.Auth.KUBECONFIG and not has_kubeconfig:
            errors.add("kubeconfig", "Paste the kubeconfig Aerodrome should use for this cluster.")
    if not is_platform:  # only the addresses that are valid so far
        errors.check(v.refuse_outbound_addresses, {key: value for key, value in cleaned.items() if value})
    errors.raise_if_any()
    return cleaned


def _cluster_summary(cleaned: dict) -> dict:
    """What the audit log may say about a cluster change: secrets only as 'changed'."""
    return tls.summary(
        {key: ("(changed)" if key in ("kubeconfig", "database_admin_url") else value) for key, value in cleaned.items()}
    )


@transaction.atomic
def cluster_create(*, actor: User, organization: Organization | None, **fields) -> Cluster:
    """An organisation's own cluster (owners), or a platform cluster (organization=None, staff only)."""
    if organization is None:
        if not getattr(actor, "is_superuser", False):
            raise ValidationError("Only platform staff can add platform clusters.")
    else:
        require(actor, "cluster.manage", organization)
    fields.setdefault("name", "")
    fields.setdefault("ingress_base_domain", "")
    cleaned = clean_cluster(fields, organization=organization)
    cluster = Cluster.objects.create(organization=organization, **cleaned)
    audit.record(
        actor=actor,
        action="cluster.create",
        target=cluster,
        organization=organization,
        changes=_cluster_summary(cleaned),
    )
    return cluster


def _require_cluster_manager(actor, cluster: Cluster) -> None:
    if cluster.is_platform:
        if not getattr(actor, "is_superuser", False):
            raise ValidationError("Platform clusters are managed by platform staff.")
    else:
        require(actor, "cluster.manage", cluster.organization)


@transaction.atomic
def cluster_update(*, actor: User, cluster: Cluster, **fields) -> Cluster:
    _require_cluster_manager(actor, cluster)
    cleaned = clean_cluster(fields, cluster=cluster)
    changed = {key: value for key, value in cleaned.items() if getattr(cluster, key) != value}
    for key, value in changed.items():
        setattr(cluster, key, value)
    if changed:
        cluster.save()
        audit.record(
            actor=actor,
            action="cluster.update",
            target=cluster,
            organization=cluster.organization,
            changes=_cluster_summary(changed),
        )
        # Deployments on it pick up a new domain or database on their next reconcile.
        from deployments.kube import scheduling

        for deployment_id in cluster.deployments.live().values_list("pk", flat=True):
            scheduling.request(deployment_id)
    return cluster


def cluster_delete_refusal(cluster: Cluster) -> str | None:
    """Why the cluster cannot be removed yet, or None."""
    in_use = cluster.deployments.live().count()
    if in_use:
        return f"{in_use} Deployment(s) still run on {cluster}; move or delete them first."
    # A deleted Deployment's teardown needs the cluster to remove its namespace and metadata database.
    tearing_down = cluster.deployments.filter(status=Deployment.Status.DELETING).count()
    if tearing_down:
        return f"{tearing_down} deleted Deployment(s) are still being removed from {cluster}; try again shortly."
    return None


@transaction.atomic
def cluster_delete(*, actor: User, cluster: Cluster) -> None:
    _require_cluster_manager(actor, cluster)
    refusal = cluster_delete_refusal(cluster)
    if refusal:
        raise ValidationError(refusal)
    audit.record(actor=actor, action="cluster.delete", target=cluster, organization=cluster.organization)
    cluster.deployments.all().update(cluster=None)  # soft-deleted records keep their history
    cluster.delete()


def cluster_test_connection(*, actor: User, cluster: Cluster) -> Cluster:
    """Calls the cluster's `/version` and records the outcome (not in a transaction: it waits on the network)."""
    from deployments.kube import clusters

    _require_cluster_manager(actor, cluster)
    ok, message = clusters.check(cluster)
    with transaction.atomic():
        cluster.last_checked_at = timezone.now()
        cluster.last_check_ok = ok
        cluster.last_check_message = message[:500]
        cluster.save(update_fields=["last_checked_at", "last_check_ok", "last_check_message"])
        audit.record(
            actor=actor,
            action="cluster.test_connection",
            target=cluster,
            organization=cluster.organization,
            changes={"result": message[:200]},
        )
    return cluster
