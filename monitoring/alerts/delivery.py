"""Delivering alerts to channels: the seam the alert receiver calls (`notify`), and the attempts the delivery tasks
make.

`notify` records one Notification and one Delivery per channel in the caller's transaction, and enqueues one task
per Delivery once it commits, so a slow or failing channel never holds up another. Each attempt is recorded; a
transient failure (a 5xx or 429, a timeout, a connection error) is tried again with backoff, up to
NOTIFICATION_MAX_ATTEMPTS; anything else fails the delivery at once, with the reason. A resolved notice goes out
once per firing: a second one for the same alert (Alertmanager repeats resolved notifications) is not sent.
"""

import logging
import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from monitoring.alerts.channels import kind
from monitoring.alerts.channels.base import FIRING, RESOLVED, TEST, Notice, SendFailed, Sent
from monitoring.alerts.channels.models import Channel, Delivery, DeliveryAttempt, Notification

logger = logging.getLogger(__name__)

STATUS = {FIRING: Notification.Status.FIRING, RESOLVED: Notification.Status.RESOLVED, TEST: Notification.Status.TEST}
SWEEP_GRACE = timedelta(minutes=2)  # a PENDING delivery this far past its time lost its task: ring again


@transaction.atomic
def notify(*, workspace, channels: Iterable[Channel], notice: Notice, deployment=None) -> Notification | None:
    """Sends `notice` to the workspace's `channels` (disabled ones and any other workspace's are left out). Returns
    the Notification, or None when there is nothing to send: no channel, or a resolved notice already sent."""
    if notice.status not in (FIRING, RESOLVED):
        raise ValueError(f"A notice is firing or resolved, not {notice.status!r}.")
    given = {channel.pk for channel in channels}
    found = list(Channel.objects.filter(pk__in=given, workspace=workspace).order_by("pk"))
    chosen = [channel for channel in found if channel.enabled]
    if strangers := given - {channel.pk for channel in found}:
        logger.error("Channels %s are not of workspace %s: not notified", sorted(strangers), workspace.pk)
    if notice.resolved and _resolve_already_sent(workspace, notice.key):
        return None
    if not chosen:
        return None
    notification, deliveries = _record(workspace=workspace, notice=notice, channels=chosen, deployment=deployment)
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: enqueue(ids))
    return notification


def _record(*, workspace, notice: Notice, channels: list[Channel], deployment=None):
    """The Notification of `notice` and one PENDING Delivery of it per channel, due now."""
    notification = Notification.objects.create(
        workspace=workspace,
        deployment=deployment,
        alert_key=notice.key[:200],
        status=STATUS[notice.status],
        title=notice.title[:500],
        payload=notice.as_dict(),
    )
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            notification=notification,
            channel=channel,
            channel_name=channel.name,
            channel_kind=channel.kind,
            next_attempt_at=timezone.now(),
        )
        for channel in channels
    )
    return notification, deliveries


def _resolve_already_sent(workspace, key: str) -> bool:
    """Whether the last notice of this alert was the resolved one (or there never was a firing one). The latest
    row is locked, so two resolved notices arriving together are sent once."""
    alerts = Notification.objects.filter(workspace=workspace, alert_key=key[:200]).exclude(
        status=Notification.Status.TEST
    )
    latest = alerts.select_for_update().order_by("-id").first()
    if latest is None or latest.status == Notification.Status.RESOLVED:
        return True
    return alerts.filter(pk__gt=latest.pk, status=Notification.Status.RESOLVED).exists()


def enqueue(delivery_ids: list[int]) -> None:
    from monitoring.alerts import tasks

    for delivery_id in delivery_ids:
        try:
            tasks.deliver.delay(delivery_id)
        except Exception as error:  # noqa: BLE001 - any broker trouble: the delivery is PENDING, the sweep rings
            name = type(error).__name__
            logger.warning("Delivery %s not enqueued (%s: %s); the sweep will", delivery_id, name, error)


def backoff(attempt_number: int) -> int:
    """Seconds before the attempt after `attempt_number`: the base, doubled each time, at most an hour."""
    return min(settings.NOTIFICATION_RETRY_BACKOFF_SECONDS * 2 ** (attempt_number - 1), 3600)


