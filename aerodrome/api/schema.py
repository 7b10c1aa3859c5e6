"""The OpenAPI schema: every operation documents the one error format next to its success response."""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse

from aerodrome.api.errors import ErrorSerializer

_ERRORS = {
    "400": "The input is not valid; `error.fields` says which field and why. Nothing was changed.",
    "401": "Not signed in: no credentials, or an API token that is malformed, unknown, rotated, deleted or expired.",
    "403": "Your role does not allow this.",
    "404": "Not found, or outside your organisations.",
}


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        codes = ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.append("400")
        for code in codes:
            if code not in responses:
                response = OpenApiResponse(ErrorSerializer, description=_ERRORS[code])
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return dict(sorted(responses.items()))
