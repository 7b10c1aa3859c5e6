"""From a recorded alert event to the channels: the notice they send, and which channels get it.

A rule notifies the channels it names; a built-in incident rule (which has no rule of its own to name them) notifies
every enabled channel of the Deployment's workspace. Called inside the receiver's transaction, so an alert and its
deliveries are committed together; `delivery.notify` enqueues one task per channel once they are.
"""

from django.urls import reverse

from aerodrome.site import absolute_url
from monitoring.alerts import delivery
from monitoring.alerts.channels.base import FIRING, RESOLVED, Notice
from monitoring.alerts.channels.models import Channel
from monitoring.alerts.models import Alert, AlertEvent


def notice_for(alert: Alert, kind: str) -> Notice:
    deployment = alert.deployment
    path = reverse("deployment_alerts", args=[deployment.workspace.organization.slug, deployment.pk])
    return Notice(
        key=f"alert-{alert.pk}",  # the same for its firing and resolved notices (PagerDuty's dedup_key)
        status=RESOLVED if kind == AlertEvent.Kind.RESOLVED else FIRING,
        title=alert.summary or alert.rule_name or alert.alertname,
        severity=alert.severity.lower(),
        summary=alert.summary,
        description=str(alert.labels.get("description", "")),
        workspace=deployment.workspace.name,
        deployment=deployment.name,
        rule=alert.rule_name,
        url=absolute_url(path),
        labels={k: v for k, v in alert.labels.items() if not k.startswith("__")},
        starts_at=alert.starts_at.isoformat(),
        ends_at=alert.ends_at.isoformat() if alert.ends_at and kind == AlertEvent.Kind.RESOLVED else "",
    )


def channels_for(alert: Alert):
    if alert.rule_id:
        return alert.rule.channels.all()
    if alert.rule_key and not alert.rule_key.startswith("rule-"):  # a built-in incident rule
        return Channel.objects.filter(workspace=alert.deployment.workspace_id, enabled=True)
    return Channel.objects.none()  # its rule was removed since


def alert_event_notify(event: AlertEvent):
    """Hands one alert event to the channels (a Notification and one Delivery per channel, or None)."""
    alert = event.alert
    return delivery.notify(
        workspace=alert.deployment.workspace,
        channels=channels_for(alert),
        notice=notice_for(alert, event.kind),
        deployment=alert.deployment,
    )
