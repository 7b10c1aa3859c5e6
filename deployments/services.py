"""Writes for Deployments, worker queues and environment variables.

Each service checks the actor's role, validates its input, saves, bumps the Deployment's `generation` when the
desired state changes, writes the audit entry, and asks for a reconcile once the transaction commits: nothing
here waits for Kubernetes.
"""

import secrets
from datetime import timedelta

from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import audit
from accounts.models import User
from accounts.permissions import acting_user, require
from aerodrome.validation import ErrorCollector
from deployments import airflow_login, catalog, changes, release_names
from deployments import validation as v
from deployments.models import (
    Cluster,
    Deployment,
    DeploymentEvent,
    EnvironmentVariable,
    WorkerQueue,
)
from workspaces.models import Workspace

# ------------------------------------------------------------------------------------------------- deployments


def _request_reconcile(deployment: Deployment, *, retry: bool = False) -> None:
    """Records, in this transaction, that a reconcile is wanted; it is enqueued once committed, or by the sweep
    when the broker cannot take it (a save never waits on the broker). `retry` starts a fresh retry budget now."""
    from deployments.kube import scheduling

    scheduling.request(deployment.pk, retry=retry)


def _event(deployment: Deployment, reason: str, message: str, *, actor=None, level=DeploymentEvent.Level.INFO):
    return DeploymentEvent.objects.create(
        deployment=deployment,
        reason=reason,
        message=message[:2000],
        level=level,
        generation=deployment.generation,
        actor_label=str(actor) if actor else "",
    )


def _bump(deployment: Deployment, *, actor, message: str, fields: list[str]) -> None:
    """Record a change of desired state: new generation, DEPLOYING, an event, a reconcile on commit."""
    deployment.generation += 1
    if deployment.status not in (Deployment.Status.CREATING, Deployment.Status.DELETING):
        deployment.status = Deployment.Status.DEPLOYING
        deployment.status_reason = message
        deployment.status_changed_at = timezone.now()
    deployment.save(update_fields=[*fields, "generation", "status", "status_reason", "status_changed_at", "updated_at"])
    _event(deployment, "Updated", message, actor=actor)
    _request_reconcile(deployment)


def _locked(deployment: Deployment) -> Deployment:
    """The row, locked for this transaction, so concurrent edits each get their own generation."""
    locked = Deployment.objects.select_for_update().get(pk=deployment.pk)
    if locked.is_deleted:
        raise ValidationError("This Deployment is being deleted; it can no longer be changed.")
    return locked


def _new_secrets() -> dict:
    return {
        "fernet_key": Fernet.generate_key().decode(),
        "api_secret_key": secrets.token_urlsafe(32),
        "jwt_secret": secrets.token_urlsafe(32),
        "redis_password": secrets.token_urlsafe(24),
        "metadata_password": secrets.token_urlsafe(24),
    }


def _clean_cluster_choice(cluster, workspace: Workspace):
    if cluster in (None, ""):
        return None
    if not isinstance(cluster, Cluster):
        cluster = Cluster.objects.filter(pk=cluster).first() if str(cluster).isdigit() else None
    if cluster is None or not Cluster.objects.usable_by(workspace.organization_id).filter(pk=cluster.pk).exists():
        raise ValidationError({"cluster": "Choose one of your organisation's clusters or a platform cluster."})
    return cluster


