"""What `/metrics` computes at scrape time, from what every process shares: PostgreSQL (Deployments, their
reconcile lag, the reconcile tally) and the broker (Celery queue depth). Nothing here lives in one process's
memory, so any web process answers the same, however many gunicorn workers and Celery machines there are.

A source that is down does not fail the scrape: its series are left out and `aerodrome_source_up{source=...}` says
0, quickly (the broker gets BROKER_TIMEOUT_SECONDS)."""

import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, F, Max, Min, Sum
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from deployments.models import Deployment
from monitoring.platform_metrics import tally

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 0.5
# Kombu's Redis transport keeps a queue's messages of priorities other than 0 in lists named after it with these
# suffixes (its default priority steps 0, 3, 6, 9 and separator "\x06\x16").
REDIS_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


class StateCollector(Collector):
    def collect(self):
        up = GaugeMetricFamily(
            "aerodrome_source_up", "Whether this scrape could read a source (database, broker).", labels=["source"]
        )
        try:
            yield from self._database()
            up.add_metric(["database"], 1)
        except Exception:  # noqa: BLE001 - a database outage must still leave the other series
            logger.exception("/metrics could not read the database")
            up.add_metric(["database"], 0)
        depth = queue_depths()
        if depth is not None:
            queues = GaugeMetricFamily(
                "aerodrome_celery_queue_depth",
                "Messages waiting in the broker's queue (Redis list length): wake-ups no worker has taken yet.",
                labels=["queue"],
            )
            for queue, length in depth.items():
                queues.add_metric([queue], length)
            yield queues
        if _redis_broker():
            up.add_metric(["broker"], 1 if depth is not None else 0)
        yield up

    def _database(self):
        live = Deployment.objects.live()
        by_status = GaugeMetricFamily("aerodrome_deployments", "Live Deployments by status.", labels=["status"])
        counts = dict(live.order_by().values_list("status").annotate(n=Count("pk")))
        for status in Deployment.Status.values:
            if status != Deployment.Status.DELETED:
                by_status.add_metric([status], counts.get(status, 0))
        yield by_status

        lagging = (
            live.order_by()
            .filter(generation__gt=F("observed_generation"))
            .aggregate(
                n=Count("pk"),
                total=Sum(F("generation") - F("observed_generation")),
                worst=Max(F("generation") - F("observed_generation")),
                since=Min("reconcile_requested_at"),
            )
        )
        yield GaugeMetricFamily(
            "aerodrome_reconcile_lag_generations",
            "Generations saved but not yet applied, summed over live Deployments (generation - observed_generation).",
            value=lagging["total"] or 0,
        )
        yield GaugeMetricFamily(
            "aerodrome_reconcile_lag_max_generations",
            "The largest lag of one Deployment (generation - observed_generation).",
            value=lagging["worst"] or 0,
        )
        yield GaugeMetricFamily(
            "aerodrome_deployments_lagging",
            "Live Deployments whose desired state is not applied yet.",
            value=lagging["n"],
        )
        since = lagging["since"]
        yield GaugeMetricFamily(
            "aerodrome_reconcile_lag_oldest_seconds",
            "How long the longest-waiting lagging Deployment has wanted a reconcile (0 when none lags).",
            value=(timezone.now() - since).total_seconds() if since and lagging["n"] else 0,
        )

        runs = tally.histogram()
        durations = HistogramMetricFamily(
            "aerodrome_reconcile_duration_seconds",
            "Reconcile wake-ups by outcome (applied, observed, skipped, retrying, failed, error) and duration.",
            labels=["outcome"],
        )
        outcomes = CounterMetricFamily(
            "aerodrome_reconciles", "Reconcile wake-ups by outcome.", labels=["outcome"], created=None
        )
        for outcome, figures in runs.items():
            durations.add_metric([outcome], buckets=figures["buckets"], sum_value=figures["sum"])
            outcomes.add_metric([outcome], figures["count"])
        yield durations
        yield outcomes


def _redis_broker() -> bool:
    return settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))


def queue_depths() -> dict[str, int] | None:
    """{queue: messages waiting} from Redis, or None when the broker is not Redis or does not answer in time."""
    if not _redis_broker():
        return None
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    started = time.monotonic()
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL,
        socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
        socket_timeout=BROKER_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),  # one try: a scrape must not wait out redis-py's default retries
    )
    try:
        pipe = client.pipeline(transaction=False)
        for suffix in REDIS_PRIORITY_SUFFIXES:
            pipe.llen(queue + suffix)
        return {queue: sum(pipe.execute())}
    except redis.RedisError as error:
        host = urlsplit(settings.CELERY_BROKER_URL).hostname
        logger.warning("/metrics: the broker at %s did not answer (%s, %.2f s)", host, error.__class__.__name__,
                       time.monotonic() - started)  # fmt: skip
        return None
    finally:
        client.close()
