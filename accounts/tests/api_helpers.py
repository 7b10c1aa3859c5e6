"""Helpers for the API tests: a client signed in as a persona, and checks of the one error format."""

from rest_framework.test import APIClient


def api_client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def assert_error(response, status_code: int, code: str | None = None) -> dict:
    """The response is an error in the API's one format; returns its body for further checks."""
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert error["message"], error
    if code is not None:
        assert error["code"] == code, error
    return error


def assert_field_error(response, field: str, *fragments: str) -> dict:
    """A 400 whose `fields[field]` holds a message containing each fragment."""
    error = assert_error(response, 400, "invalid")
    assert field in error["fields"], error
    text = " ".join(error["fields"][field])
    for fragment in fragments:
        assert fragment in text, text
    return error


def assert_not_found(response) -> None:
    assert_error(response, 404, "not_found")


def assert_forbidden(response) -> None:
    assert_error(response, 403, "permission_denied")
