from celery import shared_task

from monitoring.alerts.tasks import deliver, sweep_deliveries  # noqa: F401 - registered with the worker


@shared_task
def ping() -> str:
    """A trivial round trip, used by the health checks' tests and by operators to see a worker answer."""
    return "pong"
