"""What every channel kind shares: the notice it is given, how a send fails (for a retry, or for good), and the one
way to POST to another service (through the outbound policy for addresses tenants choose, always with a timeout).
"""

import time
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError

from aerodrome import outbound
from aerodrome.validation import ErrorCollector, has_control_characters

FIRING, RESOLVED, TEST = "firing", "resolved", "test"
SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class Notice:
    """An alert as the channels tell it. `key` is stable for one alert across its firing and resolved notices (it
    becomes PagerDuty's dedup_key and Opsgenie's alias)."""

    key: str
    status: str  # firing, resolved or test
    title: str
    severity: str = "warning"  # info, warning or critical
    summary: str = ""
    description: str = ""
    workspace: str = ""
    deployment: str = ""
    rule: str = ""
    url: str = ""  # where the alert is shown in Aerodrome
    labels: dict = field(default_factory=dict)
    starts_at: str = ""  # ISO 8601
    ends_at: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Notice":
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    @property
    def resolved(self) -> bool:
        return self.status == RESOLVED

    @property
    def headline(self) -> str:
        """E.g. "[FIRING] Scheduler heartbeat missing · etl-prod"."""
        state = {FIRING: "FIRING", RESOLVED: "RESOLVED", TEST: "TEST"}.get(self.status, self.status.upper())
        where = f" · {self.deployment}" if self.deployment else (f" · {self.workspace}" if self.workspace else "")
        return f"[{state}] {self.title}{where}"

    @property
    def dedup_key(self) -> str:
        return f"aerodrome-{self.key}"[:255]


@dataclass(frozen=True)
class Sent:
    """What the other end answered to a notification it accepted."""

    status: int | None = None
    detail: str = ""


class SendFailed(Exception):
    """A send that did not go through. `transient` ones (a 5xx or 429, a timeout, a connection that failed) are
    tried again with backoff; the others (a 4xx, a refused address) would fail the same way again."""

    def __init__(self, reason: str, *, transient: bool, status: int | None = None, retry_after: int | None = None):
        super().__init__(reason)
        self.reason = reason[:500]
        self.transient = transient
        self.status = status
        self.retry_after = retry_after  # seconds the service asked to wait (429/503 Retry-After), if it said


def timeout() -> float:
    return float(settings.NOTIFICATION_TIMEOUT_SECONDS)


def post_json(url: str, payload: dict, *, headers: dict | None = None, body: bytes | None = None, tenant=True) -> Sent:
    """POSTs JSON (`body` when the caller already serialised it, to sign it) and sorts out the answer. `tenant`
    URLs (ones an organisation typed) go through the outbound policy; the platform's own (PagerDuty's, Opsgenie's
    API, from settings) do not."""
    import json

    data = body if body is not None else json.dumps(payload).encode()
    sent_headers = {"Content-Type": "application/json", "User-Agent": "Aerodrome-Notifications/1", **(headers or {})}
    session = outbound.session(timeout=timeout()) if tenant else requests.Session()
    started = time.monotonic()
    try:
        with session:
            response = session.post(url, data=data, headers=sent_headers, timeout=timeout(), allow_redirects=False)
    except outbound.RefusedRequest as refused:
        raise SendFailed(str(refused), transient=False) from None
    except requests.Timeout:
        raise SendFailed(f"No answer within {timeout():g} s.", transient=True) from None
    except requests.ConnectionError as error:
        raise SendFailed(f"Could not connect to {host_of(url)}: {_first_line(error)}", transient=True) from None
    except requests.RequestException as error:
        raise SendFailed(f"The request failed: {_first_line(error)}", transient=False) from None
    return _judge(response, time.monotonic() - started)


def _first_line(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0][:300]


def _judge(response: requests.Response, elapsed: float) -> Sent:
    status = response.status_code
    if 200 <= status < 300:
        return Sent(status, f"Accepted ({status}) in {elapsed * 1000:.0f} ms.")
    excerpt = " ".join(response.text[:200].split())
    said = f": {excerpt}" if excerpt else ""
    if status >= 500 or status == 429:
        wait = response.headers.get("Retry-After", "")
        retry_after = min(int(wait), 3600) if wait.isdigit() else None
        raise SendFailed(f"The service answered {status}{said}", transient=True, status=status, retry_after=retry_after)
    if 300 <= status < 400:
        raise SendFailed(
            f"The service answered with a redirect ({status}); use the final URL.", transient=False, status=status
        )
    raise SendFailed(f"The service refused the notification ({status}){said}", transient=False, status=status)


def host_of(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def clean_url(errors: ErrorCollector, value, *, field: str, what: str, required: bool, https_only: bool = False) -> str:
    """A URL the channel may call: valid, http(s) (https only for services that only speak it), and allowed by the
    outbound policy. Blank is "keep the stored one" unless `required`."""
    from django.core.validators import URLValidator

    value = (value or "").strip()
    if not value:
        if required:
            errors.add(field, f"Enter the {what}.")
        return ""
    schemes = ["https"] if https_only else ["http", "https"]
    try:
        if has_control_characters(value):
            raise ValidationError("control characters")
        URLValidator(schemes=schemes)(value)
    except ValidationError:
        errors.add(field, f"Enter a valid {what} ({' or '.join(schemes)}://…).")
        return ""
    if reason := outbound.refusal(value):
        errors.add(field, reason)
        return ""
    return value


def clean_token(errors: ErrorCollector, value, *, field: str, what: str, required: bool, min_length: int = 8) -> str:
    value = (value or "").strip()
    if not value:
        if required:
            errors.add(field, f"Enter the {what}.")
        return ""
    if has_control_characters(value) or any(character.isspace() for character in value):
        errors.add(field, f"The {what} cannot contain spaces or line breaks.")
        return ""
    if len(value) < min_length or len(value) > 500:
        errors.add(field, f"The {what} should be {min_length} to 500 characters long (this one has {len(value)}).")
        return ""
    return value


def _stored_unless(channel, config: dict, secrets: dict) -> tuple[dict, dict]:
    """The (config, secrets) of a new secret, or, when none was given (blank keeps it), the stored config."""
    if secrets:
        return config, secrets
    return (dict(channel.config) if channel else {}), {}


def clean_url_secret(fields: dict, errors: ErrorCollector, *, channel, what: str) -> tuple[dict, dict]:
    """For kinds whose one secret is a URL (`url`): its host is what may be shown."""
    url = clean_url(errors, fields.get("url"), field="url", what=what, required=channel is None)
    return _stored_unless(channel, {"host": host_of(url)}, {"url": url} if url else {})


def clean_key_secret(
    fields: dict, errors: ErrorCollector, *, channel, field: str, what: str, length: int | None = None, wrong: str = ""
) -> tuple[dict, dict]:
    """For kinds whose one secret is a key (`field`): its last four characters are what may be shown. `length`, if
    given, is the only length it may have (`wrong` says so)."""
    key = clean_token(errors, fields.get(field), field=field, what=what, required=channel is None)
    if key and length is not None and len(key) != length:
        errors.add(field, wrong)
        key = ""
    return _stored_unless(channel, {"key_end": key[-4:]}, {field: key} if key else {})


def target_host(channel) -> str:
    return channel.config.get("host", "")


def target_key_end(channel, *, what: str) -> str:
    end = channel.config.get("key_end")
    return f"{what} …{end}" if end else ""