@transaction.atomic
def deployment_create(
    *,
    actor: User,
    workspace: Workspace,
    name: str,
    description: str = "",
    cluster: Cluster | int | None = None,
    airflow_version: str = catalog.DEFAULT_AIRFLOW_VERSION,
    image_repository: str = "",
    image_tag: str = "",
    executor: str = catalog.Executor.CELERY,
    scheduler_size: str = "SMALL",
    contact_emails=(),
    scaling: dict | None = None,
    queues: list[dict] | None = None,
    variables: list[dict] = (),
) -> Deployment:
    """A new Deployment, fully configured in one go if wanted: `scaling` holds any of v.SCALING_FIELDS (the
    rest keep their defaults), `queues` the Celery worker queues (`default` is always made), `variables` its
    environment variables ({key, value, is_secret}). Every invalid field is reported at once."""
    require(actor, "deployment.create", workspace)
    errors = ErrorCollector()
    name = errors.check(v.clean_deployment_name, name)
    if name and Deployment.objects.live().filter(workspace=workspace, name__iexact=name).exists():
        errors.add("name", f"A Deployment named “{name}” already exists in this workspace.")
    description = errors.check(v.clean_description, description)
    cluster = errors.check(_clean_cluster_choice, cluster, workspace)
    version = errors.check(v.clean_airflow_version, airflow_version)
    repository = errors.check(v.clean_image_repository, image_repository)
    tag = errors.check(v.clean_image_tag, image_tag, airflow_version=version or catalog.DEFAULT_AIRFLOW_VERSION)
    executor = errors.check(v.RESOURCE_FIELDS["executor"], executor)
    scheduler_size = errors.check(v.RESOURCE_FIELDS["scheduler_size"], scheduler_size)
    emails = errors.check(v.clean_contact_emails, contact_emails)
    scaling = v.clean_scaling(errors, scaling or {})
    queues = v.clean_queue_specs(errors, queues, executor=executor)
    variables = v.clean_variable_specs(errors, variables, reserved=_reserved_keys())
    errors.raise_if_any()

    release = release_names.unique(lambda candidate: Deployment.objects.filter(release_name=candidate).exists())
    try:
        with transaction.atomic():
            deployment = Deployment.objects.create(
                workspace=workspace,
                cluster=cluster,
                name=name,
                description=description,
                release_name=release,
                contact_emails=emails,
                created_by=acting_user(actor),  # a token's creator: User columns never hold a token
                airflow_version=version,
                image_repository=repository,
                image_tag=tag,
                executor=executor,
                scheduler_size=scheduler_size,
                generated_secrets=_new_secrets(),
                status_reason="Waiting for the provisioner to pick it up.",
                **scaling,
            )
    except IntegrityError:  # another request took the name between our check and the insert
        raise ValidationError({"name": f"A Deployment named “{name}” already exists in this workspace."}) from None
    airflow_login.oauth_client_create(deployment)  # how people log in to its Airflow, through Aerodrome
    WorkerQueue.objects.bulk_create(WorkerQueue(deployment=deployment, **queue) for queue in queues)
    EnvironmentVariable.objects.bulk_create(EnvironmentVariable(deployment=deployment, **var) for var in variables)
    summary = {"release": release, "airflow_version": version, "executor": executor, "cluster": str(cluster or "")}
    summary |= {key: str(value) for key, value in scaling.items()}
    if queues:
        summary["queues"] = [queue["name"] for queue in queues]
    if variables:
        summary["variables"] = sorted(var["key"] for var in variables)  # never their values
    audit.record(
        actor=actor,
        action="deployment.create",
        target=deployment,
        organization=workspace.organization,
        changes=summary,
    )
    _event(deployment, "Created", f"Created with Airflow {version} and the {executor}.", actor=actor)
    _request_reconcile(deployment)
    return deployment


def clean_settings(deployment: Deployment, fields: dict) -> dict:
    """The settings in `fields`, cleaned for a change of `deployment`. Every invalid field is reported at once."""
    errors = ErrorCollector()
    cleaned = {}
    if "name" in fields:
        cleaned["name"] = name = errors.check(v.clean_deployment_name, fields["name"])
        clash = Deployment.objects.live().filter(workspace=deployment.workspace_id, name__iexact=name)
        if name and clash.exclude(pk=deployment.pk).exists():
            errors.add("name", f"A Deployment named “{name}” already exists in this workspace.")
    if "description" in fields:
        cleaned["description"] = errors.check(v.clean_description, fields["description"])
    if "contact_emails" in fields:
        cleaned["contact_emails"] = errors.check(v.clean_contact_emails, fields["contact_emails"])
    if "airflow_version" in fields:
        cleaned["airflow_version"] = errors.check(
            v.clean_airflow_version, fields["airflow_version"], current=deployment.airflow_version
        )
    if "image_repository" in fields:
        cleaned["image_repository"] = errors.check(v.clean_image_repository, fields["image_repository"])
    if "image_tag" in fields or "airflow_version" in fields:
        version = cleaned.get("airflow_version") or deployment.airflow_version
        tag = fields.get("image_tag")
        if tag is None and deployment.image_tag == catalog.default_image_tag(deployment.airflow_version):
            tag = ""  # the tag followed the version: keep following it
        cleaned["image_tag"] = errors.check(
            v.clean_image_tag, tag if tag is not None else deployment.image_tag, airflow_version=version
        )
    if "cluster" in fields:
        cleaned["cluster"] = errors.check(_clean_cluster_choice, fields["cluster"], deployment.workspace)
    for field, clean in v.RESOURCE_FIELDS.items():
        if field in fields:
            cleaned[field] = errors.check(clean, fields[field])
    errors.raise_if_any()
    return cleaned


