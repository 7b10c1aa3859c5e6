"""Query-string filters every list endpoint reads the same way: bad values are a 400 naming the parameter,
never a 500 from the database (PostgreSQL refuses NUL bytes; int() refuses some Unicode digits)."""

from django.core import validators
from django.core.exceptions import ValidationError


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
