"""/metrics under gunicorn, as the Dockerfile runs it (platform/gunicorn.conf.py): request counts add up over every
worker process, including workers that have since been replaced, whichever process answers the scrape.

Each worker is replaced after 4 requests (`--max-requests`), so 12 requests are served by at least three processes
and every scrape by yet another: only counts shared across processes can add up."""

import os
import secrets

from django.conf import settings
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from aerodrome.tests.servers import Server, clean_env, documented_production_env, free_port

TOKEN = "metrics-token-0123456789-abcdefgh"


def env(var_dir) -> dict[str, str]:
    from aerodrome.oidc_keys import new_key_pem

    key = var_dir / "oidc.pem"
    key.write_text(new_key_pem())
    database = connection.settings_dict  # the test database
    return clean_env(
        **{
            **documented_production_env(),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CACHE_URL": "locmemcache://",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": "https://127.0.0.1",
            "EMAIL_URL": f"smtp://127.0.0.1:{free_port()}",
            "VAR_DIR": str(var_dir),
            "OIDC_RSA_PRIVATE_KEY_FILE": str(key),
            "STATIC_MANIFEST": "false",
            "WEB_CONCURRENCY": "2",
            "WEB_THREADS": "1",
            "PLATFORM_METRICS_TOKEN": TOKEN,
            "GUNICORN_CMD_ARGS": "--max-requests 4",
        }
    )


def login_count(client) -> float:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status == 200, answer.text[:500]
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            if sample.name == "aerodrome_http_requests_total" and sample.labels == {
                "view": "account_login",
                "method": "GET",
                "status": "200",
            }:
                return sample.value
    return 0


def worker_files(directory) -> set[str]:
    return {name for name in os.listdir(directory) if name.startswith("counter_")}


def test_request_counts_add_up_over_every_worker_process(db, tmp_path):
    server = Server(env(tmp_path), tmp_path / "gunicorn.log")
    try:
        client = server.client()
        for _ in range(12):
            assert client.get("/accounts/login/").status == 200
        assert [login_count(client) for _ in range(3)] == [12] * 3
        assert len(worker_files(tmp_path / "prometheus")) >= 3  # one file per process that counted
        for _ in range(3):
            client.get("/accounts/login/")
        assert login_count(client) == 15
    except AssertionError:
        print(server.log.read_text()[-3000:])
        raise
    finally:
        server.stop()
