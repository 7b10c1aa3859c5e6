"""Every answer under /api/ is JSON in the one error format (aerodrome/api/errors.py), whatever goes wrong and
wherever: an unknown address, a format-suffix URL, a body too large or nested too deep, too many requests."""

import json

import pytest
from django.core.cache import cache

from accounts.tests.api_helpers import api_client, assert_error
from accounts.tests.page_helpers import db_state
from accounts.tokens import services as tokens
from deployments.tests.factories import make_deployment

pytestmark = pytest.mark.django_db

WORKSPACES = "/api/v1/workspaces/"


@pytest.fixture
def deployment(tenancy):
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/v1/workspaces/1/nothing-here/", "/api/v2/"])
def test_an_unknown_api_address_is_a_json_404(tenancy, settings, debug, path):
    settings.DEBUG = debug  # `make run`'s branded 404 page is for people, not for API clients
    response = api_client(tenancy.owner).get(path)
    assert response["Content-Type"] == "application/json"
    error = assert_error(response, 404, "not_found")
    assert path in error["message"]


def test_an_unknown_address_outside_the_api_is_still_a_page(tenancy):
    response = api_client(tenancy.owner).get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# Format suffixes: dropped. Each of these answered 500 (`unexpected keyword argument 'format'`) or served JSON
# twice under two addresses; now they are addresses like any unknown one.
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/workspaces.json"),
        ("get", "/api/v1/workspaces.json"),
        ("get", "/api/v1/workspaces/{workspace}.json"),
        ("patch", "/api/v1/workspaces/{workspace}.json"),
        ("delete", "/api/v1/workspaces/{workspace}.json"),
        ("post", "/api/v1/deployments/{deployment}/reconcile.json"),
        ("post", "/api/v1/organizations/acme/leave.json"),
        ("post", "/api/v1/deployments/{deployment}/variables.json"),
    ],
)
def test_format_suffix_urls_are_a_json_404_and_change_nothing(tenancy, deployment, method, path):
    path = path.format(workspace=tenancy.workspace.pk, deployment=deployment.pk)
    before = db_state()
    response = getattr(api_client(tenancy.owner), method)(path, {"name": "Renamed", "key": "A", "value": "1"})
    assert response["Content-Type"] == "application/json"
    assert_error(response, 404, "not_found")
    assert db_state() == before


def test_the_format_query_parameter_still_chooses_a_representation(tenancy, deployment):
    response = api_client(tenancy.owner).get(f"/api/v1/deployments/{deployment.pk}/manifests/?format=json")
    assert response.status_code == 200
    assert isinstance(response.json(), list)


# Bodies too large


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", json.dumps({"organization": "acme", "name": "x" * 5000})),
        ("application/x-www-form-urlencoded", "organization=acme&name=" + "x" * 5000),
    ],
)
def test_a_body_over_the_upload_limit_is_a_json_413(tenancy, settings, content_type, body):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = db_state()
    response = api_client(tenancy.owner).generic("POST", WORKSPACES, body, content_type=content_type)
    assert response["Content-Type"] == "application/json"
    error = assert_error(response, 413, "too_large")
    assert "1000 bytes" in error["message"]
    assert db_state() == before


def test_a_form_with_too_many_fields_is_a_json_400(tenancy, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=x" for i in range(50))
    response = api_client(tenancy.owner).generic(
        "POST", WORKSPACES, body, content_type="application/x-www-form-urlencoded"
    )
    assert response["Content-Type"] == "application/json"
    assert_error(response, 400)


# JSON nested too deep


def test_deeply_nested_json_is_refused_with_400(tenancy):
    body = "[" * 100_000 + "]" * 100_000  # 200 KB: the C decoder recursed until RecursionError (a 500)
    before = db_state()
    response = api_client(tenancy.owner).generic("POST", WORKSPACES, body, content_type="application/json")
    error = assert_error(response, 400, "parse_error")
    assert "nested" in error["message"]
    assert db_state() == before


def test_nesting_counts_brackets_outside_strings_only(tenancy):
    """Brackets inside a string are text: a description full of them is saved as typed."""
    description = "[{" * 400
    body = json.dumps({"organization": "acme", "name": "Brackets", "description": description[:500]})
    response = api_client(tenancy.owner).generic("POST", WORKSPACES, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["description"] == description[:500]


def test_json_nested_within_the_limit_reaches_the_usual_checks(tenancy):
    body = json.dumps({"organization": "acme", "name": [[[["too", "deep", "for", "a", "name"]]]]})
    response = api_client(tenancy.owner).generic("POST", WORKSPACES, body, content_type="application/json")
    error = assert_error(response, 400, "invalid")
    assert "name" in error["fields"]


# Throttling


@pytest.fixture
def low_rates(settings):
    settings.API_RATE_LIMITS = {"client": "3/minute", "anonymous": "2/minute"}
    cache.clear()
    yield
    cache.clear()


def test_a_client_over_its_rate_gets_a_json_429_with_retry_after(tenancy, low_rates):
    client = api_client(tenancy.owner)
    for _ in range(3):
        assert client.get(WORKSPACES).status_code == 200
    response = client.get(WORKSPACES)
    error = assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60
    assert "Retry-After" in error["message"] or "seconds" in error["message"]
    # Another person keeps their own allowance.
    assert api_client(tenancy.member).get(WORKSPACES).status_code == 200


def test_api_tokens_are_counted_apart_from_people(tenancy, low_rates):
    """A token and a user can share a database id: each has its own allowance all the same."""
    token, plaintext = tokens.token_create(actor=tenancy.owner, organization=tenancy.org, role="MEMBER", name="CI")
    person = api_client(tenancy.owner)
    for _ in range(3):
        assert person.get(WORKSPACES).status_code == 200
    assert_error(person.get(WORKSPACES), 429, "throttled")
    machine = api_client()
    machine.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert machine.get(WORKSPACES).status_code == 200


def test_anonymous_callers_share_a_lower_rate_per_address(tenancy, low_rates):
    client = api_client()
    for _ in range(2):
        assert client.get("/api/v1/schema/").status_code == 200
    response = client.get("/api/v1/schema/")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


# Errors inside lists


def test_errors_inside_list_items_are_keyed_by_their_path(tenancy):
    """Each message sits under its field's path, so `fields` is always {path: [message]} as documented."""
    body = {
        "workspace": tenancy.workspace.pk,
        "name": "Nested",
        "contact_emails": ["ok@acme.test", ["not", "a", "string"]],
        "queues": ["etl", {"name": "ok", "min_workers": 1}],
    }
    response = api_client(tenancy.owner).post("/api/v1/deployments/", body, format="json")
    fields = assert_error(response, 400, "invalid")["fields"]
    assert set(fields) == {"contact_emails[1]", "queues[0]"}
    assert all(isinstance(messages, list) and all(isinstance(m, str) for m in messages) for messages in fields.values())
