"""Request fields that leave the checking to the services, so the API answers with the services' messages."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aerodrome.validation import NAME_MAX_LENGTH


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": NAME_MAX_LENGTH})
class NameField(serializers.CharField):
    """A name: blank or too long is rejected by the service (`aerodrome.validation.clean_name`), not here."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)


class OptionalURLField(serializers.URLField):
    """A URL that may be unset: null in answers rather than "" (which is no URL, against `format: uri`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None
