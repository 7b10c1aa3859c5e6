"""PagerDuty Events API v2: `trigger` when an alert fires and `resolve` when it resolves, under one dedup_key per
alert, so PagerDuty opens one incident and closes that one. The integration's routing key is the secret; the API's
address is a setting (PAGERDUTY_EVENTS_URL)."""

import functools

from django.conf import settings

from monitoring.alerts.channels import base
from monitoring.alerts.channels.base import Notice, Sent

FIELDS = SECRETS = ("routing_key",)
SEVERITY = {"critical": "critical", "warning": "warning", "info": "info"}


def clean(fields: dict, errors, *, channel) -> tuple[dict, dict]:
    return base.clean_key_secret(
        fields,
        errors,
        channel=channel,
        field="routing_key",
        what="routing key",
        length=32,
        wrong="A PagerDuty integration (routing) key has 32 characters.",
    )


target = functools.partial(base.target_key_end, what="Routing key")


def event(notice: Notice, routing_key: str) -> dict:
    action = "resolve" if notice.resolved else "trigger"
    event = {"routing_key": routing_key, "event_action": action, "dedup_key": notice.dedup_key}
    if action == "trigger":
        details = {"description": notice.description, "rule": notice.rule, "labels": notice.labels}
        event["payload"] = {
            "summary": notice.headline[:1024],
            "source": notice.deployment or notice.workspace or "aerodrome",
            "severity": SEVERITY.get(notice.severity, "warning"),
            "component": notice.deployment or None,
            "group": notice.workspace or None,
            "class": notice.rule or None,
            "custom_details": {key: value for key, value in details.items() if value},
        }
        if notice.starts_at:
            event["payload"]["timestamp"] = notice.starts_at
        event["payload"] = {key: value for key, value in event["payload"].items() if value is not None}
        event["client"] = "Aerodrome"
        if notice.url:
            event["client_url"] = notice.url
            event["links"] = [{"href": notice.url, "text": "View in Aerodrome"}]
    return event


def send(channel, notice: Notice, *, delivery_id: int) -> Sent:
    return base.post_json(settings.PAGERDUTY_EVENTS_URL, event(notice, channel.secrets["routing_key"]), tenant=False)
