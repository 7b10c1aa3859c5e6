"""Provisioning tasks: thin wrappers that load by id, call `deployments.kube.reconcile`, and own retries.

Transient trouble (the API server's 5xx, 429 and timeouts after the gateway's own retries, an unreachable
metadata PostgreSQL) is retried with exponential backoff; anything else is a FAILED status with its reason.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.db.models import F

from deployments import metadata_db, services
from deployments.kube import reconcile as reconciler
from deployments.kube.gateway import PermanentError, TransientError
from deployments.models import Deployment, DeploymentEvent

logger = logging.getLogger(__name__)

MAX_RETRIES = 8
BUSY_RETRY_SECONDS = 5


def _backoff(retries: int) -> int:
    return min(5 * 2**retries, 600)


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def reconcile(self, deployment_id: int) -> str | None:
    try:
        outcome = reconciler.run(deployment_id)
    except reconciler.Busy:
        # Someone else is on it; come back shortly so a change made meanwhile is not left waiting for the sweep.
        # A fresh task, not self.retry(): waiting for the lease (which expires on its own) must neither use up
        # the retries meant for an unavailable cluster nor fail the task after MAX_RETRIES waits. (Run inline,
        # eagerly, it would only spin against the other run, which goes round again for a newer generation.)
        if not self.request.is_eager:
            reconcile.apply_async((deployment_id,), countdown=BUSY_RETRY_SECONDS)
        return None
    except (TransientError, metadata_db.DatabaseUnavailable) as error:
        reason = getattr(error, "reason", str(error))
        if self.request.retries >= self.max_retries:
            reconciler.fail(deployment_id, f"Gave up after {self.max_retries} retries: {reason}")
            return Deployment.Status.FAILED
        countdown = _backoff(self.request.retries)
        reconciler.event(
            deployment_id, "Retrying", f"{reason} Retrying in {countdown} s.", level=DeploymentEvent.Level.WARNING
        )
        raise self.retry(countdown=countdown) from None
    except (PermanentError, reconciler.InvalidRender, metadata_db.DatabaseRejected) as error:
        reconciler.fail(deployment_id, getattr(error, "reason", str(error)))
        return Deployment.Status.FAILED
    if outcome is None:
        return None
    if outcome.status == Deployment.Status.DEPLOYING:
        observe.apply_async((deployment_id,), countdown=settings.READINESS_POLL_SECONDS)
    return outcome.status


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def observe(self, deployment_id: int) -> str:
    """Re-checks readiness until the Deployment is HEALTHY or has waited too long (then UNHEALTHY)."""
    try:
        status = reconciler.observe(deployment_id)
    except TransientError:
        raise self.retry(countdown=_backoff(self.request.retries)) from None
    except PermanentError as error:
        reconciler.fail(deployment_id, error.reason)
        return Deployment.Status.FAILED
    if status == Deployment.Status.DEPLOYING:
        observe.apply_async((deployment_id,), countdown=settings.READINESS_POLL_SECONDS)
    return status


@shared_task
def sweep(limit: int = 500) -> int:
    """Re-enqueues Deployments whose observed generation lags or whose status is stale."""
    due = reconciler.due_for_sweep().order_by(F("last_reconciled_at").asc(nulls_first=True))  # never reconciled first
    ids = list(due.values_list("pk", flat=True)[:limit])
    for deployment_id in ids:
        reconcile.delay(deployment_id)
    return len(ids)


@shared_task
def purge_deleted() -> int:
    return services.purge_deleted()
