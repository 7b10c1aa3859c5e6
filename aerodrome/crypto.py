"""Encryption at rest for secrets kept in the database (kubeconfigs, env var values, generated passwords).

Keys come from FIELD_ENCRYPTION_KEYS (comma-separated Fernet keys; the first encrypts, all decrypt, so keys can
be rotated). Without it, one key is derived from SECRET_KEY, which is fine for a single install but means
rotating SECRET_KEY makes stored secrets unreadable.
"""

import base64
import hashlib
import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet() -> MultiFernet:
    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []) or [])
    if not keys:
        derived = hashlib.sha256(b"aerodrome-field-encryption:" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS holds an invalid Fernet key: {error}") from None


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted: FIELD_ENCRYPTION_KEYS (or SECRET_KEY) changed without keeping "
            "the old key."
        ) from None


class EncryptedTextField(models.TextField):
    """A text column stored as a Fernet token. Empty strings stay empty (nothing to hide)."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value


class EncryptedJSONField(models.TextField):
    """A JSON document stored encrypted; reads back as a dict."""

    def from_db_value(self, value, expression, connection):
        return json.loads(decrypt(value)) if value else {}

    def to_python(self, value):
        return value if isinstance(value, dict) else (json.loads(value) if value else {})

    def get_prep_value(self, value):
        return encrypt(json.dumps(value, sort_keys=True)) if value else ""
