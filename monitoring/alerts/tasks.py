"""Delivery tasks: thin. One task per Delivery (so channels never wait on each other), retried with backoff while
`delivery.attempt` asks for it."""

from celery import shared_task

from monitoring.alerts import delivery


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def deliver(self, delivery_id: int) -> None:
    retry_in = delivery.attempt(delivery_id)
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


@shared_task(ignore_result=True)
def sweep_deliveries(limit: int = 500) -> int:
    return delivery.sweep(limit)
