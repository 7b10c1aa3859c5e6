"""PagerDuty Events API v2: `trigger` when an alert fires and `resolve` when it resolves, under one dedup_key per
alert, so PagerDuty opens one incident and closes that one. The integration's routing key is the secret; the API's
address is a setting (PAGERDUTY_EVENTS_URL)."""

from django.conf import settings

from monitoring.alerts.channels import base
from monitoring.alerts.channels.base import Notice, Sent

SECRETS = ("routing_key",)
SEVERITY = {"critical": "critical", "warning": "warning", "info": "info"}


def clean(fields: dict, errors, *, channel) -> tuple[dict, dict]:
    key = base.clean_token(
        errors, fields.get("routing_key"), field="routing_key", what="routing key", required=channel is None
    )
    if key and len(key) != 32:
        errors.add("routing_key", "A PagerDuty integration (routing) key has 32 characters.")
        key = ""
    return ({"key_end": key[-4:]}, {"routing_key": key}) if key else (dict(channel.config) if channel else {}, {})


def target(channel) -> str:
    end = channel.config.get("key_end")
    return f"Routing key …{end}" if end else ""


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
