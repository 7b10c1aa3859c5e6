"""One error format for the whole API:

{"error": {"code": "invalid", "message": "…", "fields": {"name": ["Enter a name."]}}}
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable, machine-readable code such as `invalid` or `not_found`.")
    message = serializers.CharField(help_text="A sentence for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="For invalid input: the messages per field (`non_field_errors` for the request as a whole).",
    )


class ErrorSerializer(serializers.Serializer):
    """The schema of every error response (for the OpenAPI document)."""

    error = ErrorBodySerializer()


def _as_drf(exc):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return exceptions.ValidationError(detail)
    return exc


def exception_handler(exc, context):
    exc = _as_drf(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    body = {"code": getattr(exc, "default_code", "error"), "message": "", "fields": {}}
    if isinstance(exc, exceptions.ValidationError) and isinstance(response.data, dict):
        body["code"] = "invalid"
        body["fields"] = {key: value if isinstance(value, list) else [value] for key, value in response.data.items()}
        body["message"] = "Some fields are not valid: " + ", ".join(body["fields"]) + "."
    elif isinstance(response.data, dict) and "detail" in response.data:
        body["message"] = str(response.data["detail"])
        body["code"] = getattr(response.data["detail"], "code", body["code"])
    else:
        body["message"] = "The request is not valid."
        body["fields"] = {"non_field_errors": response.data}
    if response.status_code == status.HTTP_404_NOT_FOUND:
        body["message"] = "Not found."
    response.data = {"error": body}
    return response
