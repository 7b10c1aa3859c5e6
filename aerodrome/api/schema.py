"""The OpenAPI schema: every operation documents each status the API can answer besides its success, all in the
one error format (aerodrome/api/errors.py), as shared responses under `components/responses`.

Which statuses: every operation can meet 401, 403, 406, 429 and 503; an operation on an object (a path parameter)
or a list (its `cursor`) 404; a write 400 (its input), 413 and 415 (its body); a list 400 (its filters and
`search`). An operation that names other objects in its body documents its own 404 (e.g. an unknown workspace).
"""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse

from aerodrome.api.errors import ErrorSerializer

RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "Seconds to wait before trying again."}
}
# name: (status, description)
RESPONSES = {
    "InvalidInput": ("400", "The input is not valid; `error.fields` lists every invalid field. Nothing was changed."),
    "InvalidFilter": ("400", "A filter or `search` is not valid; `error.fields` names each one."),
    "NotAuthenticated": (
        "401",
        "Not signed in: no credentials, or an API token that is malformed, unknown, rotated, deleted or expired.",
    ),
    "Forbidden": ("403", "Your role does not allow this."),
    "NotFound": ("404", "Not found, or outside your organisations."),
    "ListNotFound": ("404", "An invalid `cursor`, or a parent object not found or outside your organisations."),
    "NotAcceptable": ("406", "The request's Accept header excludes JSON, the only format the API answers in."),
    "TooLarge": ("413", "The request body is larger than the server accepts."),
    "UnsupportedMediaType": ("415", "The body is not JSON (nor a form): send `Content-Type: application/json`."),
    "Throttled": ("429", "Too many requests from you (or, without credentials, your address); see Retry-After."),
    "Unavailable": ("503", "Aerodrome's database or message broker does not answer right now; see Retry-After."),
}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


class AutoSchema(BaseAutoSchema):
    def _is_list_view(self, serializer=None):
        # A view whose `list` answers one object (a Deployment's metrics or logs page) sets `list_answers_one`.
        if getattr(self.view, "list_answers_one", False):
            return False
        return super()._is_list_view(serializer)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        self.resolve_serializer(ErrorSerializer, direction)  # the component the shared responses refer to
        is_list = getattr(self.view, "action", None) == "list"
        names = ["NotAuthenticated", "Forbidden", "NotAcceptable", "Throttled", "Unavailable"]
        if is_list:
            names += ["InvalidFilter", "ListNotFound"]
        elif "{" in self.path:
            names.append("NotFound")
        if self.method in WRITES:
            names += ["InvalidInput", "TooLarge", "UnsupportedMediaType"]
        for name in names:
            status = RESPONSES[name][0]
            responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
        return dict(sorted(responses.items()))


def add_error_responses(result, generator, request, public):
    """POSTPROCESSING_HOOKS: the shared error responses the operations refer to."""
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    result.setdefault("components", {})["responses"] = {
        name: {
            "description": description,
            "content": content,
            **({"headers": RETRY_AFTER} if status in ("429", "503") else {}),
        }
        for name, (status, description) in RESPONSES.items()
    }
    return result


def not_found(what: str) -> OpenApiResponse:
    """The 404 of an operation whose body names another object: `what` is not found or outside your organisations."""
    return OpenApiResponse(ErrorSerializer, description=f"{what} is not found, or outside your organisations.")
