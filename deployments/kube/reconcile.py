"""Converging a cluster to a Deployment's desired state, like a Kubernetes controller.

`run(deployment_id)` renders every object, applies only those that are missing or differ from what we last
applied (each carries a hash of its rendered content, so an unchanged Deployment costs reads and no writes),
prunes objects we own that are no longer wanted, creates the metadata database, records `observed_generation`,
and then observes readiness. A short lease on the row, renewed by a heartbeat while the run lives, keeps two
workers off the same Deployment and lapses soon after a worker dies. Deletion tears everything down. Status and
events are written with targeted updates so a user's concurrent edit (a new generation) is never overwritten;
when a reconcile is wanted again during a run, the run goes round again. When runs happen, and retries, is
`deployments.kube.scheduling`'s business.
"""

import hashlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from deployments import airflow_login, metadata_db, selectors
from deployments.deploys import selectors as deploys_selectors
from deployments.deploys import services as deploys
from deployments.kube import checks, clusters, render, scheduling
from deployments.kube.gateway import ObjectRef
from deployments.models import Deployment, DeploymentEvent

logger = logging.getLogger(__name__)

HASH_ANNOTATION = "aerodrome.io/applied-hash"
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
    listed: dict = field(default_factory=dict, repr=False)  # what the cluster held before the apply
    recorded: dict = field(default_factory=dict, repr=False)  # row fields still to write when the run closes

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.pruned)


# ------------------------------------------------------------------------------------------------- bookkeeping


def _lease() -> timedelta:
    return timedelta(seconds=settings.RECONCILE_LEASE_SECONDS)


def acquire(deployment_id: int) -> str | None:
    """Takes the Deployment's lease; returns the holder's name (for renewing and releasing it), or None when
    another run holds it."""
    now = timezone.now()
    holder = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    free = Q(reconcile_lease_until__isnull=True) | Q(reconcile_lease_until__lt=now)
    taken = Deployment.objects.filter(free, pk=deployment_id).update(
        reconcile_lease_until=now + _lease(), reconcile_lease_holder=holder
    )
    return holder if taken else None


def renew(deployment_id: int, holder: str) -> bool:
    mine = Deployment.objects.filter(pk=deployment_id, reconcile_lease_holder=holder)
    return mine.update(reconcile_lease_until=timezone.now() + _lease()) == 1


def release(deployment_id: int, holder: str) -> None:
    Deployment.objects.filter(pk=deployment_id, reconcile_lease_holder=holder).update(
        reconcile_lease_until=None, reconcile_lease_holder=""
    )


class Heartbeat:
    """Renews a lease every third of its length while the run lives, from a thread of its own: one step can wait
    on the cluster longer than that. It stops at the task's hard time limit, so a run that hangs (the threads pool
    enforces no time limit) loses its lease instead of keeping its Deployment for ever."""

    def __init__(self, deployment_id: int, holder: str):
        self.deployment_id, self.holder = deployment_id, holder
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{deployment_id}", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        deadline = time.monotonic() + settings.CELERY_TASK_TIME_LIMIT
        try:
            while not self._stop.wait(settings.RECONCILE_LEASE_SECONDS / 3):
                if time.monotonic() > deadline:
                    logger.warning("Reconcile of Deployment %s outlived its time limit; lease left to lapse",
                                   self.deployment_id)  # fmt: skip
                    return
                if not renew(self.deployment_id, self.holder):
                    logger.warning("Reconcile of Deployment %s lost its lease", self.deployment_id)
                    return
        except Exception:  # noqa: BLE001 - a database hiccup: the lease lapses, the sweep hands the work on
            logger.exception("Lease heartbeat of Deployment %s failed", self.deployment_id)
        finally:
            connection.close()  # this thread's own connection


def event(
    deployment_id: int,
    reason: str,
    message: str,
    *,
    level=DeploymentEvent.Level.INFO,
    generation=None,
    collapse_since=None,
):
    """Records an event; the same event as the Deployment's latest (or, with `collapse_since`, as one recorded
    since then) counts up on that row instead of adding another."""
    same = {"reason": reason, "message": message[:2000], "level": level, "generation": generation}
    events = DeploymentEvent.objects.filter(deployment_id=deployment_id).order_by("-id")
    repeated = events.first()
    if repeated is None or any(getattr(repeated, key) != value for key, value in same.items()):
        repeated = events.filter(created_at__gte=collapse_since, **same).first() if collapse_since else None
    if repeated is not None:
        DeploymentEvent.objects.filter(pk=repeated.pk).update(count=F("count") + 1, last_seen_at=timezone.now())
        return
    DeploymentEvent.objects.create(deployment_id=deployment_id, **same)


