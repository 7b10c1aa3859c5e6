"""Writes for deploys. A deploy resolves and checks everything it needs (the image's digest from the registry,
the DAG archive's contents) before anything changes; then, in one transaction with its audit entry, it is queued
behind the Deployment's running deploy or started at once. Starting pins the image (a new generation, rolled out
by reconcile) and/or publishes the DAG bundle (the pods' sync sidecars fetch it: no pod spec changes). A deploy
that changed the image is DEPLOYED when provisioning observes that generation healthy (`observed`, called by
reconcile's `set_status`) and FAILED with provisioning's reason otherwise; then the next queued deploy starts.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.permissions import acting_user, is_token, require
from deployments import services as deployment_services
from deployments.deploys import bundles, registry
from deployments.deploys import selectors as deploy_selectors
from deployments.deploys.models import DagBundle, Deploy, RegistryCredential
from deployments.models import Deployment, DeploymentEvent

Status = Deploy.Status
# Provisioning's statuses that settle a deploy waiting for its generation.
SETTLING = {
    Deployment.Status.HEALTHY: Status.DEPLOYED,
    Deployment.Status.RENDERED: Status.DEPLOYED,
    Deployment.Status.UNHEALTHY: Status.FAILED,
    Deployment.Status.FAILED: Status.FAILED,
}


def _who(actor) -> dict:
    if is_token(actor):
        return {"deployed_by": acting_user(actor), "deployed_by_label": actor.name, "deployed_by_kind": "token"}
    return {"deployed_by": acting_user(actor), "deployed_by_label": str(actor), "deployed_by_kind": "user"}


def _clean_description(description) -> str:
    description = (description or "").strip()
    if len(description) > 1000:
        raise ValidationError({"description": "A description is at most 1,000 characters."})
    return description


def resolve_image(deployment: Deployment, image: str) -> tuple[registry.Reference, str]:
    """The image's reference and its digest now, asking the registry with the credentials set for it."""
    try:
        ref = registry.parse(image)
        credentials = deploy_selectors.registry_credentials_for(deployment, ref.registry)
        return registry.resolve(ref, credentials)
    except registry.RegistryError as error:
        raise ValidationError({"image": str(error)}) from None


def check_bundle(upload) -> bundles.Checked:
    name = getattr(upload, "name", "") or ""
    if name and not (name.endswith(".tar.gz") or name.endswith(".tgz")):
        raise ValidationError({"dags": "Upload the DAGs folder as a .tar.gz archive."})
    try:
        return bundles.check(upload)
    except ValidationError as error:
        raise ValidationError({"dags": error.messages}) from None


def deploy_create(*, actor, deployment: Deployment, image: str = "", dags=None, description: str = "") -> Deploy:
    """A deploy of an image (`registry/repository:tag` or `...@sha256:...`), a DAG archive (an uploaded
    `.tar.gz`), or both. Nothing changes when the registry does not know the image or the archive is refused."""
    require(actor, "deployment.deploy", deployment)
    description = _clean_description(description)
    image = (image or "").strip()
    if not image and dags is None:
        raise ValidationError({"image": "Name an image, upload a DAG archive (dags), or both."})
    if deployment.is_deleted:
        raise ValidationError("This Deployment is being deleted; it can no longer be deployed to.")
    resolved = resolve_image(deployment, image) if image else None
    checked = check_bundle(dags) if dags is not None else None
    if checked is not None:
        bundles.store(dags, checked.sha256)  # content-addressed: storing twice is harmless, and outside the lock
    kind = Deploy.Kind.IMAGE_AND_DAGS if image and checked else Deploy.Kind.IMAGE if image else Deploy.Kind.DAGS
    fields = {"kind": kind, "image": image, "description": description}
    if resolved:
        ref, digest = resolved
        fields |= {"image_repository": ref.name, "image_tag": ref.tag, "image_digest": digest}
    return _create(actor=actor, deployment=deployment, fields=fields, checked=checked)


