from celery import shared_task


@shared_task
def ping() -> str:
    """A trivial round trip, used by the health checks' tests and by operators to see a worker answer."""
    return "pong"