def _send(delivery: Delivery) -> Sent:
    """One send of the delivery's notice to its channel; every way it can fail is a SendFailed."""
    channel = delivery.channel
    if channel is None:
        raise SendFailed("The channel was deleted.", transient=False)
    notice = Notice.from_dict(delivery.notification.payload)
    try:
        return kind(channel).send(channel, notice, delivery_id=delivery.pk)
    except SendFailed:
        raise
    except Exception as error:  # noqa: BLE001 - a bug in a channel must not lose the record of the attempt
        logger.exception("Channel %s failed to send delivery %s", channel.pk, delivery.pk)
        raise SendFailed(f"Unexpected error: {type(error).__name__}", transient=False) from None


def attempt(delivery_id: int, *, max_attempts: int | None = None) -> int | None:
    """One attempt at a delivery, recorded. Returns the seconds to wait before the next one, or None when it is
    done (sent, failed for good, or already finished by another attempt)."""
    max_attempts = max_attempts or settings.NOTIFICATION_MAX_ATTEMPTS
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("notification", "channel")
            .filter(pk=delivery_id, status=Delivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return None
        number = delivery.attempt_count + 1
        started = timezone.now()
        clock = time.monotonic()
        try:
            sent, failed = _send(delivery), None
        except SendFailed as error:
            sent, failed = None, error
        duration = int((time.monotonic() - clock) * 1000)
        ok, transient = failed is None, bool(failed and failed.transient)
        status, reason = (sent.status, sent.detail) if ok else (failed.status, failed.reason)
        retry_in = max(backoff(number), failed.retry_after or 0) if transient and number < max_attempts else None
        if ok:
            outcome = DeliveryAttempt.Outcome.SENT
        elif retry_in is not None:
            outcome = DeliveryAttempt.Outcome.RETRYING
        else:
            outcome = DeliveryAttempt.Outcome.FAILED
            if transient and number > 1:
                reason = f"{reason} Gave up after {number} attempts."
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=number,
            outcome=outcome,
            response_status=status,
            reason=reason[:500],
            retry_in=retry_in,
            started_at=started,
            duration_ms=duration,
        )
        delivery.attempt_count = number
        delivery.response_status = status
        if ok:
            delivery.status, delivery.reason, delivery.finished_at = Delivery.Status.SENT, "", timezone.now()
        elif retry_in is None:
            delivery.status, delivery.reason = Delivery.Status.FAILED, reason[:500]
            delivery.finished_at = timezone.now()
        else:
            delivery.reason = reason[:500]
            delivery.next_attempt_at = timezone.now() + timedelta(seconds=retry_in)
        delivery.save()
    if outcome != DeliveryAttempt.Outcome.SENT:
        logger.warning("Delivery %s to channel %s, attempt %s: %s", delivery_id, delivery.channel_id, number, reason)
    return retry_in


def send_test(*, channel: Channel, requested_by: str) -> Delivery:
    """A test notification to one channel, sent now: one attempt, recorded as a Delivery."""
    workspace = channel.workspace
    notice = Notice(
        key=f"test-channel-{channel.pk}",
        status=TEST,
        title=f"Test notification for “{channel.name}”",
        severity="info",
        summary=f"{requested_by} sent this test from Aerodrome. If you can read it, the channel works.",
        workspace=workspace.name,
        starts_at=timezone.now().isoformat(),
    )
    with transaction.atomic():
        _, (delivery,) = _record(workspace=workspace, notice=notice, channels=[channel])
    # One attempt only: the person is waiting for the answer, and can press the button again.
    attempt(delivery.pk, max_attempts=1)
    delivery.refresh_from_db()
    last = delivery.attempts.last()
    Channel.objects.filter(pk=channel.pk).update(
        last_test_at=delivery.finished_at or timezone.now(),
        last_test_ok=delivery.status == Delivery.Status.SENT,
        last_test_message=(last.reason if last else "")[:500],
    )
    channel.refresh_from_db(fields=["last_test_at", "last_test_ok", "last_test_message"])
    return delivery


def sweep(limit: int = 500) -> int:
    """Rings again for PENDING deliveries whose task was lost (the broker was down, a worker died)."""
    due = timezone.now() - SWEEP_GRACE
    ids = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lt=due)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    enqueue(ids)
    return len(ids)