@transaction.atomic
def _create(*, actor, deployment: Deployment, fields: dict, checked, rolled_back_from=None, bundle=None) -> Deploy:
    deployment = deployment_services._locked(deployment)  # deploys to one Deployment are ordered by this lock
    if checked is not None:
        bundle, _ = DagBundle.objects.get_or_create(
            sha256=checked.sha256,
            defaults={"size": checked.size, "file_count": checked.file_count, "files": checked.files},
        )
    deploy = Deploy.objects.create(
        deployment=deployment, dag_bundle=bundle, rolled_back_from=rolled_back_from, **fields, **_who(actor)
    )
    summary = {"kind": deploy.kind}
    if deploy.image_digest:
        summary["image"] = f"{deploy.image_repository}@{deploy.image_digest}"
    if bundle is not None:
        summary["dag_bundle"] = bundle.sha256
    if rolled_back_from is not None:
        summary["rolled_back_from"] = rolled_back_from.pk
    action = "deploy.rollback" if rolled_back_from is not None else "deploy.create"
    audit.record(
        actor=actor, action=action, target=deploy, organization=deployment.workspace.organization, changes=summary
    )
    running = Deploy.objects.filter(deployment=deployment, status=Status.DEPLOYING).exclude(pk=deploy.pk)
    if running.exists():
        deploy.status_reason = "Waiting for the deploy before it to finish."
        deploy.save(update_fields=["status_reason"])
    else:
        _start(deploy, deployment)
    return deploy


@transaction.atomic
def deploy_rollback(*, actor, deploy: Deploy, description: str = "") -> Deploy:
    """A new deploy restoring what `deploy` left running: its image (by digest) and its DAG bundle. Environment
    variables, resources and other settings stay as they are."""
    deployment = deploy.deployment
    require(actor, "deployment.deploy", deployment)
    description = _clean_description(description) or f"Rollback to deploy #{deploy.pk}"
    if deploy.status != Status.DEPLOYED:
        raise ValidationError("Only a deploy that was deployed can be rolled back to.")
    repository, _, digest = deploy.result_image.partition("@")
    tag = deploy.image_tag
    if not digest:  # it ran an unpinned repository:tag (before any image deploy)
        repository, _, tag = deploy.result_image.rpartition(":")
    fields = {
        "kind": Deploy.Kind.IMAGE_AND_DAGS,
        "image": deploy.result_image,
        "image_repository": repository,
        "image_tag": tag,
        "image_digest": digest,
        "description": description,
    }
    return _create(
        actor=actor,
        deployment=deployment,
        fields=fields,
        checked=None,
        rolled_back_from=deploy,
        bundle=deploy.result_bundle,
    )


def _start(deploy: Deploy, deployment: Deployment) -> None:
    """Applies the deploy to the (locked) Deployment: the image pinned (a new generation to roll out) and/or the
    DAG bundle published. Settles it at once when nothing needs rolling out."""
    now = timezone.now()
    deploy.base_image, deploy.base_bundle = deployment.image, deployment.dag_bundle
    image_changed = False
    if deploy.has_image:
        wanted = (deploy.image_repository, deploy.image_digest)
        image_changed = wanted != (deployment.image_repository, deployment.image_digest) or (
            not deploy.image_digest and deploy.image_tag != deployment.image_tag
        )
        if image_changed:
            deployment.image_repository = deploy.image_repository
            deployment.image_tag = deploy.image_tag or deployment.image_tag
            deployment.image_digest = deploy.image_digest
    if deploy.has_dags and deployment.dag_bundle_id != deploy.dag_bundle_id:
        deployment.dag_bundle = deploy.dag_bundle
        deployment.save(update_fields=["dag_bundle", "updated_at"])
    if image_changed:
        message = f"Deploy #{deploy.pk}: image {deployment.image}."
        deployment_services._bump(
            deployment,
            actor=deploy.deployed_by_label,
            message=message,
            fields=["image_repository", "image_tag", "image_digest"],
        )
    deploy.result_image, deploy.result_bundle = deployment.image, deployment.dag_bundle
    deploy.generation = deployment.generation
    deploy.status = Status.DEPLOYING
    deploy.started_at = now
    deploy.status_reason = "Rolling out the new image." if image_changed else ""
    deploy.save()
    if image_changed:
        _event(deployment, deploy, "DeployStarted", f"Deploy #{deploy.pk} started: rolling out {deployment.image}.")
        return
    if deploy.has_dags and deploy.has_image:
        reason = "The image was already running; the DAG bundle is published to every pod's DAG sync."
    elif deploy.has_dags:
        reason = (
            f"Published: every pod's DAG sync swaps to it within {settings.DAG_SYNC_INTERVAL_SECONDS} s; "
            "no pod restarts."
        )
    else:
        reason = "The image was already running: nothing to roll out."
    _finish(deploy, deployment, Status.DEPLOYED, reason)


