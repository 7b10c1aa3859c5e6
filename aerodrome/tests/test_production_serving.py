"""Production serving, proven with real processes: `collectstatic` with the production storage, then gunicorn as the
Dockerfile runs it, DEBUG off, configured as the README's production example says, over the test database."""

import json
import re
import secrets

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from accounts.tests.factories import PASSWORD
from aerodrome.tests.servers import ROOT, Server, clean_env, documented_production_env, free_port, manage

STATIC_TAG = re.compile(r"""{%\s*static\s+['"]([^'"]+)['"]""")


def _oidc_key_file(var_dir):
    from aerodrome.oidc_keys import new_key_pem

    path = var_dir / "aerodrome-oidc.pem"
    if not path.exists():
        path.write_text(new_key_pem())
    return path


def production_env(var_dir, **overrides) -> dict[str, str]:
    """The README's production example; only the addresses of this machine's services are replaced."""
    database = settings.DATABASES["default"]
    here = dict(
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CACHE_URL="locmemcache://",
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="https://127.0.0.1",
        EMAIL_URL=f"smtp://127.0.0.1:{free_port()}",  # no test here sends mail
        VAR_DIR=str(var_dir),
        OIDC_RSA_PRIVATE_KEY_FILE=str(_oidc_key_file(var_dir)),
        WEB_CONCURRENCY="2",
        WEB_THREADS="2",
    )
    return clean_env(**{**documented_production_env(), **here, **overrides})


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory, django_db_setup):
    """A VAR_DIR whose STATIC_ROOT holds what `collectstatic` collected with the production storage."""
    var_dir = tmp_path_factory.mktemp("production-var")
    result = manage("collectstatic", "--noinput", env=production_env(var_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    return var_dir


@pytest.fixture(scope="module")
def server(var_dir):
    server = Server(production_env(var_dir), var_dir / "gunicorn.log")
    yield server
    server.stop()


@pytest.fixture
def people(transactional_db, tenancy):
    """The personas, committed (the server is another process) with a password hashed as production hashes it."""
    hasher = PBKDF2PasswordHasher()
    for user in (tenancy.owner, tenancy.member, tenancy.outsider):
        user.password = hasher.encode(PASSWORD, hasher.salt())
        user.save(update_fields=["password"])
    return tenancy


def log_in(client, email: str):
    assert client.get("/accounts/login/").status == 200
    answer = client.post(
        "/accounts/login/", {"login": email, "password": PASSWORD, "csrfmiddlewaretoken": client.csrf_token()}
    )
    assert answer.status == 302, answer.text
    return answer


def assert_branded(page, title: str):
    """The product's page (Tabler, the Aerodrome brand, hashed static files), not Django's or a bare one."""
    assert "Aerodrome" in page.text and title in page.text
    assert re.search(r'href="/static/vendor/tabler/css/tabler\.min\.[0-9a-f]{12}\.css"', page.text), page.text
    assert "Using the URLconf" not in page.text and "Traceback" not in page.text


def test_collectstatic_takes_every_static_file_and_every_template_reference(var_dir):
    manifest = json.loads((var_dir / "static" / "staticfiles.json").read_text())["paths"]
    on_disk = {p.relative_to(ROOT / "static").as_posix() for p in (ROOT / "static").rglob("*") if p.is_file()}
    assert on_disk <= manifest.keys()
    # The manifest is strict: a {% static %} name missing from it would make every page using it answer 500.
    referenced = {
        name for template in (ROOT / "templates").rglob("*.html") for name in STATIC_TAG.findall(template.read_text())
    }
    assert referenced and referenced <= manifest.keys(), referenced - manifest.keys()


def test_login_page_and_hashed_static_files_with_long_cache_headers(server):
    client = server.client()
    page = client.get("/accounts/login/")
    assert page.status == 200
    assert_branded(page, "Sign In")
    assert page.header("Strict-Transport-Security").startswith("max-age=31536000")

    stylesheet = re.search(r'href="(/static/vendor/tabler/css/tabler\.min\.[0-9a-f]{12}\.css)"', page.text)[1]
    asset = client.get(stylesheet, headers={"Accept-Encoding": "gzip"})
    assert asset.status == 200
    assert asset.header("Content-Type").startswith("text/css")
    assert asset.header("Content-Encoding") == "gzip"
    cache = asset.header("Cache-Control")
    assert "immutable" in cache and int(re.search(r"max-age=(\d+)", cache)[1]) >= 365 * 24 * 3600


def test_plain_http_is_sent_to_https_but_probes_answer(server):
    client = server.client(https=False)
    answer = client.get("/accounts/login/")
    assert answer.status == 301 and answer.header("Location") == f"https://{client.host}/accounts/login/"
    assert client.get("/healthz").status == 200
    assert client.get("/readyz").status == 200


def test_a_person_logs_in_and_works_in_their_organisation(server, people):
    client = server.client()
    log_in(client, people.owner.email)
    home = client.get("/orgs/acme/")
    assert home.status == 200
    assert "Acme Data" in home.text and "Analytics" in home.text
    assert_branded(home, "Acme Data")


def test_unknown_pages_and_other_tenants_pages_show_the_branded_404(server, people):
    client = server.client()
    assert_branded(missing := client.get("/no-such-page/"), "Not found")
    assert missing.status == 404
    log_in(client, people.owner.email)
    other_tenant = client.get(f"/orgs/{people.other_org.slug}/")
    assert other_tenant.status == 404
    assert_branded(other_tenant, "Not found")


def test_too_low_a_role_shows_the_branded_403(server, people):
    client = server.client()
    log_in(client, people.member.email)
    refused = client.get("/orgs/acme/sso/")
    assert refused.status == 403
    assert_branded(refused, "Your role does not allow this")


def _server_backends(application_name: str) -> set[int]:
    """The PostgreSQL backends the server holds open now (its connections carry an application name of their own)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return {pid for (pid,) in cursor.fetchall()}


@pytest.fixture
def tagged_server(var_dir, tmp_path):
    """A production server whose database connections are recognisable in pg_stat_activity."""
    database = settings.DATABASES["default"]
    name = f"aerodrome-serving-{secrets.token_hex(4)}"
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    server = Server(production_env(var_dir, DATABASE_URL=f"{url}?application_name={name}"), tmp_path / "gunicorn.log")
    yield server, name
    server.stop()


def test_the_server_keeps_its_database_connections_between_requests(tagged_server, people):
    """Not a new PostgreSQL connection (a backend process forked, authenticated, its caches cold) per request."""
    server, name = tagged_server
    client = server.client()
    log_in(client, people.owner.email)
    seen = set()
    for _ in range(20):
        assert client.get("/orgs/acme/").status == 200
        seen |= _server_backends(name)
    assert 0 < len(seen) <= 4, seen  # kept open: at most one per worker thread (2 processes x 2 threads)


def test_the_next_request_succeeds_after_postgresql_drops_the_servers_connections(tagged_server, people):
    """A database restart or failover closes every kept connection: the next request checks its connection
    before using it and opens a new one, instead of failing."""
    from django.db import connection

    server, name = tagged_server
    client = server.client()
    log_in(client, people.owner.email)
    for _ in range(8):
        assert client.get("/orgs/acme/").status == 200
    kept = _server_backends(name)
    assert kept
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", [name])
    for _ in range(8):
        assert client.get("/orgs/acme/").status == 200
    assert _server_backends(name).isdisjoint(kept)


def test_a_database_outage_shows_the_branded_500(var_dir, tmp_path):
    """A real fault, not a crash URL: the server's database does not answer (nothing listens on its port)."""
    unreachable = f"postgres://postgres@127.0.0.1:{free_port()}/aerodrome"
    server = Server(production_env(var_dir, DATABASE_URL=unreachable), tmp_path / "gunicorn.log")
    try:
        client = server.client()
        assert client.get("/accounts/login/").status == 200  # an anonymous page needs no database
        answer = client.post(
            "/accounts/login/",
            {"login": "someone@acme.test", "password": PASSWORD, "csrfmiddlewaretoken": client.csrf_token()},
        )
        assert answer.status == 500
        assert_branded(answer, "Something went wrong")
        assert client.get("/readyz").status == 503
    finally:
        server.stop()
    assert "OperationalError" in (tmp_path / "gunicorn.log").read_text()  # the error is logged for operators


def test_check_deploy_passes_with_the_documented_production_configuration(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