def deployment_warnings(deployment: Deployment, fields: dict | None = None) -> list[str]:
    """What the settings allow but is probably a mistake: in the saved settings, or in `fields` applied to them
    (cleaned as an update would clean them, so a ValidationError says what saving them would refuse)."""
    cleaned = clean_settings(deployment, fields) if fields else {}
    version = cleaned.get("airflow_version", deployment.airflow_version)
    tag = v.image_tag_warning(cleaned.get("image_tag", deployment.image_tag), airflow_version=version)
    return [tag] if tag else []


UPDATABLE_FIELDS = {
    "name",
    "description",
    "contact_emails",
    "airflow_version",
    "image_repository",
    "image_tag",
    "cluster",
    *v.RESOURCE_FIELDS,
}


@transaction.atomic
def deployment_update(*, actor: User, deployment: Deployment, **fields) -> Deployment:
    """A partial update: only the given fields change. Anything that alters what runs triggers a reconcile."""
    require(actor, "deployment.update", deployment)
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError({field: "This field cannot be changed." for field in unknown})
    deployment = _locked(deployment)
    cleaned = clean_settings(deployment, fields)
    if "cluster" in cleaned and cleaned["cluster"] != deployment.cluster:
        raise ValidationError({"cluster": "Moving a Deployment to another cluster is not supported yet."})
    before = {key: getattr(deployment, key) for key in cleaned}
    changed = {key: value for key, value in cleaned.items() if before[key] != value}
    if not changed:
        return deployment
    for key, value in changed.items():
        setattr(deployment, key, value)
    audit.record(
        actor=actor,
        action="deployment.update",
        target=deployment,
        organization=deployment.workspace.organization,
        changes={key: [changes.recorded(before[key]), changes.recorded(value)] for key, value in changed.items()},
    )
    airflow_login.oauth_client_sync(deployment)  # another major has another login callback
    fields = list(changed)
    if deployment.image_digest and {"image_repository", "image_tag"} & changed.keys():
        deployment.image_digest = ""  # a tag typed in the settings is no longer what an image deploy pinned
        fields.append("image_digest")
    _bump(deployment, actor=actor, message=changes.described(before, changed), fields=fields)
    return deployment


@transaction.atomic
def deployment_delete(*, actor: User, deployment: Deployment, confirm_name: str) -> Deployment:
    """Soft-deletes: the record stays (for its history) for DELETED_RETENTION_DAYS while provisioning tears
    down its cluster objects and metadata database."""
    require(actor, "deployment.delete", deployment)
    deployment = _locked(deployment)
    if (confirm_name or "").strip() != deployment.name:
        raise ValidationError({"confirm_name": f"Type the Deployment's name, “{deployment.name}”, to delete it."})
    now = timezone.now()
    deployment.deleted_at = now
    deployment.status = Deployment.Status.DELETING
    deployment.status_reason = "Removing its Kubernetes objects and metadata database."
    deployment.status_changed_at = now
    deployment.generation += 1
    deployment.save(update_fields=["deleted_at", "status", "status_reason", "status_changed_at", "generation"])
    airflow_login.oauth_client_delete(deployment)  # nobody logs in to its Airflow through Aerodrome any more
    audit.record(
        actor=actor,
        action="deployment.delete",
        target=deployment,
        organization=deployment.workspace.organization,
        changes={"release": deployment.release_name},
    )
    _event(deployment, "Deleting", "Deletion requested.", actor=actor, level=DeploymentEvent.Level.WARNING)
    _request_reconcile(deployment)
    return deployment


