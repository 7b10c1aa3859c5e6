"""What render produces, run with the real Airflow 3.1 (`.airflow-venv`) and Debian's pgbouncer: the `real_airflow`
fixture (deployments/tests/conftest.py) provisions the metadata database with `metadata_db`, runs the rendered
pgbouncer.ini, `airflow db migrate` and `airflow api-server` once per test run."""

import json
import textwrap

import pytest

from deployments.tests.real_airflow import run_python

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