def set_status(
    deployment_id: int, status: str, reason: str, *, generation: int | None = None, current=None, **fields
) -> bool:
    """Sets status unless the desired state moved on (when `generation` is given). Returns whether it did.
    `current`: the (status, reason) a run loaded at the start of its pass, so an unchanged status costs no query (a
    change made meanwhile asked for a reconcile, so the run goes round again and sets it from a fresh row)."""
    rows = Deployment.objects.filter(pk=deployment_id)
    if generation is not None:
        rows = rows.filter(generation=generation)
    if current is None:
        current = rows.values_list("status", "status_reason").first()
    if current is None:
        return False
    changed = current != (status, reason[:1000])
    if changed:
        fields |= {"status": status, "status_reason": reason[:1000], "status_changed_at": timezone.now()}
    done = rows.update(**fields) == 1 if fields else True
    if done and changed:
        deploys.observed(deployment_id, status, reason, generation)  # settles the deploys waiting for this rollout
    return done


def fail(deployment_id: int, reason: str) -> None:
    set_status(deployment_id, Status.FAILED, reason)
    event(deployment_id, "Failed", reason, level=DeploymentEvent.Level.ERROR)


def unavailable(deployment_id: int, error: Exception, attempt: "scheduling.Attempt") -> str:
    """Says at once that the cluster (or its PostgreSQL) does not answer, in the status reason and one event that
    counts the attempts; Failed once the retry budget is spent. Returns the status."""
    what = "Metadata database" if isinstance(error, metadata_db.DatabaseUnavailable) else "Cluster"
    detail = getattr(error, "reason", str(error)).rstrip(".")
    since = timezone.localtime(attempt.since).strftime("%d %b %H:%M:%S %Z")
    event(
        deployment_id,
        "Unreachable",
        f"{what} unreachable: {detail}",
        level=DeploymentEvent.Level.WARNING,
        collapse_since=attempt.since,
    )
    if attempt.retry_in is None:
        fail(deployment_id, f"Gave up after {attempt.number} attempts: {what.lower()} unreachable since {since}. "
                            f"Last error: {detail}. Retry once it answers.")  # fmt: skip
        return Status.FAILED
    reason = (
        f"{what} unreachable since {since}, retrying (attempt {attempt.number} of {attempt.of}, "
        f"next in {attempt.retry_in} s). Last error: {detail}."
    )
    Deployment.objects.filter(pk=deployment_id).update(status_reason=reason[:1000])
    return Deployment.objects.filter(pk=deployment_id).values_list("status", flat=True).first() or Status.DELETED


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
        custom = (api_version, kind) in render.CUSTOM_KINDS
        for obj in gateway.list(api_version, kind, spec.namespace, selector, missing_ok=custom):
            found[ObjectRef.of(obj)] = obj
    return found


def apply(gateway, spec, objects: list[dict]) -> Outcome:
    outcome = Outcome(status=Status.DEPLOYING)
    existing = outcome.listed = current_objects(gateway, spec)
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


WORKLOADS = (("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"))


def readiness(gateway, spec, listed: dict[ObjectRef, dict] | None = None) -> list[str]:
    """The workloads not ready yet, as 'name ready/wanted'; empty when everything is up. `listed`: the objects
    `current_objects` just read, when nothing was applied since (their status is current): no second read."""
    waiting = []
    for api_version, kind in WORKLOADS:
        if listed is not None:
            workloads = [obj for ref, obj in listed.items() if (ref.api_version, ref.kind) == (api_version, kind)]
        else:
            workloads = gateway.list(api_version, kind, spec.namespace, render.owned_selector(spec))
        for obj in workloads:
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
        admin_url,
        name=spec.database.name,
        user=spec.database.user,
        password=spec.secrets.metadata_password,
        guarded=not deployment.cluster.is_platform,
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
        Deployment.objects.select_related("cluster", "workspace__organization", "oauth_client")
        .prefetch_related("queues", "variables")
        .annotate(has_registry_credentials=deploys_selectors.has_registry_credentials())  # usually none: no query
        .filter(pk=deployment_id)
        .first()
    )


def _summary(outcome: Outcome) -> str:
    parts = [f"{len(outcome.created)} created", f"{len(outcome.updated)} updated", f"{outcome.unchanged} unchanged"]
    if outcome.pruned:
        parts.append(f"{len(outcome.pruned)} pruned ({', '.join(outcome.pruned[:5])})")
    return ", ".join(parts)


