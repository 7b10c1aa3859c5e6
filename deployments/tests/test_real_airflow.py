"""What render produces, run with the real Airflow 3.1 (`.airflow-venv`) and Debian's pgbouncer: the `real_airflow`
fixture (deployments/tests/conftest.py) provisions the metadata database with `metadata_db`, runs the rendered
pgbouncer.ini, `airflow db migrate` and `airflow api-server` once per test run."""

import json
import socket
import textwrap

import psycopg
import pytest

from deployments.tests.processes import stop_process, wait_for
from deployments.tests.real_airflow import (
    ADMIN_URL,
    airflow_bin,
    airflow_env,
    materialise,
    run_airflow,
    run_python,
    spawn,
)

pytestmark = pytest.mark.real_airflow

# Airflow's own engines, configured from the materialised airflow.cfg and Secrets, hammered the way the api-server
# uses them: many concurrent async sessions (asyncpg) each running several short transactions, and sync sessions
# (psycopg2) from threads, all through pgbouncer.
_CONCURRENT_QUERIES = textwrap.dedent(
    """
    import asyncio, json
    from concurrent.futures import ThreadPoolExecutor
    from sqlalchemy import text
    from airflow import settings

    async def async_client(number):
        for round in range(5):
            async with settings.AsyncSession() as session:
                for value in (number, round):
                    got = (await session.execute(text("SELECT CAST(:v AS integer) + 0"), {"v": value})).scalar()
                    assert got == value, (got, value)
                await session.commit()

    def sync_client(number):
        for round in range(5):
            with settings.Session() as session:
                got = session.execute(text("SELECT CAST(:v AS integer) + 0"), {"v": number}).scalar()
                assert got == number, (got, number)
                session.commit()

    async def main():
        return await asyncio.gather(*(async_client(n) for n in range(40)), return_exceptions=True)

    async_results = asyncio.run(main())
    with ThreadPoolExecutor(8) as pool:
        sync_results = [f.exception() for f in [pool.submit(sync_client, n) for n in range(40)]]
    print(json.dumps({
        "engine": settings.async_engine.url.drivername,
        "async_failures": [repr(r) for r in async_results if isinstance(r, BaseException)],
        "sync_failures": [repr(r) for r in sync_results if r is not None],
    }))
    """
)


def test_async_and_sync_queries_pass_through_the_rendered_pgbouncer(real_airflow):
    result = run_python(real_airflow.api.env, _CONCURRENT_QUERIES)
    assert result.returncode == 0, result.stderr[-5000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["engine"] == "postgresql+asyncpg"  # Airflow 3 derived its async engine from sql_alchemy_conn
    assert outcome["async_failures"] == []
    assert outcome["sync_failures"] == []


def test_api_server_serves_the_rendered_deployment(real_airflow):
    status, health = real_airflow.api.request("GET", "/api/v2/monitor/health")
    assert status == 200
    assert health["metadatabase"]["status"] == "healthy"
    status, version = real_airflow.api.request("GET", "/api/v2/version", token=real_airflow.admin_token())
    assert status == 200 and version["version"] == "3.1.3"


_DAG = textwrap.dedent(
    """
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.empty import EmptyOperator

    with DAG("log_check", schedule=None):
        EmptyOperator(task_id="say_hello")
    """
)


@pytest.fixture
def celery_worker_log_server(real_airflow):
    """A Celery worker's log server as render set the worker up: its own AIRFLOW_HOME (config, Secrets, logs
    folder) materialised from the worker Deployment, running what `airflow celery worker` starts beside Celery."""
    spec, api = real_airflow.spec, real_airflow.api
    worker = f"{spec.release_name}-worker-default"
    port = str(real_airflow.log_server_port)  # as in the api-server's environment (the fixture explains why)

    def start(**env):
        home = real_airflow.run_dir / f"worker-{len(started)}"
        worker_env = {**materialise(real_airflow.objects, worker, home, api.replacements), **env}
        worker_env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = port
        log = real_airflow.run_dir / f"{home.name}.log"
        process = spawn(
            [airflow_bin("python"), "-c", "from airflow.utils.serve_logs import serve_logs; serve_logs()"],
            log,
            env=airflow_env(worker_env),
        )
        started.append(process)
        wait_for(lambda: _listening(process, log, int(port)), timeout=60, message="the worker's log server")
        return home, worker_env, process

    started = []
    yield start
    for process in started:
        stop_process(process)


def _listening(process, log, port) -> bool:
    assert process.poll() is None, log.read_text()[-3000:]
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_api_server_reads_a_celery_task_log_from_the_worker_log_server(real_airflow, celery_worker_log_server):
    api, token = real_airflow.api, real_airflow.admin_token()
    (api.home / "dags").mkdir(exist_ok=True)
    (api.home / "dags" / "log_check.py").write_text(_DAG)
    run_airflow(api.env, "dags", "reserialize")
    status, run = api.request("POST", "/api/v2/dags/log_check/dagRuns", token=token, body={"logical_date": None})
    assert status == 200, run

    home, worker_env, process = celery_worker_log_server()
    # What a worker records when it runs the task: its hostname (the rendered hostname_callable, in its own
    # environment) on the task instance, and the task's log in its own logs folder.
    hostname = run_python(
        worker_env, "from airflow.utils.net import get_hostname; print(get_hostname())"
    ).stdout.strip()
    assert hostname
    with psycopg.connect(ADMIN_URL.rsplit("/", 1)[0] + f"/{real_airflow.spec.database.name}", autocommit=True) as conn:
        conn.execute(
            "UPDATE task_instance SET state = 'success', try_number = 1, hostname = %s WHERE dag_id = 'log_check'",
            [hostname],
        )
    log_file = (
        home / "logs" / "dag_id=log_check" / f"run_id={run['dag_run_id']}" / "task_id=say_hello" / "attempt=1.log"
    )
    log_file.parent.mkdir(parents=True)
    line = {"timestamp": "2025-11-14T10:00:00.000000Z", "level": "info", "event": "Hello from the Celery worker"}
    log_file.write_text(json.dumps(line) + "\n")
    assert not (api.home / "logs" / "dag_id=log_check").exists()  # the api-server has no copy of its own

    path = f"/api/v2/dags/log_check/dagRuns/{run['dag_run_id']}/taskInstances/say_hello/logs/1"
    status, body = api.request("GET", path, token=token)
    assert status == 200, body
    events = [entry.get("event") for entry in body["content"]]
    assert "Hello from the Celery worker" in events, body["content"]

    # The same fetch against a log server with another secret key is refused: the key really is what they share.
    stop_process(process)
    celery_worker_log_server(AIRFLOW__API__SECRET_KEY="not-the-deployments-key")
    status, body = api.request("GET", path, token=token)
    assert status == 200, body
    events = [entry.get("event") for entry in body["content"]]
    assert "Hello from the Celery worker" not in events
    assert "same 'secret_key'" in json.dumps(body["content"])
