"""Reconcile runs counted by outcome and duration bucket in PostgreSQL (monitoring.models.ReconcileTally).

Runs happen in Celery workers, often on other machines than the web processes Prometheus scrapes, so an in-memory
counter in a worker could not be served; the tally is one small table every worker adds to (one UPDATE of one row
per run) and every web process reads whole at scrape time."""

import bisect

from django.db import IntegrityError, transaction
from django.db.models import F

from monitoring.models import ReconcileTally

# Upper bounds of the duration buckets, in seconds: a no-op run takes tens of milliseconds, a first apply seconds,
# a cluster that times out up to the task's limit.
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
INF = "+Inf"


def bucket_label(seconds: float) -> str:
    index = bisect.bisect_left(BUCKETS, seconds)
    return INF if index == len(BUCKETS) else _label(BUCKETS[index])


def _label(bound: float) -> str:
    return repr(float(bound))


def record(outcome: str, seconds: float) -> None:
    """Counts one run (called by deployments.tasks for each reconcile wake-up)."""
    le = bucket_label(seconds)
    rows = ReconcileTally.objects.filter(outcome=outcome, le=le)
    if rows.update(count=F("count") + 1, seconds=F("seconds") + seconds):
        return
    try:
        with transaction.atomic():
            ReconcileTally.objects.create(outcome=outcome, le=le, count=1, seconds=seconds)
    except IntegrityError:  # another worker created the row meanwhile
        rows.update(count=F("count") + 1, seconds=F("seconds") + seconds)


def histogram() -> dict[str, dict]:
    """{outcome: {"buckets": [(le, cumulative count), ..., ("+Inf", total)], "count": n, "sum": seconds}}."""
    result: dict[str, dict] = {}
    per_outcome: dict[str, dict[str, tuple[int, float]]] = {}
    for outcome, le, count, seconds in ReconcileTally.objects.values_list("outcome", "le", "count", "seconds"):
        per_outcome.setdefault(outcome, {})[le] = (count, seconds)
    for outcome, rows in sorted(per_outcome.items()):
        cumulative, total_seconds, buckets = 0, 0.0, []
        for bound in [*map(_label, BUCKETS), INF]:
            count, seconds = rows.get(bound, (0, 0.0))
            cumulative += count
            total_seconds += seconds
            buckets.append((bound, cumulative))
        result[outcome] = {"buckets": buckets, "count": cumulative, "sum": total_seconds}
    return result