def _converge(deployment: Deployment) -> Outcome:
    # The login callback follows the Deployment's Airflow URL (its cluster's TLS setting, its Airflow major).
    airflow_login.oauth_client_sync(deployment)
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
    if outcome.changed or not deployment.applied_manifest:
        recorded["applied_manifest"] = render.to_yaml(render.redact(objects))  # costly: only when it changed
    if outcome.changed:
        Deployment.objects.filter(pk=deployment.pk).update(**recorded)
        event(
            deployment.pk,
            "Applied",
            f"Applied generation {spec.generation}: {_summary(outcome)}.",
            generation=spec.generation,
        )
    else:
        outcome.recorded = recorded  # nothing applied: written with the run's closing update (scheduling.converged)
    for name, value in recorded.items():
        setattr(deployment, name, value)
    # Readiness from the objects just listed when nothing was applied; after an apply their status is stale.
    listed = None if outcome.changed else outcome.listed
    outcome.status = observe(deployment.pk, gateway=gateway, spec=spec, deployment=deployment, listed=listed)
    return outcome


def observe(deployment_id: int, *, gateway=None, spec=None, deployment=None, listed=None) -> str:
    """Sets HEALTHY when every workload is ready; otherwise DEPLOYING until READINESS_TIMEOUT_SECONDS since the
    last apply, then UNHEALTHY. Returns the status it set. A run passes the row it loaded (as it recorded it) and,
    when it applied nothing, the objects it listed."""
    known = deployment is not None  # the run's own row: its status as loaded at the start of this pass
    deployment = deployment or _load(deployment_id)
    if deployment is None or deployment.is_deleted or deployment.cluster_id is None:
        return deployment.status if deployment else Status.DELETED
    if deployment.observed_generation != deployment.generation:
        return deployment.status  # a newer desired state is not applied yet: its reconcile observes it
    spec = spec or selectors.deployment_spec(deployment)
    gateway = gateway or clusters.gateway_for(deployment.cluster)
    waiting = readiness(gateway, spec, listed)
    generation = deployment.generation
    current = (deployment.status, deployment.status_reason) if known else None
    if not waiting:
        if deployment.status != Status.HEALTHY:
            event(
                deployment_id,
                "Healthy",
                "Every component is ready.",
                level=DeploymentEvent.Level.SUCCESS,
                generation=generation,
            )
        set_status(deployment_id, Status.HEALTHY, "Every component is ready.", generation=generation, current=current)
        if deployment.first_healthy_at is None or not known:
            Deployment.objects.filter(pk=deployment_id, first_healthy_at__isnull=True).update(
                first_healthy_at=timezone.now()
            )
        return Status.HEALTHY
    since = deployment.last_reconciled_at or deployment.status_changed_at
    reason = f"Waiting for {', '.join(waiting[:4])}{' and more' if len(waiting) > 4 else ''} to become ready."
    if timezone.now() - since > timedelta(seconds=settings.READINESS_TIMEOUT_SECONDS):
        if deployment.status != Status.UNHEALTHY:
            event(deployment_id, "Unhealthy", reason, level=DeploymentEvent.Level.WARNING, generation=generation)
        set_status(deployment_id, Status.UNHEALTHY, reason, generation=generation, current=current)
        return Status.UNHEALTHY
    status = deployment.status if deployment.status == Status.UNHEALTHY else Status.DEPLOYING
    set_status(deployment_id, status, reason, generation=generation, current=current)
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
            metadata_db.drop(
                deployment.cluster.database_admin_url,
                name=spec.database.name,
                user=spec.database.user,
                guarded=not deployment.cluster.is_platform,
            )
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
    """Converges the Deployment, going round again while a reconcile is asked for meanwhile. Raises Busy when
    another run holds the lease, GatewayError/DatabaseUnavailable for the task to handle."""
    holder = acquire(deployment_id)
    if holder is None:
        raise Busy(deployment_id)
    with Heartbeat(deployment_id, holder):
        try:
            outcome = None
            for _ in range(5):  # a bounded number of catch-ups; a follow-up wake-up handles anything beyond
                started = timezone.now()
                deployment = _load(deployment_id)
                if deployment is None or deployment.status == Status.DELETED:
                    return None
                if deployment.is_deleted:
                    teardown(deployment)
                    scheduling.converged(deployment_id, started=started)
                    return Outcome(status=Status.DELETED)
                outcome = _converge(deployment)
                if not scheduling.converged(deployment_id, started=started, **outcome.recorded):
                    break
            return outcome
        finally:
            release(deployment_id, holder)
