"""Converging a cluster to a Deployment's desired state, like a Kubernetes controller.

`run(deployment_id)` renders every object, applies only those that are missing or differ from what we last
applied (each carries a hash of its rendered content, so an unchanged Deployment costs reads and no writes),
prunes objects we own that are no longer wanted, creates the metadata database, records `observed_generation`,
and then observes readiness. A lease on the row keeps two workers off the same Deployment. Deletion tears
everything down. Status and events are written with targeted updates so a user's concurrent edit (a new
generation) is never overwritten; when the generation moves during a run, the run goes round again.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from deployments import metadata_db, selectors
from deployments.kube import checks, clusters, render
from deployments.kube.gateway import ObjectRef
from deployments.models import Deployment, DeploymentEvent

logger = logging.getLogger(__name__)

HASH_ANNOTATION = "aerodrome.io/applied-hash"
LEASE = timedelta(minutes=10)
Status = Deployment.Status


class Busy(Exception):
    """Another worker is reconciling this Deployment right now."""


class InvalidRender(Exception):
    """render() produced objects our own checks reject: a bug on our side, never worth retrying."""


@dataclass
class Outcome:
    status: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    pruned: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------- bookkeeping


def acquire(deployment_id: int) -> bool:
    now = timezone.now()
    free = Q(reconcile_lease_until__isnull=True) | Q(reconcile_lease_until__lt=now)
    return Deployment.objects.filter(free, pk=deployment_id).update(reconcile_lease_until=now + LEASE) == 1


def release(deployment_id: int) -> None:
    Deployment.objects.filter(pk=deployment_id).update(reconcile_lease_until=None)


def event(deployment_id: int, reason: str, message: str, *, level=DeploymentEvent.Level.INFO, generation=None):
    DeploymentEvent.objects.create(
        deployment_id=deployment_id, reason=reason, message=message[:2000], level=level, generation=generation
    )


def set_status(deployment_id: int, status: str, reason: str, *, generation: int | None = None, **fields) -> bool:
    """Sets status unless the desired state moved on (when `generation` is given). Returns whether it did."""
    rows = Deployment.objects.filter(pk=deployment_id)
    if generation is not None:
        rows = rows.filter(generation=generation)
    current = rows.values_list("status", "status_reason").first()
    if current is None:
        return False
    if current != (status, reason[:1000]):
        fields |= {"status": status, "status_reason": reason[:1000], "status_changed_at": timezone.now()}
    return rows.update(**fields) == 1 if fields else True


def fail(deployment_id: int, reason: str) -> None:
    set_status(deployment_id, Status.FAILED, reason)
    event(deployment_id, "Failed", reason, level=DeploymentEvent.Level.ERROR)


# --------------------------------------------------------------------------------------------------- the steps


def stamp(obj: dict) -> dict:
    """The object with a hash of its rendered content, so the next run can tell it is unchanged."""
    digest = hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()
    stamped = {**obj, "metadata": {**obj["metadata"]}}
    stamped["metadata"]["annotations"] = {**obj["metadata"].get("annotations", {}), HASH_ANNOTATION: digest}
    return stamped


def _label(ref: ObjectRef) -> str:
    return f"{ref.kind}/{ref.name}"


def current_objects(gateway, spec) -> dict[ObjectRef, dict]:
    """Everything we own for this Deployment that the cluster holds now."""
    namespace = gateway.get(ObjectRef("v1", "Namespace", None, spec.namespace))
    if namespace is None:
        return {}  # nothing namespaced can exist without it
    found = {ObjectRef.of(namespace): namespace}
    selector = render.owned_selector(spec)
    for api_version, kind in render.MANAGED_KINDS:
        if kind == "Namespace":
            continue
        for obj in gateway.list(api_version, kind, spec.namespace, selector):
            found[ObjectRef.of(obj)] = obj
    return found


def apply(gateway, spec, objects: list[dict]) -> Outcome:
    outcome = Outcome(status=Status.DEPLOYING)
    existing = current_objects(gateway, spec)
    wanted = set()
    for obj in objects:
        desired = stamp(obj)
        ref = ObjectRef.of(desired)
        wanted.add(ref)
        live = existing.get(ref)
        live_hash = ((live or {}).get("metadata", {}).get("annotations") or {}).get(HASH_ANNOTATION)
        if live_hash == desired["metadata"]["annotations"][HASH_ANNOTATION]:
            outcome.unchanged += 1
            continue
        gateway.apply(desired)
        (outcome.updated if live else outcome.created).append(_label(ref))
    # Prune what we own but no longer render (a removed queue, the other executor's objects), never the
    # namespace itself.
    for ref, obj in existing.items():
        owned = (obj.get("metadata", {}).get("labels") or {}).get(render.LABEL_MANAGED) == "aerodrome"
        if ref not in wanted and ref.kind != "Namespace" and owned:
            gateway.delete(ref)
            outcome.pruned.append(_label(ref))
    return outcome


def readiness(gateway, spec) -> list[str]:
    """The workloads not ready yet, as 'name ready/wanted'; empty when everything is up."""
    waiting = []
    for api_version, kind in (("apps/v1", "Deployment"), ("apps/v1", "StatefulSet")):
        for obj in gateway.list(api_version, kind, spec.namespace, render.owned_selector(spec)):
            wanted = obj.get("spec", {}).get("replicas", 1)
            ready = (obj.get("status") or {}).get("readyReplicas", 0)
            if ready < wanted:
                waiting.append(f"{obj['metadata']['name']} {ready}/{wanted}")
    return sorted(waiting)


def _ensure_database(deployment, spec) -> None:
    admin_url = deployment.cluster.database_admin_url if deployment.cluster_id else ""
    if not admin_url:
        return
    created = metadata_db.ensure(
        admin_url, name=spec.database.name, user=spec.database.user, password=spec.secrets.metadata_password
    )
    if created:
        event(
            deployment.pk,
            "DatabaseCreated",
            f"Created metadata database {spec.database.name}.",
            generation=spec.generation,
        )


def _load(deployment_id: int) -> Deployment | None:
    return (
        Deployment.objects.select_related("cluster", "workspace__organization")
        .prefetch_related("queues", "variables")
        .filter(pk=deployment_id)
        .first()
    )


def _summary(outcome: Outcome) -> str:
    parts = [f"{len(outcome.created)} created", f"{len(outcome.updated)} updated", f"{outcome.unchanged} unchanged"]
    if outcome.pruned:
        parts.append(f"{len(outcome.pruned)} pruned ({', '.join(outcome.pruned[:5])})")
    return ", ".join(parts)


def _converge(deployment: Deployment) -> Outcome:
    spec = selectors.deployment_spec(deployment, queues=deployment.queues.all(), variables=deployment.variables.all())
    objects = render.render(spec)
    problems = checks.problems(objects)
    if problems:
        raise InvalidRender("; ".join(problems[:3]))
    now = timezone.now()
    if deployment.cluster_id is None:
        manifest = render.to_yaml(render.redact(objects))
        set_status(
            deployment.pk,
            Status.RENDERED,
            f"{len(objects)} objects rendered; no cluster is configured, so nothing was applied.",
            generation=spec.generation,
            observed_generation=spec.generation,
            applied_manifest=manifest,
            last_reconciled_at=now,
        )
        event(
            deployment.pk, "Rendered", f"Rendered {len(objects)} objects (manifests only).", generation=spec.generation
        )
        return Outcome(status=Status.RENDERED, unchanged=len(objects))

    gateway = clusters.gateway_for(deployment.cluster)
    _ensure_database(deployment, spec)
    outcome = apply(gateway, spec, objects)
    recorded = {"observed_generation": spec.generation, "last_reconciled_at": now}
    if outcome.created or outcome.updated or outcome.pruned or not deployment.applied_manifest:
        recorded["applied_manifest"] = render.to_yaml(render.redact(objects))  # costly: only when it changed
    Deployment.objects.filter(pk=deployment.pk).update(**recorded)
    if outcome.created or outcome.updated or outcome.pruned:
        event(
            deployment.pk,
            "Applied",
            f"Applied generation {spec.generation}: {_summary(outcome)}.",
            generation=spec.generation,
        )
    outcome.status = observe(deployment.pk, gateway=gateway, spec=spec)
    return outcome


def observe(deployment_id: int, *, gateway=None, spec=None) -> str:
    """Sets HEALTHY when every workload is ready; otherwise DEPLOYING until READINESS_TIMEOUT_SECONDS since the
    last apply, then UNHEALTHY. Returns the status it set."""
    deployment = _load(deployment_id)
    if deployment is None or deployment.is_deleted or deployment.cluster_id is None:
        return deployment.status if deployment else Status.DELETED
    if deployment.observed_generation != deployment.generation:
        return deployment.status  # a newer desired state is not applied yet: its reconcile observes it
    spec = spec or selectors.deployment_spec(deployment)
    gateway = gateway or clusters.gateway_for(deployment.cluster)
    waiting = readiness(gateway, spec)
    generation = deployment.generation
    if not waiting:
        if deployment.status != Status.HEALTHY:
            event(
                deployment_id,
                "Healthy",
                "Every component is ready.",
                level=DeploymentEvent.Level.SUCCESS,
                generation=generation,
            )
        set_status(deployment_id, Status.HEALTHY, "Every component is ready.", generation=generation)
        return Status.HEALTHY
    since = deployment.last_reconciled_at or deployment.status_changed_at
    reason = f"Waiting for {', '.join(waiting[:4])}{' and more' if len(waiting) > 4 else ''} to become ready."
    if timezone.now() - since > timedelta(seconds=settings.READINESS_TIMEOUT_SECONDS):
        if deployment.status != Status.UNHEALTHY:
            event(deployment_id, "Unhealthy", reason, level=DeploymentEvent.Level.WARNING, generation=generation)
        set_status(deployment_id, Status.UNHEALTHY, reason, generation=generation)
        return Status.UNHEALTHY
    status = deployment.status if deployment.status == Status.UNHEALTHY else Status.DEPLOYING
    set_status(deployment_id, status, reason, generation=generation)
    return status


def teardown(deployment: Deployment) -> None:
    """Removes every object we own, the namespace, and the metadata database; then marks the record DELETED."""
    if deployment.cluster_id:
        spec = selectors.deployment_spec(deployment)
        gateway = clusters.gateway_for(deployment.cluster)
        existing = current_objects(gateway, spec)
        for ref in existing:
            if ref.kind != "Namespace":
                gateway.delete(ref)
        gateway.delete(ObjectRef("v1", "Namespace", None, spec.namespace))
        event(
            deployment.pk, "Removed", f"Deleted {len(existing)} Kubernetes objects and the namespace {spec.namespace}."
        )
        if deployment.cluster.database_admin_url:
            metadata_db.drop(deployment.cluster.database_admin_url, name=spec.database.name, user=spec.database.user)
            event(deployment.pk, "DatabaseDropped", f"Dropped metadata database {spec.database.name}.")
    set_status(
        deployment.pk,
        Status.DELETED,
        "Deleted. The record is kept for its history, then purged.",
        observed_generation=deployment.generation,
        last_reconciled_at=timezone.now(),
    )
    message = (
        "Everything was torn down."
        if deployment.cluster_id
        else "Deleted; it ran on no cluster, so nothing else was removed."
    )
    event(deployment.pk, "Deleted", message, level=DeploymentEvent.Level.SUCCESS)


def run(deployment_id: int) -> Outcome | None:
    """Converges the Deployment, going round again if its desired state changed meanwhile. Raises Busy when
    another worker holds the lease, GatewayError/DatabaseUnavailable for the task to handle."""
    if not acquire(deployment_id):
        raise Busy(deployment_id)
    try:
        outcome = None
        for _ in range(5):  # a bounded number of catch-ups; the sweep handles anything beyond
            deployment = _load(deployment_id)
            if deployment is None or deployment.status == Status.DELETED:
                return None
            if deployment.is_deleted:
                teardown(deployment)
                return Outcome(status=Status.DELETED)
            outcome = _converge(deployment)
            if not Deployment.objects.filter(pk=deployment_id, generation__gt=deployment.generation).exists():
                break
        return outcome
    finally:
        release(deployment_id)


def due_for_sweep(now=None):
    """Deployments the periodic sweep should reconcile: generation not yet observed, being deleted, or with a
    status older than RECONCILE_STALE_SECONDS (missing objects are recreated and health re-checked; an in-place
    edit of an object we applied keeps our hash annotation and is not detected); none that are leased.

    A rollout (DEPLOYING) is left to its readiness watch (the observe task), which ends within
    READINESS_TIMEOUT_SECONDS: a reconcile restarts the readiness clock, so sweeping it every
    RECONCILE_STALE_SECONDS would keep one that never becomes ready DEPLOYING (and watched once more) for ever."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.RECONCILE_STALE_SECONDS)
    unwatched = stale - timedelta(seconds=settings.READINESS_TIMEOUT_SECONDS)
    free = Q(reconcile_lease_until__isnull=True) | Q(reconcile_lease_until__lt=now)
    lagging = Q(observed_generation__lt=F("generation"))
    deleting = Q(status=Status.DELETING)
    stale_status = (
        Q(deleted_at__isnull=True)
        & ~Q(status=Status.FAILED)
        & (
            Q(last_reconciled_at__isnull=True)
            | (Q(last_reconciled_at__lt=stale) & ~Q(status=Status.DEPLOYING))
            | Q(last_reconciled_at__lt=unwatched)
        )
    )
    return Deployment.objects.filter(free).filter(lagging | deleting | stale_status).exclude(status=Status.DELETED)
