"""Query-string filters every list endpoint reads the same way: bad values are a 400 naming the parameter,
never a 500 from the database (PostgreSQL refuses NUL bytes; int() refuses some Unicode digits)."""

from datetime import UTC, date, datetime

from django.core import validators
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from aerodrome.validation import has_control_characters


def organization_slug(request) -> str | None:
    slug = request.query_params.get("organization")
    if not slug:
        return None
    if not validators.slug_re.match(slug):
        raise ValidationError({"organization": "Give the organisation's slug."})
    return slug


def object_id(request, name: str) -> int | None:
    value = request.query_params.get(name)
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        raise ValidationError({name: f"Give the {name}'s id (a number)."})
    return int(value)


def choice(request, name: str, choices) -> str | None:
    """One of `choices` (case as given in `choices`, matched ignoring case), or None when absent."""
    value = request.query_params.get(name)
    if not value:
        return None
    by_upper = {str(option).upper(): option for option in choices}
    if value.upper() not in by_upper:
        raise ValidationError({name: f"{value!r} is not one of: {', '.join(map(str, choices))}."})
    return by_upper[value.upper()]


MOMENT_FORMAT = "A date (`2026-05-01`: the whole day counts) or an ISO 8601 date and time (`2026-05-01T12:00:00Z`)."


def moment(request, name: str) -> date | datetime | None:
    """A date (2026-05-01: the whole day counts) or an ISO 8601 date and time (2026-05-01T12:00:00Z), or None."""
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        parsed = parse_datetime(value) or parse_date(value)
    except ValueError:  # well-formed but impossible, such as month 13
        parsed = None
    if parsed is None:
        raise ValidationError({name: "Give a date (2026-05-01) or a date and time (2026-05-01T12:00:00Z)."})
    if isinstance(parsed, datetime) and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def text(request, name: str, max_length: int = 200) -> str:
    """Free text, trimmed; control characters (NUL among them, which PostgreSQL refuses) are a 400."""
    value = request.query_params.get(name, "").strip()
    if has_control_characters(value):
        raise ValidationError({name: "Remove the control characters (such as line breaks or NUL) from it."})
    if len(value) > max_length:
        raise ValidationError({name: f"Use at most {max_length} characters."})
    return value
