"""The metadata database and role, created and dropped for real on the local PostgreSQL (as for a platform
cluster: an organisation's may not use Aerodrome's own PostgreSQL, see test_cluster_outbound.py)."""

import uuid

import psycopg
import pytest

from deployments import metadata_db

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def names():
    name = f"airflow_test_{uuid.uuid4().hex[:8]}"
    yield name
    metadata_db.drop(ADMIN_URL, name=name, user=name, guarded=False)


def test_ensure_creates_a_database_the_role_can_log_in_to(names):
    assert metadata_db.ensure(ADMIN_URL, name=names, user=names, password="s3cret-pw", guarded=False) is True

    assert metadata_db.exists(ADMIN_URL, name=names, user=names, guarded=False) == (True, True)
    with psycopg.connect(f"postgresql://{names}:s3cret-pw@127.0.0.1:5432/{names}") as conn:
        owner = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [names]).fetchone()
        conn.execute("CREATE TABLE dag (id int)")  # Airflow's migrations need to create tables
    assert owner == (names,)


def test_ensure_is_idempotent_and_resets_the_password(names):
    metadata_db.ensure(ADMIN_URL, name=names, user=names, password="first", guarded=False)

    assert metadata_db.ensure(ADMIN_URL, name=names, user=names, password="second", guarded=False) is False

    with psycopg.connect(f"postgresql://{names}:second@127.0.0.1:5432/{names}"):
        pass


def test_drop_removes_database_and_role_even_with_open_connections(names):
    metadata_db.ensure(ADMIN_URL, name=names, user=names, password="pw", guarded=False)
    lingering = psycopg.connect(f"postgresql://{names}:pw@127.0.0.1:5432/{names}")
    try:
        metadata_db.drop(ADMIN_URL, name=names, user=names, guarded=False)
    finally:
        lingering.close()

    assert metadata_db.exists(ADMIN_URL, name=names, user=names, guarded=False) == (False, False)
    metadata_db.drop(ADMIN_URL, name=names, user=names, guarded=False)  # already gone: no error


def test_unreachable_server_is_reported_as_unavailable():
    with pytest.raises(metadata_db.DatabaseUnavailable, match="Cannot reach"):
        metadata_db.ensure(
            "postgresql://postgres@127.0.0.1:1/postgres", name="x", user="x", password="x", guarded=False
        )
