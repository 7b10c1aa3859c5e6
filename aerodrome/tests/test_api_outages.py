"""When a dependency is down, the API says so in its error format: 503 with Retry-After, not an HTML 500.

The database outage is real: gunicorn, configured for production, with a database address nothing listens on.
The broker outage is a real publish to a Redis port nothing listens on (no product view publishes inside a
request any more: saves leave it to the sweep; the mapping stays for whatever does)."""

import json
import time

import pytest

from accounts.tests.api_helpers import api_client, assert_error
from aerodrome.tests.servers import Server, free_port
from aerodrome.tests.test_production_serving import production_env


def test_an_api_call_while_the_database_is_down_is_a_json_503_with_retry_after(tmp_path):
    unreachable = f"postgres://postgres@127.0.0.1:{free_port()}/aerodrome"
    server = Server(production_env(tmp_path, DATABASE_URL=unreachable), tmp_path / "gunicorn.log")
    try:
        client = server.client()
        for headers in (
            {"Authorization": "Bearer aero_abcdefgh_" + "A" * 43},  # a well-formed token: its lookup fails
            {"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"},  # so does the session's
        ):
            started = time.monotonic()
            answer = client.get("/api/v1/workspaces/", headers={**headers, "Accept": "application/json"})
            assert answer.status == 503, answer.text
            assert answer.header("Content-Type") == "application/json"
            assert int(answer.header("Retry-After")) > 0
            error = json.loads(answer.text)["error"]
            assert error["code"] == "unavailable" and "database" in error["message"]
            assert "OperationalError" not in answer.text and "127.0.0.1" not in answer.text
            assert time.monotonic() - started < 5
        unknown = client.get("/api/v1/no-such-thing/", headers={"Accept": "application/json"})
        assert unknown.status == 404 and json.loads(unknown.text)["error"]["code"] == "not_found"
    finally:
        server.stop()
    assert "OperationalError" in (tmp_path / "gunicorn.log").read_text()  # logged for operators


@pytest.mark.urls("aerodrome.tests.outage_urls")
def test_a_broker_outage_inside_an_api_call_is_a_json_503(tenancy):
    response = api_client(tenancy.owner).post("/api/v1/test-outage/publish/")
    error = assert_error(response, 503, "unavailable")
    assert "broker" in error["message"]
    assert int(response["Retry-After"]) > 0


@pytest.mark.urls("aerodrome.tests.outage_urls")
def test_a_bug_inside_an_api_call_is_a_json_500_without_its_details(tenancy, caplog):
    response = api_client(tenancy.owner).get("/api/v1/test-outage/bug/")
    error = assert_error(response, 500, "server_error")
    assert "secret-internal-detail" not in response.content.decode()
    assert "logged" in error["message"]
    assert "secret-internal-detail" in caplog.text  # but the operators see it