@transaction.atomic
def deployment_request_reconcile(*, actor: User, deployment: Deployment) -> Deployment:
    """Asks provisioning to converge again without changing anything (after fixing the cluster, say): a Failed
    Deployment is retried with a fresh retry budget, and one waiting out a backoff is tried now."""
    require(actor, "deployment.reconcile", deployment)
    deployment = Deployment.objects.select_for_update().get(pk=deployment.pk)  # a deleted one's teardown may retry
    audit.record(
        actor=actor, action="deployment.reconcile", target=deployment, organization=deployment.workspace.organization
    )
    if deployment.status == Deployment.Status.FAILED:
        Status = Deployment.Status
        deployment.status = Status.DEPLOYING if deployment.observed_generation else Status.CREATING
        deployment.status_reason = "Retrying: waiting for the provisioner to pick it up."
        deployment.status_changed_at = timezone.now()
        deployment.save(update_fields=["status", "status_reason", "status_changed_at", "updated_at"])
    _event(deployment, "ReconcileRequested", "Reconcile requested.", actor=actor)
    _request_reconcile(deployment, retry=True)
    return deployment


def purge_deleted(*, now=None) -> int:
    """Removes soft-deleted Deployments past their retention (the platform's own housekeeping)."""
    from django.conf import settings

    cutoff = (now or timezone.now()) - timedelta(days=settings.DELETED_RETENTION_DAYS)
    expired = Deployment.objects.filter(status=Deployment.Status.DELETED, deleted_at__lt=cutoff)
    _, per_model = expired.delete()
    return per_model.get(Deployment._meta.label, 0)


# ------------------------------------------------------------------------------------------------ worker queues


def _require_celery(deployment: Deployment) -> None:
    if not deployment.is_celery:
        raise ValidationError("Worker queues belong to the Celery executor; this Deployment uses Kubernetes pods.")


@transaction.atomic
def queue_create(
    *,
    actor: User,
    deployment: Deployment,
    name: str,
    worker_type=catalog.DEFAULT_WORKER_TYPE,
    min_workers=1,
    max_workers=10,
    concurrency=None,
) -> WorkerQueue:
    require(actor, "deployment.update", deployment)
    deployment = _locked(deployment)
    _require_celery(deployment)
    errors = ErrorCollector()
    name = errors.check(v.clean_queue_name, name)
    if name and deployment.queues.filter(name=name).exists():
        errors.add("name", f"There is already a queue named “{name}”.")
    cleaned = errors.check(
        v.clean_queue,
        worker_type=worker_type,
        min_workers=min_workers,
        max_workers=max_workers,
        concurrency=concurrency,
    )
    errors.raise_if_any()
    queue = WorkerQueue.objects.create(deployment=deployment, name=name, **cleaned)
    audit.record(
        actor=actor,
        action="deployment.queue_create",
        target=deployment,
        organization=deployment.workspace.organization,
        changes={"queue": name, **{key: [None, value] for key, value in cleaned.items()}},
    )
    _bump(deployment, actor=actor, message=f"Added worker queue {name}.", fields=[])
    return queue


@transaction.atomic
def queue_update(*, actor: User, queue: WorkerQueue, **fields) -> WorkerQueue:
    """Partial update of a queue's workers. The name stays: Airflow tasks refer to queues by name."""
    deployment = queue.deployment
    require(actor, "deployment.update", deployment)
    deployment = _locked(deployment)
    _require_celery(deployment)
    queue = deployment.queues.filter(pk=queue.pk).first()  # as stored now: a concurrent change is kept
    if queue is None:
        raise ValidationError({"name": "This queue was removed meanwhile."})
    errors = ErrorCollector()
    if "name" in fields and fields["name"] != queue.name:
        errors.add("name", "A queue cannot be renamed; add a new queue and remove this one.")
    merged = {
        key: fields.get(key, getattr(queue, key))
        for key in ("worker_type", "min_workers", "max_workers", "concurrency")
    }
    if "worker_type" in fields and "concurrency" not in fields:
        old_default = catalog.WORKER_TYPES[queue.worker_type].default_concurrency
        if queue.concurrency == old_default:
            merged["concurrency"] = None  # it followed the type's default: keep following it
    cleaned = errors.check(v.clean_queue, **merged)
    errors.raise_if_any()
    changed = {key: value for key, value in cleaned.items() if getattr(queue, key) != value}
    if not changed:
        return queue
    before = {key: getattr(queue, key) for key in changed}
    for key, value in changed.items():
        setattr(queue, key, value)
    queue.save()
    audit.record(
        actor=actor,
        action="deployment.queue_update",
        target=deployment,
        organization=deployment.workspace.organization,
        changes={"queue": queue.name, **{key: [before[key], value] for key, value in changed.items()}},
    )
    summary = ", ".join(f"{key.replace('_', ' ')} {before[key]} → {value}" for key, value in changed.items())
    _bump(deployment, actor=actor, message=f"Scaled queue {queue.name}: {summary}.", fields=[])
    return queue


