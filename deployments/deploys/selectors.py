"""Reads for deploys: a Deployment's history, one deploy's diff against the one before it, what the DAG sync
serves, and the registry credentials a Deployment's pods pull with."""

import hmac
from hashlib import sha256

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from deployments.deploys import bundles
from deployments.deploys.models import Deploy, RegistryCredential


def deployment_deploys(deployment):
    """Its deploys, newest first, with what the list shows."""
    return (
        Deploy.objects.filter(deployment=deployment)
        .select_related("dag_bundle", "result_bundle", "base_bundle", "deployment__workspace__organization")
        .defer("dag_bundle__files", "result_bundle__files", "base_bundle__files")
        .order_by("-created_at", "-id")
    )


def diff(deploy: Deploy) -> dict:
    """What this deploy changes against what ran before it: the image (when it moves) and the DAG files added,
    removed and changed (by content), with their sizes. A deploy not started yet compares with what runs now."""
    if deploy.status == Deploy.Status.QUEUED:
        deployment = deploy.deployment
        base_image, base_bundle = deployment.image, deployment.dag_bundle
        result_image = _pinned(deploy) if deploy.has_image else base_image
        result_bundle = deploy.dag_bundle if deploy.has_dags else base_bundle
    else:
        base_image, base_bundle = deploy.base_image, deploy.base_bundle
        result_image, result_bundle = deploy.result_image, deploy.result_bundle
    image = {"from": base_image, "to": result_image} if base_image != result_image else None
    before = _files(base_bundle)
    after = _files(result_bundle)
    return {"image": image, "files": bundles.diff_files(before, after)}


def rollback_diff(deploy: Deploy) -> dict:
    """What rolling back to `deploy` would change against what runs now (same shape as `diff`)."""
    deployment = deploy.deployment
    image = deployment.image
    image_change = {"from": image, "to": deploy.result_image} if image != deploy.result_image else None
    return {
        "image": image_change,
        "files": bundles.diff_files(_files(deployment.dag_bundle), _files(deploy.result_bundle)),
    }


def _files(bundle) -> dict:
    if bundle is None:
        return {}
    files = bundle.__dict__.get("files")
    if files is None:  # deferred in a list: read it now
        bundle.refresh_from_db(fields=["files"])
        files = bundle.files
    return files


def _pinned(deploy: Deploy) -> str:
    return f"{deploy.image_repository}@{deploy.image_digest}"


def sync_token(deployment) -> str:
    """The Deployment's read-only DAG sync credential: derived from SECRET_KEY and its release, so it needs no
    storage and lasts as long as the Deployment (rotating SECRET_KEY rotates every one at the next reconcile)."""
    message = f"aerodrome-dag-sync:{deployment.release_name}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, sha256).hexdigest()


def sync_url(deployment) -> str:
    """Where its pods ask for the current DAG bundle; empty when Aerodrome does not know its own address."""
    if not settings.SITE_URL:
        return ""
    return settings.SITE_URL.rstrip("/") + f"/dag-sync/{deployment.release_name}/"


def has_registry_credentials():
    """An annotation for a Deployment queryset: whether its workspace or cluster has registry credentials (so
    reconcile reads them only when there are some)."""
    return Exists(
        RegistryCredential.objects.filter(
            Q(workspace_id=OuterRef("workspace_id")) | Q(cluster_id=OuterRef("cluster_id"))
        )
    )


def registry_auths(deployment) -> tuple[tuple[str, str, str], ...]:
    """(registry, username, password) for its pods' image pull secret: the workspace's credentials, then the
    cluster's for registries the workspace has none for."""
    if getattr(deployment, "has_registry_credentials", True) is False:
        return ()
    owners = Q(workspace_id=deployment.workspace_id)
    if deployment.cluster_id:
        owners |= Q(cluster_id=deployment.cluster_id)
    chosen: dict[str, tuple[str, str, str]] = {}
    for credential in RegistryCredential.objects.filter(owners).order_by("workspace_id"):
        if credential.registry not in chosen or credential.workspace_id:
            chosen[credential.registry] = (credential.registry, credential.username, credential.password)
    return tuple(chosen[registry] for registry in sorted(chosen))


def registry_credentials_for(deployment, registry: str):
    """The credentials resolving an image on `registry` uses, or None."""
    for host, username, password in registry_auths(deployment):
        if host == registry:
            from deployments.deploys.registry import Credentials

            return Credentials(username, password)
    return None
