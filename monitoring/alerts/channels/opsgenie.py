"""Opsgenie Alert API: create an alert when it fires and close it (by alias) when it resolves; the alias is the
alert's stable key, so repeats deduplicate. The API key (a GenieKey) is the secret; the API's address is a setting
(OPSGENIE_API_URL: https://api.eu.opsgenie.com for the EU instance)."""

import functools
from urllib.parse import quote

from django.conf import settings

from monitoring.alerts.channels import base
from monitoring.alerts.channels.base import Notice, Sent

FIELDS = SECRETS = ("api_key",)
PRIORITY = {"critical": "P1", "warning": "P3", "info": "P5"}


def clean(fields: dict, errors, *, channel) -> tuple[dict, dict]:
    return base.clean_key_secret(fields, errors, channel=channel, field="api_key", what="API key")


target = functools.partial(base.target_key_end, what="API key")


def create_body(notice: Notice) -> dict:
    details = {"deployment": notice.deployment, "workspace": notice.workspace, "rule": notice.rule, "url": notice.url}
    tags = ["aerodrome", notice.severity] + ([notice.deployment] if notice.deployment else [])
    return {
        "message": notice.headline[:130],
        "alias": notice.dedup_key[:512],
        "description": "\n\n".join(part for part in (notice.summary, notice.description, notice.url) if part)[:15000],
        "priority": PRIORITY.get(notice.severity, "P3"),
        "source": "Aerodrome",
        "entity": (notice.deployment or notice.workspace)[:512],
        "tags": tags,
        "details": {key: str(value)[:8000] for key, value in details.items() if value},
    }


def close_body(notice: Notice) -> dict:
    return {"source": "Aerodrome", "note": f"Resolved: {notice.title}"[:25000]}


def request(notice: Notice) -> tuple[str, dict]:
    """The path under the API's address, and the body."""
    if notice.resolved:
        return f"/v2/alerts/{quote(notice.dedup_key, safe='')}/close?identifierType=alias", close_body(notice)
    return "/v2/alerts", create_body(notice)


def send(channel, notice: Notice, *, delivery_id: int) -> Sent:
    path, body = request(notice)
    headers = {"Authorization": f"GenieKey {channel.secrets['api_key']}"}
    return base.post_json(settings.OPSGENIE_API_URL.rstrip("/") + path, body, headers=headers, tenant=False)
