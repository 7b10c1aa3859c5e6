"""Small input checks shared by services, so pages, the API and the admin reject bad input alike, and the
collector through which a service reports every invalid field at once."""

import unicodedata
from contextlib import contextmanager

import idna
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

NAME_MAX_LENGTH = 100  # of every name a tenant gives: organisations, teams, workspaces, clusters, tokens


def has_control_characters(value: str) -> bool:
    """Unicode category Cc: CR, LF, tab, escape, DEL, the C1 controls. A name holding one breaks the lines of
    logs, emails and headers it is written into, and can hide what it says."""
    return any(unicodedata.category(character) == "Cc" for character in value)


def normalize_email(value: str) -> str:
    """The one form Aerodrome stores and compares an email address in: trimmed, lower case, and the domain in
    Unicode as IDNA 2008 (UTS 46) maps it. So `Jurgen@EXÄMPLE.de` and the punycode a browser's email box sends,
    `jurgen@xn--exmple-cua.de`, are one address, `jurgen@exämple.de`, shown as people know it; mail goes out with
    the domain in punycode (Django encodes it). A domain IDNA refuses is only lower-cased (validation rejects it)."""
    value = unicodedata.normalize("NFC", (value or "").strip())
    local, at, domain = value.rpartition("@")
    if not at:
        return value.lower()
    try:
        domain = idna.decode(idna.encode(domain, uts46=True))
    except (idna.IDNAError, UnicodeError):
        domain = domain.lower()
    return f"{local.lower()}@{domain}"


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


class ErrorCollector:
    """Gathers the field errors of one input, so a service reports every invalid field at once rather than the
    first one it met. Pages put them next to their fields, the API lists them all in `error.fields`.

        errors = ErrorCollector()
        name = errors.check(clean_name, value)  # the cleaned value; None when refused (its messages are kept)
        with errors.within("queues[1]"):        # nested input: keys become `queues[1].max_workers`
            ...
        errors.add("name", "Already taken.")
        errors.raise_if_any()                   # one ValidationError holding them all
    """

    def __init__(self):
        self.messages: dict[str, list[str]] = {}
        self._prefix = ""

    def _key(self, field: str | None) -> str:
        if field in (None, NON_FIELD_ERRORS):
            return self._prefix or NON_FIELD_ERRORS
        return f"{self._prefix}.{field}" if self._prefix else field

    def add(self, field: str | None, *messages: str) -> None:
        self.messages.setdefault(self._key(field), []).extend(messages)

    def add_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add(field, *messages)
        else:
            self.add(None, *error.messages)

    def check(self, clean, *args, **kwargs):
        """`clean(*args, **kwargs)`, or None with its errors kept when it raises a ValidationError."""
        try:
            return clean(*args, **kwargs)
        except ValidationError as error:
            self.add_error(error)
            return None

    @contextmanager
    def within(self, prefix: str):
        outer, self._prefix = self._prefix, self._key(prefix)
        try:
            yield self
        finally:
            self._prefix = outer

    def has(self, field: str) -> bool:
        return self._key(field) in self.messages

    def __bool__(self) -> bool:
        return bool(self.messages)

    def raise_if_any(self) -> None:
        if self.messages:
            raise ValidationError(self.messages)
