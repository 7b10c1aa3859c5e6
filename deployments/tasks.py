"""Provisioning tasks: thin wrappers that load by id, call `deployments.kube.reconcile`, and sort out failures.

A `reconcile` message is only a wake-up (see `deployments.kube.scheduling`): what to do, and when, is in
PostgreSQL. Transient trouble (the API server's 5xx, 429 and timeouts after the gateway's own retries, an
unreachable metadata PostgreSQL) schedules the next attempt of the Deployment's one retry chain, with backoff,
and Failed after the budget; anything else is Failed at once with its reason.
"""

import logging
import time
from collections.abc import Callable

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from deployments import airflow_login, metadata_db, services
from deployments.kube import reconcile as reconciler
from deployments.kube import scheduling
from deployments.kube.gateway import PermanentError, TransientError
from deployments.models import Deployment

logger = logging.getLogger(__name__)

# acks_late with reject_on_worker_lost (settings): a wake-up whose worker dies is delivered again, not lost.
WAKE_UP = {"acks_late": True, "ignore_result": True}


# Who wants to know how each reconcile run ended and how long it took: the platform's own /metrics (the monitoring
# app, which this one cannot import, registers from its AppConfig.ready()). An observer that fails is logged and
# never changes the run.
_run_observers: list[Callable[[str, float], None]] = []


def register_run_observer(observer: Callable[[str, float], None]) -> None:
    if observer not in _run_observers:
        _run_observers.append(observer)


def _report(outcome: str, seconds: float) -> None:
    for observer in _run_observers:
        try:
            observer(outcome, seconds)
        except Exception:  # noqa: BLE001 - counting must never fail a reconcile
            logger.exception("A reconcile run observer failed")


@shared_task(**WAKE_UP)
def reconcile(deployment_id: int, wake: str | None = None) -> str | None:
    """One wake-up. Its outcome, for the observers: skipped (early, or another run holds the lease), observed
    (readiness only), applied, retrying (the cluster or its PostgreSQL did not answer), failed, or error (an
    unexpected exception, which Celery records)."""
    started = time.monotonic()
    outcome = "error"
    try:
        outcome, status = _reconcile(deployment_id, wake)
        return status
    finally:
        _report(outcome, time.monotonic() - started)


def _reconcile(deployment_id: int, wake: str | None) -> tuple[str, str | None]:
    scheduling.woken(deployment_id, wake)
    if not scheduling.is_due(deployment_id):
        scheduling.follow_up(deployment_id)  # early (a backoff is running): make sure it rings when due
        return "skipped", None
    try:
        if not scheduling.is_wanted(deployment_id):
            status = reconciler.observe(deployment_id)  # woken to watch a rollout: readiness only
            scheduling.answered(deployment_id)
            scheduling.follow_up(deployment_id)
            return "observed", status
        outcome = reconciler.run(deployment_id)
    except reconciler.Busy:
        return "skipped", None  # the lease holder goes round again for a new request; the sweep steps in if it died
    except (TransientError, metadata_db.DatabaseUnavailable) as error:
        status = reconciler.unavailable(deployment_id, error, scheduling.failed(deployment_id))
        result = "failed" if status == Deployment.Status.FAILED else "retrying"
    except SoftTimeLimitExceeded:
        slow = TransientError(f"The reconcile took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s.")
        status = reconciler.unavailable(deployment_id, slow, scheduling.failed(deployment_id))
        result = "failed" if status == Deployment.Status.FAILED else "retrying"
    except (PermanentError, reconciler.InvalidRender, metadata_db.DatabaseRejected) as error:
        scheduling.gave_up(deployment_id)
        reconciler.fail(deployment_id, getattr(error, "reason", str(error)))
        status, result = Deployment.Status.FAILED, "failed"
    else:
        status = outcome.status if outcome else None
        result = "applied" if outcome else "skipped"
    scheduling.follow_up(deployment_id)
    return result, status


@shared_task(ignore_result=True)
def sweep(limit: int = 500) -> int:
    """Rings for Deployments that want a reconcile the broker never delivered, whose worker died, or whose status
    is stale."""
    return scheduling.sweep(limit)


@shared_task(ignore_result=True)
def purge_deleted() -> int:
    return services.purge_deleted()


@shared_task(ignore_result=True)
def clear_expired_airflow_tokens() -> None:
    """Expired codes and tokens of the Deployments' Airflow logins (and CI exchanges) go; they are never valid
    again."""
    airflow_login.clear_expired()
