"""What a person (page) or a client (API) asks of the logs: components, level, search, window, cursor, previous.

The same parameters and checks serve both: `components` (repeated, or comma-separated), `level` (that level and
up), `search` (case-insensitive), `since` (15m, 1h, 6h, 24h, `started`, or an ISO 8601 moment), `until` (ISO 8601),
`cursor` (opaque, from the last answer: only newer lines) and `previous` (the previous instance of restarted
containers). A bad value is a ValidationError naming the parameter.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime

from aerodrome.validation import has_control_characters
from monitoring.logs.components import Component
from monitoring.logs.parsing import LEVELS

WINDOWS = {"15m": 15 * 60, "1h": 3600, "6h": 6 * 3600, "24h": 24 * 3600}
WINDOW_LABELS = {"15m": "15 min", "1h": "1 hour", "6h": "6 hours", "24h": "24 hours", "started": "Since pods started"}
STARTED = "started"
DEFAULT_WINDOW = "1h"
SEARCH_MAX = 200
_CURSOR_SALT = "monitoring.logs.cursor"


@dataclass(frozen=True)
class Cursor:
    """Where the last answer stopped: the newest line's time (ns) and, per container, how many lines at exactly
    that time were already given (two lines can share a timestamp)."""

    nanos: int
    seen: dict[str, int] = field(default_factory=dict)

    def encode(self, deployment_id: int) -> str:
        return signing.dumps({"d": deployment_id, "t": self.nanos, "s": self.seen}, salt=_CURSOR_SALT, compress=True)

    @classmethod
    def decode(cls, value: str, deployment_id: int) -> "Cursor":
        try:
            data = signing.loads(value, salt=_CURSOR_SALT)
        except (signing.BadSignature, ValueError, json.JSONDecodeError):
            data = None
        if not isinstance(data, dict) or data.get("d") != deployment_id or not isinstance(data.get("t"), int):
            raise ValidationError({"cursor": "This cursor is not valid here; start again without it."})
        seen = data.get("s") if isinstance(data.get("s"), dict) else {}
        return cls(data["t"], {str(k): int(v) for k, v in seen.items() if isinstance(v, int)})


@dataclass(frozen=True)
class LogQuery:
    components: tuple[Component, ...]
    level: str | None = None  # this level and up
    search: str = ""
    since: str = DEFAULT_WINDOW  # a WINDOWS key, STARTED, or "" with since_moment
    since_moment: datetime | None = None
    until: datetime | None = None
    cursor: Cursor | None = None
    previous: bool = False

    @property
    def window_seconds(self) -> int | None:
        return WINDOWS.get(self.since)

    def params(self) -> list[tuple[str, str]]:
        """The query as URL parameters (the page's polls and download links repeat it)."""
        result = [("components", component.key) for component in self.components]
        if self.level:
            result.append(("level", self.level))
        if self.search:
            result.append(("search", self.search))
        result.append(("since", self.since_moment.isoformat() if self.since_moment else self.since))
        if self.until:
            result.append(("until", self.until.isoformat()))
        if self.previous:
            result.append(("previous", "true"))
        return result


def parse_query(params, available: list[Component], deployment_id: int) -> LogQuery:
    """A LogQuery from request parameters (a QueryDict), checked against the Deployment's components."""
    errors: dict[str, str] = {}
    by_key = {component.key: component for component in available}
    keys = [key.strip() for value in params.getlist("components") for key in value.split(",") if key.strip()]
    unknown = [key for key in keys if key not in by_key]
    if unknown:
        errors["components"] = f"Unknown components: {', '.join(unknown[:5])}. This Deployment has: " + ", ".join(
            by_key
        )
    chosen = [by_key[key] for key in dict.fromkeys(keys) if key in by_key]
    components = tuple(chosen or [c for c in available if c.airflow])

    level = (params.get("level") or "").strip().upper() or None
    if level and level not in LEVELS:
        errors["level"] = f"Give one of: {', '.join(LEVELS[:4])}."
    search = (params.get("search") or "").strip()
    if has_control_characters(search):
        errors["search"] = "Remove the control characters (such as line breaks or NUL) from it."
    elif len(search) > SEARCH_MAX:
        errors["search"] = f"Use at most {SEARCH_MAX} characters."

    since, since_moment = (params.get("since") or DEFAULT_WINDOW).strip(), None
    if since not in WINDOWS and since != STARTED:
        since_moment = _moment(since)
        if since_moment is None:
            errors["since"] = "Give 15m, 1h, 6h, 24h, started, or a date and time (2026-05-01T12:00:00Z)."
        since = ""
    until = None
    if params.get("until"):
        until = _moment(params["until"].strip())
        if until is None:
            errors["until"] = "Give a date and time (2026-05-01T12:00:00Z)."
    previous = (params.get("previous") or "").strip().lower() in ("true", "1", "on", "yes")
    cursor = None
    if params.get("cursor"):
        try:
            cursor = Cursor.decode(params["cursor"], deployment_id)
        except ValidationError as error:
            errors.update({key: value[0] for key, value in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    return LogQuery(components, level, search, since, since_moment, until, cursor, previous)


def _moment(value: str) -> datetime | None:
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
