"""Settings for the test suite: the production settings, pointed at the local PostgreSQL and Redis."""

import os
import uuid

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aerodrome")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
os.environ.setdefault("STATIC_MANIFEST", "false")  # no collectstatic before tests
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("SITE_URL", "http://testserver")  # the test client's address
# Required outside DEBUG; in-process tests send through Django's test outbox or the `smtp_server` fixture instead.
os.environ.setdefault("EMAIL_URL", "smtp://127.0.0.1:25")
# The suite's own servers (the fake cluster, the test IdP, PostgreSQL) listen on loopback, which the outbound policy
# refuses for organisations by default; tests of the policy itself use the `strict_outbound` fixture.
os.environ.setdefault("OUTBOUND_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
# Notification retries in seconds, not minutes, for the test worker too (tests that assert the backoff set it).
os.environ.setdefault("NOTIFICATION_RETRY_BACKOFF_SECONDS", "1")
os.environ.setdefault("NOTIFICATION_MAX_ATTEMPTS", "3")
# Each test run sends its tasks to a queue of its own, which the test worker (conftest.py) consumes and
# inherits through the environment, so parallel runs and leftovers never mix.
os.environ.setdefault(
    "CELERY_TASK_DEFAULT_QUEUE", f"aerodrome-test-{uuid.uuid4().hex[:8]}"
)  # the live server for browser tests speaks plain HTTP

if "OIDC_RSA_PRIVATE_KEY" not in os.environ and "OIDC_RSA_PRIVATE_KEY_FILE" not in os.environ:
    from aerodrome.oidc_keys import new_key_pem

    os.environ["OIDC_RSA_PRIVATE_KEY"] = new_key_pem()  # inherited by the test worker and live servers

from aerodrome.settings import *  # noqa: E402,F403

# A test database of the run's own, so two runs (or a run and a benchmark) on one machine never collide.
DATABASES["default"]["TEST"] = {"NAME": f"test_aerodrome_{os.environ['CELERY_TASK_DEFAULT_QUEUE'].rsplit('-', 1)[-1]}"}  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; never used outside tests
WHITENOISE_USE_FINDERS = True
