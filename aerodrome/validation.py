"""Small input checks shared by services, so pages, the API and the admin reject bad input alike."""

import unicodedata

from django.core.exceptions import ValidationError
from django.db import models

NAME_MAX_LENGTH = 100  # of every name a tenant gives: organisations, teams, workspaces, clusters, tokens


def has_control_characters(value: str) -> bool:
    """Unicode category Cc: CR, LF, tab, escape, DEL, the C1 controls. A name holding one breaks the lines of
    logs, emails and headers it is written into, and can hide what it says."""
    return any(unicodedata.category(character) == "Cc" for character in value)


def clean_name(value, *, field: str = "name", max_length: int = 100, what: str = "name") -> str:
    value = value or ""
    if has_control_characters(value):  # before trimming: a line break at either end is refused too
        raise ValidationError({field: f"The {what} cannot contain control characters such as line breaks or tabs."})
    value = value.strip()
    if not value:
        raise ValidationError({field: f"Enter a {what}."})
    if len(value) > max_length:
        raise ValidationError({field: f"The {what} can be at most {max_length} characters long (it has {len(value)})."})
    return value


def clean_role(ladder: type[models.TextChoices], value, *, field: str = "role") -> str:
    if value not in ladder.values:
        choices = ", ".join(str(label) for label in ladder.labels)
        raise ValidationError({field: f"{value!r} is not a role here; choose one of: {choices}."})
    return value


def clean_unique_name(model, *, organization, name, exclude_pk=None) -> str:
    """A valid name no other `model` row of the organisation has, whatever the case."""
    name = clean_name(name)
    what = model._meta.verbose_name
    if model.objects.filter(organization=organization, name__iexact=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": f"A {what} named “{name}” already exists in this organisation."})
    return name
