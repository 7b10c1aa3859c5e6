"""One error format for the whole API:

{"error": {"code": "invalid", "message": "…", "fields": {"queues[1].max_workers": ["…"]}}}

DRF views answer through `exception_handler`; what goes wrong outside them (an unknown address, a body too
large, the database or broker down) is put in the same format by `aerodrome.api.middleware`.
"""

import logging

import kombu.exceptions
import redis.exceptions
from django import db
from django.core.exceptions import NON_FIELD_ERRORS as DJANGO_NON_FIELD_ERRORS
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger("django.request")

API_PREFIX = "/api/"
NON_FIELD_ERRORS = "non_field_errors"
# A dependency that does not answer: the request may succeed once it is back.
OUTAGES = (
    db.OperationalError,  # PostgreSQL unreachable, or a lock or statement timeout
    db.InterfaceError,  # the connection was lost
    kombu.exceptions.OperationalError,  # the broker, when a request enqueues
    redis.exceptions.ConnectionError,  # the shared cache (rate limits)
    redis.exceptions.TimeoutError,
)
OUTAGE_RETRY_AFTER_SECONDS = 30
MESSAGES = {
    400: "The request is not valid.",
    401: "Authentication credentials were not provided.",
    403: "You do not have permission to do this.",
    404: "Not found.",
    405: "This method is not allowed here.",
    406: "The API answers in JSON only.",
    413: "The request body is too large.",
    415: "Send the body as JSON (Content-Type: application/json).",
    429: "Too many requests; slow down.",
    500: "Something went wrong on our side. It has been logged; try again, or tell the platform's administrators.",
    503: "Aerodrome cannot reach its database or message broker right now. Try again shortly.",
}
CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
    503: "unavailable",
}


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable, machine-readable code such as `invalid` or `not_found`.")
    message = serializers.CharField(help_text="A sentence for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="For invalid input: the messages per field, every invalid field at once. A key is the field's "
        "path in the request body: `name`, `queues[1].max_workers` (the second item of `queues`), "
        "`contact_emails[0]`; `non_field_errors` for the request as a whole. Empty for other errors.",
    )


class ErrorSerializer(serializers.Serializer):
    """The schema of every error response (for the OpenAPI document)."""

    error = ErrorBodySerializer()


def error_response(
    status_code: int, *, code: str | None = None, message: str | None = None, fields=None, headers=None
) -> JsonResponse:
    body = {
        "code": code or CODES.get(status_code, "error"),
        "message": message or MESSAGES.get(status_code, "The request failed."),
        "fields": fields or {},
    }
    return JsonResponse({"error": body}, status=status_code, headers=headers)


def flatten(detail, path: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {field path: messages}: `{"queues": [{}, {"max_workers": ["…"]}]}` becomes
    `{"queues[1].max_workers": ["…"]}`, so every error, however deep, has the documented shape."""
    found: dict[str, list[str]] = {}

    def add(key: str, messages: list[str]) -> None:
        found.setdefault(key or NON_FIELD_ERRORS, []).extend(messages)

    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):
                child = f"{path}[{key}]"
            elif key == NON_FIELD_ERRORS and path:
                child = path  # an item's own error (e.g. not an object) is keyed by the item
            else:
                child = f"{path}.{key}" if path else str(key)
            for inner, messages in flatten(value, child).items():
                add(inner, messages)
    elif isinstance(detail, (list, tuple)):
        for index, item in enumerate(detail):
            if isinstance(item, (dict, list, tuple)):
                for inner, messages in flatten(item, f"{path}[{index}]").items():
                    add(inner, messages)
            else:
                add(path, [str(item)])
    else:
        add(path, [str(detail)])
    return found


def _as_drf(exc):
    if isinstance(exc, DjangoValidationError):
        if not hasattr(exc, "error_dict"):
            return exceptions.ValidationError({NON_FIELD_ERRORS: exc.messages})
        # Django's key for the input as a whole is `__all__`; the API's is `non_field_errors`.
        return exceptions.ValidationError(
            {
                NON_FIELD_ERRORS if key == DJANGO_NON_FIELD_ERRORS else key: value
                for key, value in exc.message_dict.items()
            }
        )
    return exc


def exception_handler(exc, context):
    exc = _as_drf(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: `aerodrome.api.middleware` answers (500, or 503 for an outage)
    body = {"code": getattr(exc, "default_code", "error"), "message": "", "fields": {}}
    if isinstance(exc, exceptions.ValidationError):
        body["code"] = "invalid"
        body["fields"] = flatten(response.data)
        body["message"] = "Some fields are not valid: " + ", ".join(body["fields"]) + "."
    elif isinstance(response.data, dict) and "detail" in response.data:
        body["message"] = str(response.data["detail"])
        body["code"] = getattr(response.data["detail"], "code", body["code"])
    else:
        body["message"] = MESSAGES[400]
        body["fields"] = flatten(response.data)
    if response.status_code == status.HTTP_404_NOT_FOUND:
        body["message"] = MESSAGES[404]
    response.data = {"error": body}
    return response


def not_found(request) -> JsonResponse:
    return error_response(
        404, message=f"There is nothing at {request.path[:200]}. The API's addresses are listed at /api/v1/docs/."
    )


def response_for_exception(exc, request, *, log: bool = True) -> JsonResponse:
    """An exception no DRF handler took (raised while reading the body, or by the database or the broker).
    `log`: whether to log a server-side failure (Django's error views are called after Django logged it)."""
    if isinstance(exc, OUTAGES):
        if log:
            logger.error("Service unavailable: %s", request.path, exc_info=exc)
        return error_response(503, headers={"Retry-After": str(OUTAGE_RETRY_AFTER_SECONDS)})
    if isinstance(exc, RequestDataTooBig):
        from django.conf import settings

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return error_response(413, message=f"The request body is larger than the limit of {limit} bytes.")
    if isinstance(exc, (SuspiciousOperation, BadRequest)):
        return error_response(400, message=f"{MESSAGES[400]} {exc}".strip())
    if isinstance(exc, Http404):
        return error_response(404)
    if isinstance(exc, PermissionDenied):
        return error_response(403)
    if log:
        logger.error("Internal Server Error: %s", request.path, exc_info=exc)
    return error_response(500)


def response_for_status(response, request) -> JsonResponse:
    """The error format for an error answered outside the API's views (Django's own 404, 400 or 500 pages)."""
    code = response.status_code
    if code == 404:
        return not_found(request)
    message = None
    if code == 429 and response.get("Retry-After"):
        message = f"Too many requests; try again in {response['Retry-After']} seconds."
    kept = {name: response[name] for name in ("Allow", "Retry-After", "WWW-Authenticate") if response.has_header(name)}
    return error_response(code, message=message, headers=kept)