def _event(deployment, deploy: Deploy, reason: str, message: str, level=DeploymentEvent.Level.INFO):
    DeploymentEvent.objects.create(
        deployment=deployment,
        reason=reason,
        message=message[:2000],
        level=level,
        generation=deployment.generation,
        actor_label=deploy.deployed_by_label,
    )


def _finish(deploy: Deploy, deployment: Deployment, status: str, reason: str) -> None:
    deploy.status, deploy.status_reason, deploy.finished_at = status, reason[:1000], timezone.now()
    deploy.save(update_fields=["status", "status_reason", "finished_at"])
    if status == Status.DEPLOYED:
        _event(deployment, deploy, "Deployed", f"Deploy #{deploy.pk} deployed. {reason}", DeploymentEvent.Level.SUCCESS)
    else:
        _event(deployment, deploy, "DeployFailed", f"Deploy #{deploy.pk} failed: {reason}", DeploymentEvent.Level.ERROR)
    following = Deploy.objects.filter(deployment=deployment, status=Status.QUEUED).order_by("created_at", "id")
    following = following.exclude(pk=deploy.pk).first()
    if following is not None:
        _start(following, deployment)


def observed(deployment_id: int, status: str, reason: str, generation: int | None) -> None:
    """Provisioning set the Deployment's status: settle the deploys waiting for that generation (or an older one).
    HEALTHY (or RENDERED without a cluster) deploys them; UNHEALTHY or FAILED fails them with provisioning's
    reason. A status for an older generation settles nothing newer."""
    if status == Deployment.Status.DELETED:
        _abandon(deployment_id)
        return
    outcome = SETTLING.get(status)
    if outcome is None:
        return
    with transaction.atomic():
        if not Deploy.objects.filter(deployment_id=deployment_id, status=Status.DEPLOYING).exists():
            return
        deployment = Deployment.objects.select_for_update().filter(pk=deployment_id).first()
        if deployment is None:
            return
        generation = deployment.generation if generation is None else generation
        waiting = Deploy.objects.filter(
            deployment=deployment, status=Status.DEPLOYING, generation__lte=generation
        ).order_by("created_at", "id")
        for deploy in waiting:
            if outcome == Status.DEPLOYED:
                text = "The rollout is healthy." if status == Deployment.Status.HEALTHY else reason
            elif status == Deployment.Status.UNHEALTHY:
                text = f"The rollout did not become healthy within {settings.READINESS_TIMEOUT_SECONDS} s: {reason}"
            else:
                text = reason
            _finish(deploy, deployment, outcome, text)


def _abandon(deployment_id: int) -> None:
    """The Deployment is gone: its unfinished deploys fail, and none starts."""
    Deploy.objects.filter(deployment_id=deployment_id, status__in=Deploy.ACTIVE).update(
        status=Status.FAILED, status_reason="The Deployment was deleted.", finished_at=timezone.now()
    )


# ------------------------------------------------------------------------------------------------- registries


def clean_registry_host(value) -> str:
    """A registry host as pods and image references name it (lowercase `host[:port]`), or a clear error."""
    host = (value or "").strip().lower()
    if not host:
        raise ValidationError({"registry": "Enter the registry's host, e.g. ghcr.io or registry.example.com:5000."})
    if "://" in host:
        raise ValidationError({"registry": f"Enter only the host, without “{host.split('://')[0]}://”."})
    if "/" in host:
        raise ValidationError(
            {"registry": "Enter only the host, without a path: credentials cover every repository of a registry."}
        )
    if len(host) > 255 or not registry.HOST.match(host):
        raise ValidationError(
            {"registry": f"“{host}” is not a registry host: letters, digits, dots and hyphens, then :port if any."}
        )
    return host


def _clean_username(username) -> str:
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": "Enter the username (for a token, whatever the registry expects)."})
    if len(username) > 255 or any(c.isspace() or c == ":" for c in username):
        raise ValidationError({"username": "A username has no spaces nor “:” and is at most 255 characters."})
    return username


