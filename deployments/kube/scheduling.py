"""When reconciles run: per Deployment, one "reconcile wanted" marker, one queued wake-up, one retry chain.

PostgreSQL holds all of it; the broker only carries wake-ups, so losing one costs a delay, never a change:

- `request()` records, in the transaction that changes the desired state, that a reconcile is wanted, and rings
  (`wake`) once it commits. Ringing is best-effort under short broker timeouts: with the broker down a save still
  answers at once, and the sweep rings when the broker is back.
- `wake()` first claims the Deployment's one queued wake-up with a conditional UPDATE, so a burst of changes queues
  one message, not one each. The task hands the claim back as it starts (`woken`): a change made during a run rings
  again, and the run (which goes round while something is wanted) or one follow-up takes it.
- A failed attempt stores its number, since when the cluster fails and `next_attempt_at`. Every wake-up honours it
  (the task skips one that comes early, the sweep leaves the Deployment alone until then), so whatever rings, there
  is one chain of retries, with its backoff; after the budget the Deployment is Failed until a person retries.
- The sweep (beat) rings for whatever is wanted, due and neither queued nor leased: changes the broker missed, runs
  whose worker died (their short lease lapsed), rollouts whose readiness watch was lost, and stale status.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.utils import timezone

from deployments.models import Deployment

logger = logging.getLogger(__name__)

Status = Deployment.Status
# A wake-up not started this long after it was due was lost (a broker restarted empty): the sweep rings again.
QUEUED_STALE = timedelta(minutes=5)

# What makes a run converge (apply) rather than only watch readiness. `wanted()` below says the same for one row.
WANTED = ~Q(status=Status.DELETED) & (
    Q(reconcile_requested_at__isnull=False)
    | Q(status=Status.DELETING)
    | (Q(observed_generation__lt=F("generation")) & ~Q(status=Status.FAILED))
)


def is_wanted(deployment_id: int) -> bool:
    """Whether a wake-up should reconcile (apply), rather than only watch a rollout become ready."""
    return Deployment.objects.filter(WANTED, pk=deployment_id).exists()


def wanted(deployment: Deployment) -> bool:
    if deployment.status == Status.DELETED:
        return False
    lagging = deployment.observed_generation < deployment.generation and deployment.status != Status.FAILED
    return deployment.reconcile_requested_at is not None or deployment.status == Status.DELETING or lagging


# ------------------------------------------------------------------------------------------------- ringing


def request(deployment_id: int, *, retry: bool = False) -> None:
    """Records that a reconcile is wanted (in the caller's transaction) and rings once it commits. A request while
    no retry is scheduled starts a fresh retry budget; `retry` (a person asking) also cuts a pending backoff short."""
    rows = Deployment.objects.filter(pk=deployment_id)
    rows.update(reconcile_requested_at=timezone.now())
    idle = rows if retry else rows.filter(next_attempt_at__isnull=True)
    idle.update(reconcile_attempts=0, reconcile_failing_since=None, next_attempt_at=None)
    transaction.on_commit(lambda: wake(deployment_id, force=retry))


def wake(deployment_id: int, *, at: datetime | None = None, force: bool = False) -> bool:
    """Claims the Deployment's one queued wake-up, due `at` (now by default), and publishes it. False when one is
    queued already, or when the broker cannot take it (then the sweep rings later). `force` queues one even if
    another is waiting (a person's Retry should not wait for a backoff's wake-up)."""
    now = timezone.now()
    due = max(at or now, now)
    rows = Deployment.objects.filter(pk=deployment_id)
    if not force:
        rows = rows.filter(Q(reconcile_queued_at__isnull=True) | Q(reconcile_queued_at__lt=now - QUEUED_STALE))
    if not rows.update(reconcile_queued_at=due):
        return False
    if _publish(deployment_id, due, now):
        return True
    Deployment.objects.filter(pk=deployment_id, reconcile_queued_at=due).update(reconcile_queued_at=None)
    return False


def _publish(deployment_id: int, due: datetime, now: datetime) -> bool:
    from deployments import tasks

    if due > now and tasks.reconcile.app.conf.task_always_eager:
        return False  # run inline it would not wait, but ring itself again at once: leave it to the sweep
    try:
        tasks.reconcile.apply_async(
            (deployment_id,), {"wake": due.isoformat()}, eta=due if due > now else None, ignore_result=True
        )
    except Exception as error:  # noqa: BLE001 - any broker trouble: the marker is in PostgreSQL, the sweep rings
        logger.warning("Reconcile of Deployment %s not enqueued (%s: %s); the sweep will", deployment_id,
                       type(error).__name__, error)  # fmt: skip
        return False
    return True


def woken(deployment_id: int, wake: str | None) -> None:
    """A wake-up reached a worker: its claim is free again (unless a newer wake-up took it meanwhile)."""
    if wake:
        Deployment.objects.filter(pk=deployment_id, reconcile_queued_at=datetime.fromisoformat(wake)).update(
            reconcile_queued_at=None
        )


def is_due(deployment_id: int) -> bool:
    """False while the retry chain waits for its next attempt."""
    next_attempt = Deployment.objects.filter(pk=deployment_id).values_list("next_attempt_at", flat=True).first()
    return next_attempt is None or next_attempt <= timezone.now()


def follow_up(deployment_id: int) -> None:
    """After a run (or an early wake-up): ring again if a reconcile is still wanted, at its next attempt, or in a
    moment to watch a rollout become ready."""
    deployment = Deployment.objects.filter(pk=deployment_id).first()
    if deployment is None:
        return
    if wanted(deployment):
        wake(deployment_id, at=deployment.next_attempt_at)
    elif deployment.status == Status.DEPLOYING and deployment.cluster_id:
        poll = timezone.now() + timedelta(seconds=settings.READINESS_POLL_SECONDS)
        wake(deployment_id, at=max(poll, deployment.next_attempt_at or poll))


# ---------------------------------------------------------------------------------------------- the retry chain


@dataclass(frozen=True)
class Attempt:
    """A failed attempt of a retry chain; `retry_in` is None when the budget is spent."""

    number: int
    of: int
    since: datetime
    retry_in: int | None


def backoff(attempt: int) -> int:
    """Seconds before the attempt after failed attempt number `attempt` (1, 2, ...)."""
    return min(settings.RECONCILE_BACKOFF_SECONDS * 2 ** (attempt - 1), settings.RECONCILE_BACKOFF_MAX_SECONDS)


def failed(deployment_id: int) -> Attempt:
    """Counts a failed attempt and schedules the next one, or ends the chain after the budget."""
    now = timezone.now()
    rows = Deployment.objects.filter(pk=deployment_id)
    attempts, since = rows.values_list("reconcile_attempts", "reconcile_failing_since").first() or (0, None)
    attempt = Attempt(attempts + 1, settings.RECONCILE_RETRIES + 1, since or now, None)
    if attempt.number >= attempt.of:
        rows.update(
            reconcile_attempts=attempt.number,
            reconcile_failing_since=attempt.since,
            next_attempt_at=None,
            reconcile_requested_at=None,
        )
        return attempt
    attempt = Attempt(attempt.number, attempt.of, attempt.since, backoff(attempt.number))
    rows.update(
        reconcile_attempts=attempt.number,
        reconcile_failing_since=attempt.since,
        next_attempt_at=now + timedelta(seconds=attempt.retry_in),
    )
    return attempt


def gave_up(deployment_id: int) -> None:
    """A failure retrying cannot fix: nothing is wanted until the desired state changes or a person retries."""
    Deployment.objects.filter(pk=deployment_id).update(reconcile_requested_at=None, next_attempt_at=None)


def converged(deployment_id: int, *, started: datetime, **recorded) -> bool:
    """A pass that began at `started` succeeded: the retry chain ends, and the request it served is done unless
    another came meanwhile; `recorded` are more fields of the row to write with it. One update, then whether a
    reconcile is still wanted (then the run goes round again)."""
    rows = Deployment.objects.filter(pk=deployment_id)
    served = Case(
        When(reconcile_requested_at__lte=started, then=Value(None)),
        default=F("reconcile_requested_at"),
        output_field=DateTimeField(),
    )
    # The retry chain's three fields are reset together (as `answered` does; with no attempts they are unset).
    rows.update(
        reconcile_attempts=0, reconcile_failing_since=None, next_attempt_at=None, reconcile_requested_at=served,
        **recorded,
    )  # fmt: skip
    return rows.filter(WANTED).exists()


def answered(deployment_id: int) -> None:
    """The cluster answered: the retry chain, if any, is over."""
    Deployment.objects.filter(pk=deployment_id, reconcile_attempts__gt=0).update(
        reconcile_attempts=0, reconcile_failing_since=None, next_attempt_at=None
    )


# --------------------------------------------------------------------------------------------------- the sweep


def due_for_sweep(now=None):
    """Deployments to ring for: none with a wake-up queued (unless it was lost), leased, or waiting for their
    next attempt; of the rest, those wanted, rollouts whose readiness watch was lost (they are only observed: a
    reconcile would restart the readiness clock), and status older than RECONCILE_STALE_SECONDS (missing objects
    are recreated and health re-checked; an in-place edit of an object we applied keeps our hash annotation and
    is not detected)."""
    now = now or timezone.now()
    idle = (
        (Q(reconcile_queued_at__isnull=True) | Q(reconcile_queued_at__lt=now - QUEUED_STALE))
        & (Q(reconcile_lease_until__isnull=True) | Q(reconcile_lease_until__lt=now))
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    )
    watching = Q(status=Status.DEPLOYING, cluster__isnull=False)
    return Deployment.objects.filter(idle).filter(WANTED | watching | _stale(now))


def _stale(now):
    stale = now - timedelta(seconds=settings.RECONCILE_STALE_SECONDS)
    return (
        Q(deleted_at__isnull=True)
        & ~Q(status__in=[Status.FAILED, Status.DEPLOYING, Status.DELETED])
        & (Q(last_reconciled_at__isnull=True) | Q(last_reconciled_at__lt=stale))
    )


def sweep(limit: int = 500) -> int:
    """Rings for up to `limit` Deployments, never reconciled ones first; returns how many."""
    now = timezone.now()
    due = due_for_sweep(now).order_by(F("last_reconciled_at").asc(nulls_first=True))
    ids = list(due.values_list("pk", flat=True)[:limit])
    # A stale status is re-checked by a full reconcile: mark it wanted.
    Deployment.objects.filter(_stale(now), pk__in=ids, reconcile_requested_at__isnull=True).update(
        reconcile_requested_at=now
    )
    return sum(wake(deployment_id) for deployment_id in ids)
