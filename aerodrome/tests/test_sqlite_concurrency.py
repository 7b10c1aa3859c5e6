"""The embedded default (SQLite under VAR_DIR, what `make run` uses) holds concurrent writes from a multi-process
server: no request fails with "database is locked"."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from aerodrome.tests.servers import Client, Server, clean_env, manage

WRITERS = 12
WRITES_EACH = 6


@pytest.fixture
def embedded_server(tmp_path):
    """gunicorn (3 processes of 4 threads, the configuration's defaults) over a fresh embedded SQLite database,
    migrated and seeded as `make run` does."""
    env = clean_env(DEBUG="true", VAR_DIR=str(tmp_path))
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        result = manage(*command, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    server = Server(env, tmp_path / "gunicorn.log")
    yield server
    server.stop()


def test_concurrent_api_writes_all_succeed_on_the_embedded_database(embedded_server):
    owner = embedded_server.client(https=False)
    owner.get("/accounts/login/")
    login = {"login": "owner@aerodrome.local", "password": "aerodrome-demo", "csrfmiddlewaretoken": owner.csrf_token()}
    assert owner.post("/accounts/login/", login).status == 302
    organization = owner.get("/api/v1/organizations/", headers={"Accept": "application/json"})
    slug = organization.text.split('"slug":"', 1)[1].split('"', 1)[0]

    def writer(number: int) -> list[tuple[int, str]]:
        client = Client(embedded_server.port, https=False)
        client.cookies = dict(owner.cookies)
        answers = []
        for write in range(WRITES_EACH):
            body = {"organization": slug, "name": f"Load {number}-{write}"}
            answer = client.request("POST", "/api/v1/workspaces/", json=body)
            answers.append((answer.status, answer.text[:200]))
        return answers

    with ThreadPoolExecutor(WRITERS) as pool:
        answers = [answer for batch in pool.map(writer, range(WRITERS)) for answer in batch]

    failed = [answer for answer in answers if answer[0] != 201]
    assert not failed, f"{len(failed)} of {len(answers)} writes failed, e.g. {failed[:3]}"
    assert "database is locked" not in (embedded_server.log.read_text())
    listed = owner.get("/api/v1/workspaces/?page_size=200", headers={"Accept": "application/json"}).text
    assert listed.count('"name":"Load ') == WRITERS * WRITES_EACH
