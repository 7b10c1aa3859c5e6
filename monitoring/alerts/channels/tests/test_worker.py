"""Delivery through the real thing: notify() commits, the tasks go through Redis to a Celery worker process, which
posts to the local receivers; a channel answering 500 is retried with backoff by the worker (seconds apart) and
recorded as failed while the other is sent at once."""

import pytest

from deployments.tests.processes import wait_for
from monitoring.alerts import delivery
from monitoring.alerts.channels import services, webhook
from monitoring.alerts.channels.models import Delivery
from monitoring.alerts.channels.tests.helpers import SIGNING_SECRET, notice


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_each_channel_on_its_own_and_retries_a_failing_one(celery_worker_queue, tenancy, receiver):
    # The worker runs with the test settings' 1 s backoff and 3 attempts (aerodrome/settings_test.py).
    hook = services.channel_create(
        actor=tenancy.owner, workspace=tenancy.workspace, name="hook", kind="WEBHOOK",
        url=receiver.url("/hook"), signing_secret=SIGNING_SECRET,
    )  # fmt: skip
    broken = services.channel_create(
        actor=tenancy.owner, workspace=tenancy.workspace, name="broken", kind="SLACK", url=receiver.url("/broken")
    )
    receiver.answer("/broken", 500)

    notification = delivery.notify(workspace=tenancy.workspace, channels=[hook, broken], notice=notice())
    deliveries = Delivery.objects.filter(notification=notification)
    wait_for(lambda: not deliveries.filter(status="PENDING").exists(), timeout=30, message="the worker's deliveries")

    sent, failed = deliveries.get(channel=hook), deliveries.get(channel=broken)
    assert sent.status == "SENT" and sent.attempt_count == 1
    [request] = receiver.at("/hook")
    assert (
        webhook.signature(SIGNING_SECRET, request.headers["X-Aerodrome-Timestamp"], request.body)
        == (request.headers["X-Aerodrome-Signature"])
    )
    assert failed.status == "FAILED" and len(receiver.at("/broken")) == 3
    attempts = list(failed.attempts.all())
    assert [(a.outcome, a.retry_in) for a in attempts] == [("RETRYING", 1), ("RETRYING", 2), ("FAILED", None)]
    gaps = [(b.started_at - a.started_at).total_seconds() for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[0] >= 0.9 and gaps[1] >= 1.9  # the backoff really waited
    assert sent.finished_at < attempts[1].started_at  # the healthy channel did not wait for the broken one
