"""A generic JSON webhook, signed so its receiver can tell it came from Aerodrome and was not replayed.

Each request carries `X-Aerodrome-Timestamp` (Unix seconds) and `X-Aerodrome-Signature: v1=<hex>`, the
HMAC-SHA256 of `<timestamp>.<body>` under the channel's signing secret (docs/notification-webhooks.md shows how to
check it). The URL and the signing secret are secrets."""

import hashlib
import hmac
import json
import time

from django.utils import timezone

from monitoring.alerts.channels import base
from monitoring.alerts.channels.base import Notice, Sent

FIELDS = SECRETS = ("url", "signing_secret")
TIMESTAMP_HEADER = "X-Aerodrome-Timestamp"
SIGNATURE_HEADER = "X-Aerodrome-Signature"
DELIVERY_HEADER = "X-Aerodrome-Delivery"
EVENT = {"firing": "alert.firing", "resolved": "alert.resolved", "test": "test"}


def clean(fields: dict, errors, *, channel) -> tuple[dict, dict]:
    url = base.clean_url(errors, fields.get("url"), field="url", what="webhook URL", required=channel is None)
    secret = base.clean_token(
        errors,
        fields.get("signing_secret"),
        field="signing_secret",
        what="signing secret",
        required=channel is None,
        min_length=16,
    )
    config = dict(channel.config) if channel else {}
    secrets = {}
    if url:
        config["host"] = base.host_of(url)
        secrets["url"] = url
    if secret:
        secrets["signing_secret"] = secret
    return config, secrets


target = base.target_host


def document(notice: Notice, *, delivery_id: int) -> dict:
    alert = notice.as_dict()
    alert["dedup_key"] = notice.dedup_key
    return {
        "version": 1,
        "event": EVENT.get(notice.status, notice.status),
        "delivery_id": delivery_id,
        "sent_at": timezone.now().isoformat(),
        "alert": alert,
    }


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def send(channel, notice: Notice, *, delivery_id: int) -> Sent:
    body = json.dumps(document(notice, delivery_id=delivery_id), separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(channel.secrets["signing_secret"], timestamp, body),
        DELIVERY_HEADER: str(delivery_id),
    }
    return base.post_json(channel.secrets["url"], {}, headers=headers, body=body)
