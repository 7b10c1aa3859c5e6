"""The seam between recording alerts and delivering them.

`notify(alert_event_id)` is called once for every recorded alert event (each Alertmanager notification of a firing
alert, and the one resolve), after the receiver's transaction commits. The channels branch implements delivery here:
one Celery task per channel the alert's rule names (`monitoring.alerts.channels`). Until it is merged, this records
nothing and sends nothing: it only returns how many deliveries it enqueued (none).
"""

import logging

logger = logging.getLogger(__name__)


def notify(alert_event_id: int) -> int:
    """Enqueue the deliveries of one alert event; returns how many were enqueued. Implemented by branch
    `channels` (one Celery task per channel, retried with backoff); this placeholder enqueues none."""
    logger.debug("alert event %s recorded; no delivery channels are installed", alert_event_id)
    return 0