@transaction.atomic
def queue_delete(*, actor: User, queue: WorkerQueue) -> None:
    deployment = queue.deployment
    require(actor, "deployment.update", deployment)
    deployment = _locked(deployment)
    if queue.is_default:
        raise ValidationError({"name": "The default queue is required and cannot be removed."})
    queue.delete()
    audit.record(
        actor=actor,
        action="deployment.queue_delete",
        target=deployment,
        organization=deployment.workspace.organization,
        changes={"queue": queue.name},
    )
    _bump(deployment, actor=actor, message=f"Removed worker queue {queue.name}.", fields=[])


# ------------------------------------------------------------------------------------------- environment variables


def _reserved_keys() -> frozenset[str]:
    from deployments.kube.render import EXPECTED_ENV_RESERVED

    return EXPECTED_ENV_RESERVED


class VariableExists(ValidationError):
    """An add (only_new) named a key that is already set; each interface words the remedy its own way."""

    def __init__(self, key: str):
        super().__init__({"key": f"{key} is already set."})
        self.key = key


@transaction.atomic
def variable_set(
    *,
    actor: User,
    deployment: Deployment,
    key: str,
    value: str | None = None,
    is_secret: bool | None = None,
    only_new: bool = False,
) -> EnvironmentVariable:
    """Creates or updates one variable. For an existing secret, value None keeps the stored value, so editing
    other fields never wipes it. A secret stays secret: it cannot be turned back into a plain variable.
    With only_new (an "add" form or POST), an existing key is refused rather than silently overwritten."""
    require(actor, "deployment.manage_variables", deployment)
    deployment = _locked(deployment)
    errors = ErrorCollector()
    key = errors.check(v.clean_env_key, key, reserved=_reserved_keys())
    if value is not None:
        value = errors.check(v.clean_env_value, value)
    errors.raise_if_any()
    variable = deployment.variables.filter(key=key).first()
    if variable is not None and only_new:
        raise VariableExists(key)
    if variable is None:
        if value is None:
            raise ValidationError({"value": "Enter a value."})
        variable = EnvironmentVariable(deployment=deployment, key=key, is_secret=bool(is_secret))
        before = None
    else:
        before = {"value": variable.value, "is_secret": variable.is_secret}
        if variable.is_secret and is_secret is False:
            raise ValidationError({"is_secret": "A secret cannot be made visible; delete it and add it again."})
        if is_secret:
            variable.is_secret = True
    if value is not None:
        variable.value = value
    if before and before == {"value": variable.value, "is_secret": variable.is_secret}:
        return variable
    variable.save()
    # Never the value, plain or secret: a plain variable may be marked secret later, and the trail is kept.
    if before is None:
        summary = {"key": key, "value": "set", "secret": variable.is_secret}
    else:
        summary = {"key": key}
        if before["value"] != variable.value:
            summary["value"] = audit.CHANGED
        secret_changed = before["is_secret"] != variable.is_secret
        summary["secret"] = [before["is_secret"], variable.is_secret] if secret_changed else variable.is_secret
    audit.record(
        actor=actor,
        action="deployment.variable_create" if before is None else "deployment.variable_update",
        target=deployment,
        organization=deployment.workspace.organization,
        changes=summary,
    )
    _bump(deployment, actor=actor, message=f"{'Added' if before is None else 'Changed'} variable {key}.", fields=[])
    return variable


@transaction.atomic
def variable_delete(*, actor: User, variable: EnvironmentVariable) -> None:
    deployment = variable.deployment
    require(actor, "deployment.manage_variables", deployment)
    deployment = _locked(deployment)
    variable.delete()
    audit.record(
        actor=actor,
        action="deployment.variable_delete",
        target=deployment,
        organization=deployment.workspace.organization,
        changes={"key": variable.key},
    )
    _bump(deployment, actor=actor, message=f"Removed variable {variable.key}.", fields=[])
