"""Settings for the test suite: the production settings, pointed at the local PostgreSQL and Redis."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aerodrome")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
os.environ.setdefault("STATIC_MANIFEST", "false")  # no collectstatic before tests
os.environ.setdefault("SECURE_COOKIES", "false")  # the live server for browser tests speaks plain HTTP

from aerodrome.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; never used outside tests
WHITENOISE_USE_FINDERS = True