def _clean_password(password) -> str:
    if not password:
        raise ValidationError({"password": "Enter the password or access token."})
    if len(password) > 4096 or any(c in "\r\n" for c in password):
        raise ValidationError({"password": "A password or token is one line of at most 4,096 characters."})
    return password


def _owner_of(*, actor, workspace, cluster):
    """The workspace or cluster the credentials belong to, once the actor may manage its credentials."""
    if (workspace is None) == (cluster is None):
        raise ValueError("Registry credentials belong to a workspace or a cluster.")
    if workspace is not None:
        require(actor, "registry_credential.manage", workspace)
        return workspace
    require(actor, "cluster.manage", cluster)
    return cluster


def _reconcile_users_of(credential: RegistryCredential) -> None:
    """Every live Deployment the credentials concern renders its image pull secret again."""
    owner = (
        {"workspace_id": credential.workspace_id} if credential.workspace_id else {"cluster_id": credential.cluster_id}
    )
    for deployment in Deployment.objects.live().filter(**owner):
        deployment_services._request_reconcile(deployment)


def _audit(actor, action: str, credential: RegistryCredential, changes: dict) -> None:
    owner = credential.workspace or credential.cluster
    audit.record(actor=actor, action=action, target=credential, organization=owner.organization, changes=changes)


def _set_by(actor) -> dict:
    label = actor.name if is_token(actor) else str(actor)
    return {"set_by": acting_user(actor), "set_by_label": label[:254]}


@transaction.atomic
def registry_credential_create(
    *, actor, registry_host: str, username: str, password: str, workspace=None, cluster=None
) -> RegistryCredential:
    """New credentials for pods of a workspace's Deployments (its operators) or of a cluster's (the organisation's
    owners) to pull from `registry_host`. One set per registry: a second is refused (edit the first). The password
    is encrypted and never shown again; every Deployment concerned renders its image pull secret again."""
    _owner_of(actor=actor, workspace=workspace, cluster=cluster)
    host = clean_registry_host(registry_host)
    username = _clean_username(username)
    password = _clean_password(password)
    owner = {"workspace": workspace} if workspace is not None else {"cluster": cluster}
    if RegistryCredential.objects.filter(registry=host, **owner).exists():
        where = "this workspace" if workspace is not None else "this cluster"
        raise ValidationError({"registry": f"{host} already has credentials in {where}; edit them instead."})
    credential = RegistryCredential.objects.create(
        registry=host, username=username, password=password, **owner, **_set_by(actor)
    )
    _audit(actor, "registry_credential.set", credential, {"registry": host, "username": username, "password": "set"})
    _reconcile_users_of(credential)
    return credential


@transaction.atomic
def registry_credential_update(
    *, actor, credential: RegistryCredential, username: str | None = None, password: str | None = None
) -> RegistryCredential:
    """Changes the username and/or the password (None or blank keeps the stored password). The registry stays:
    moving stored credentials to another host would hand them to that host without anyone typing them again."""
    _owner_of(actor=actor, workspace=credential.workspace, cluster=credential.cluster)
    credential = RegistryCredential.objects.select_for_update().get(pk=credential.pk)
    changes = {}
    if username is not None:
        username = _clean_username(username)
        if username != credential.username:
            changes["username"] = [credential.username, username]
            credential.username = username
    if password:
        credential.password = _clean_password(password)
        changes["password"] = "replaced"
    if not changes:
        return credential
    for field, value in _set_by(actor).items():
        setattr(credential, field, value)
    credential.save()
    _audit(actor, "registry_credential.set", credential, {"registry": credential.registry, **changes})
    _reconcile_users_of(credential)
    return credential


@transaction.atomic
def registry_credential_delete(*, actor, credential: RegistryCredential) -> None:
    """Removes the credentials; the Deployments concerned render their pull secret without them (images already
    on a node keep running; pulling them again from a private registry then fails)."""
    _owner_of(actor=actor, workspace=credential.workspace, cluster=credential.cluster)
    _audit(
        actor,
        "registry_credential.delete",
        credential,
        {"registry": credential.registry, "username": credential.username},
    )
    _reconcile_users_of(credential)
    credential.delete()
