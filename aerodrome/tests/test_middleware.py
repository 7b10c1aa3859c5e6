"""Request bodies that are not valid UTF-8 are refused with 400 (pages and API alike) instead of being decoded with
U+FFFD in place of the bad bytes and saved like that."""

import pytest

from accounts.tests.api_helpers import api_client, assert_error
from accounts.tests.page_helpers import db_state, text

pytestmark = pytest.mark.django_db

PAGE = "/orgs/acme/workspaces/new/"
API = "/api/v1/workspaces/"
FORM = "application/x-www-form-urlencoded"
BOUNDARY = "aerodrome-test-boundary"


def multipart(*fields: tuple[bytes, bytes]) -> bytes:
    parts = [
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (BOUNDARY.encode(), name, value)
        for name, value in fields
    ]
    return b"".join(parts) + b"--%s--\r\n" % BOUNDARY.encode()


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
# Each names the organisation too, for the API; the page's form ignores it.
NOT_UTF8 = {
    "percent-escaped": (FORM, b"organization=acme&name=Sales%FFpipelines&description="),
    "raw byte": (FORM, b"organization=acme&name=Sales\xffpipelines&description="),
    "cut sequence": (FORM, b"organization=acme&name=Caf%C3&description="),
    "multipart text field": (
        MULTIPART,
        multipart((b"organization", b"acme"), (b"name", b"Sales\xe9pipelines"), (b"description", b"")),
    ),
}


@pytest.mark.parametrize("case", NOT_UTF8)
def test_a_page_refuses_a_form_body_that_is_not_utf8(login, tenancy, case):
    content_type, body = NOT_UTF8[case]
    before = db_state()
    response = login(tenancy.owner).post(PAGE, body, content_type=content_type)
    assert response.status_code == 400
    assert "not valid UTF-8" in text(response)
    assert db_state() == before


@pytest.mark.parametrize("case", NOT_UTF8)
def test_the_api_refuses_a_form_body_that_is_not_utf8_in_its_error_format(tenancy, case):
    content_type, body = NOT_UTF8[case]
    before = db_state()
    response = api_client(tenancy.owner).generic("POST", API, body, content_type=content_type)
    error = assert_error(response, 400, "invalid_encoding")
    assert "not valid UTF-8" in error["message"]
    assert db_state() == before


@pytest.mark.parametrize(
    "body",
    [
        b'{"organization": "acme", "name": "Sales\xffpipelines"}',
        b'{"organization": "acme", "name": "Sales \\ud800 pipelines"}',  # a lone surrogate: no UTF-8 for it
    ],
)
def test_the_api_refuses_json_that_is_not_utf8_text(tenancy, body):
    before = db_state()
    response = api_client(tenancy.owner).generic("POST", API, body, content_type="application/json")
    assert_error(response, 400)
    assert db_state() == before


def test_valid_utf8_passes_through(login, tenancy):
    client = login(tenancy.owner)
    assert client.post(PAGE, "name=Caf%C3%A9+%E2%9C%88&description=", content_type=FORM).status_code == 302
    body = multipart((b"name", "Ops ✈".encode()), (b"description", "Ünïcode".encode()))
    assert client.post(PAGE, body, content_type=MULTIPART).status_code == 302
    body = '{"organization": "acme", "name": "Ops 🚀 \\u00e9"}'.encode()
    response = api_client(tenancy.owner).generic("POST", API, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Ops 🚀 é"
    assert sorted(tenancy.org.workspaces.values_list("name", flat=True)) == ["Analytics", "Café ✈", "Ops ✈", "Ops 🚀 é"]
