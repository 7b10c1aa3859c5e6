"""Fixtures for the deployments app: a fake Kubernetes cluster served over real HTTP (see kmock_harness)."""

import pytest

from deployments.tests.kmock_harness import FakeCluster


@pytest.fixture(scope="session")
def fake_cluster():
    """One fake cluster for the whole session (starting a server per test would dominate the run time)."""
    cluster = FakeCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def kube(fake_cluster):
    """The fake cluster, emptied: no objects, faults or counters left over from other tests."""
    fake_cluster.reset()
    return fake_cluster


@pytest.fixture(scope="session")
def tenant_postgres():
    """The admin URL of an organisation cluster's metadata PostgreSQL (the suite's, through a relay of its own)."""
    from django.conf import settings

    from deployments.tests.tcp_relay import TcpRelay

    database = settings.DATABASES["default"]
    relay = TcpRelay((database["HOST"], int(database["PORT"])))
    yield f"postgresql://{database['USER']}@127.0.0.1:{relay.port}/postgres"
    relay.close()


@pytest.fixture(scope="session")
def real_airflow(tmp_path_factory, live_server):
    """A Celery Airflow 3.1 Deployment as render produced it, run for real once per test run: its metadata database
    and role provisioned by `metadata_db` on the local PostgreSQL, Debian's pgbouncer running the rendered
    pgbouncer.ini, `airflow db migrate` and `airflow api-server` from the rendered ConfigMap and Secrets, with the
    rendered webserver_config.py sending logins to Aerodrome's live server (its OpenID Connect issuer)."""
    import secrets

    from deployments import metadata_db
    from deployments.kube.render import render
    from deployments.kube.spec import MetadataDatabase
    from deployments.tests import real_airflow as harness
    from deployments.tests.processes import free_port

    name = f"af_test_{secrets.token_hex(4)}"
    database = MetadataDatabase(host="127.0.0.1", port=5432, name=name, user=name)
    spec = harness.spec_for(database=database, oidc_issuer=f"{live_server.url}/o")
    objects = render(spec)
    run_dir = tmp_path_factory.mktemp("real-airflow")
    metadata_db.ensure(harness.ADMIN_URL, name=name, user=name, password=spec.secrets.metadata_password, guarded=False)
    pgbouncer = harness.PgBouncer(objects, spec.release_name)
    # Workers serve task logs on [logging] worker_log_server_port; here on a free port rather than the rendered
    # 8793, which another test run on this machine may hold.
    log_server_port = free_port()
    api = harness.ApiServer(
        objects, spec, pgbouncer, run_dir, AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(log_server_port)
    )
    try:
        pgbouncer.start()
        api.start()
        yield harness.RealAirflow(spec, objects, pgbouncer, api, run_dir, log_server_port)
    finally:
        api.stop()
        pgbouncer.stop()
        metadata_db.drop(harness.ADMIN_URL, name=name, user=name, guarded=False)
