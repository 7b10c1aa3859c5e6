"""Settings come from the environment and fail loudly on bad values."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from aerodrome.env import env_bool, env_int, env_list, env_networks, env_rate, env_str


def test_booleans_accept_the_usual_spellings(monkeypatch):
    monkeypatch.setenv("FLAG", "Yes")
    assert env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "off")
    assert env_bool("FLAG", True) is False


def test_a_misspelt_boolean_stops_start_up(monkeypatch):
    monkeypatch.setenv("FLAG", "treu")
    with pytest.raises(ImproperlyConfigured, match="FLAG='treu' is not a boolean"):
        env_bool("FLAG", False)


def test_a_non_number_stops_start_up(monkeypatch):
    monkeypatch.setenv("COUNT", "ten")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("COUNT", 1)


def test_a_rate_limit_is_a_count_per_period(monkeypatch):
    assert env_rate("RATE", "60/minute") == "60/minute"
    monkeypatch.setenv("RATE", "5/second")
    assert env_rate("RATE", "60/minute") == "5/second"
    for wrong in ("60 per minute", "60/fortnight", "-1/minute", "60"):
        monkeypatch.setenv("RATE", wrong)
        with pytest.raises(ImproperlyConfigured, match="is not a rate"):
            env_rate("RATE", "60/minute")


def test_secrets_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("SOME_SECRET_FILE", str(secret))
    assert env_str("SOME_SECRET") == "from-a-file"


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example, b.example,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_networks_are_comma_separated_cidrs_and_a_bad_one_stops_start_up(monkeypatch):
    monkeypatch.setenv("NETS", "10.0.0.0/8, 192.168.1.7, fd00::/8")
    assert [str(net) for net in env_networks("NETS")] == ["10.0.0.0/8", "192.168.1.7/32", "fd00::/8"]
    monkeypatch.setenv("NETS", "10.0.0.0/8,10.0.0.0/33")
    with pytest.raises(ImproperlyConfigured, match="NETS: '10.0.0.0/33' is not a network"):
        env_networks("NETS")


def _import_settings(code: str, **env):
    """Imports the production settings in a fresh interpreter with only the given overrides."""
    dropped = {"SECRET_KEY", "DEBUG", "SECURE_COOKIES", "DJANGO_SETTINGS_MODULE", "EMAIL_URL", "SITE_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.update(env)
    return subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _import_settings("import aerodrome.settings", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "The environment variable SECRET_KEY is required." in result.stderr


def test_debug_is_off_and_cookies_secure_unless_asked_for(tmp_path):
    code = "import aerodrome.settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE)"
    result = _import_settings(
        code, SECRET_KEY="x" * 40, VAR_DIR=str(tmp_path), EMAIL_URL="smtp://mail.example.com", SITE_URL="https://a.test"
    )
    assert result.stdout.split() == ["False", "True"], result.stderr


@pytest.mark.parametrize("email_url", [None, "consolemail://", "filemail:///tmp/mail", "memorymail://"])
def test_production_refuses_to_start_without_a_real_mail_server(tmp_path, email_url):
    env = {"SECRET_KEY": "x" * 50, "VAR_DIR": str(tmp_path), "SITE_URL": "https://aerodrome.example.com"}
    result = _import_settings("import aerodrome.wsgi", **env, **({"EMAIL_URL": email_url} if email_url else {}))
    assert result.returncode != 0
    assert "EMAIL_URL must name a mail server" in result.stderr, result.stderr


def test_production_refuses_to_start_without_site_url(tmp_path):
    env = {"SECRET_KEY": "x" * 50, "VAR_DIR": str(tmp_path), "EMAIL_URL": "smtp://mail.example.com"}
    result = _import_settings("import aerodrome.wsgi", **env)
    assert result.returncode != 0
    assert "SITE_URL is required" in result.stderr, result.stderr


def test_production_refuses_to_start_without_the_key_that_signs_airflow_logins(tmp_path):
    env = {"SECRET_KEY": "x" * 50, "VAR_DIR": str(tmp_path), "EMAIL_URL": "smtp://mail.example.com"}
    env["SITE_URL"] = "https://aerodrome.example.com"
    result = _import_settings("import aerodrome.wsgi", **env, OIDC_RSA_PRIVATE_KEY="")
    assert result.returncode != 0
    assert "OIDC_RSA_PRIVATE_KEY is required outside DEBUG" in result.stderr, result.stderr


def test_development_makes_one_key_for_airflow_logins_and_keeps_it(tmp_path):
    code = "import aerodrome.settings as s; print(s.OAUTH2_PROVIDER['OIDC_RSA_PRIVATE_KEY'].splitlines()[0])"
    first = _import_settings(code, DEBUG="true", VAR_DIR=str(tmp_path), OIDC_RSA_PRIVATE_KEY="")
    assert first.stdout.strip() == "-----BEGIN PRIVATE KEY-----", first.stderr
    key = (tmp_path / "oidc-development-key.pem").read_text()
    again = _import_settings(
        "import aerodrome.settings as s; print(s.OIDC_RSA_PRIVATE_KEY)",
        DEBUG="true",
        VAR_DIR=str(tmp_path),
        OIDC_RSA_PRIVATE_KEY="",
    )
    assert again.stdout.strip() == key.strip()


def test_development_needs_neither_mail_server_nor_site_url(tmp_path):
    code = "import aerodrome.settings as s; print(s.MAILERS['default']['BACKEND'], repr(s.SITE_URL))"
    result = _import_settings(code, DEBUG="true", VAR_DIR=str(tmp_path))
    assert result.stdout.split() == ["django.core.mail.backends.console.EmailBackend", "''"], result.stderr


def test_build_steps_run_without_what_only_serving_needs(tmp_path):
    """collectstatic (the Dockerfile's build step) and makemigrations need neither SITE_URL, a mail server nor the
    OIDC key; the server refuses to start without them (the tests above)."""
    env = {"SECRET_KEY": "x" * 50, "VAR_DIR": str(tmp_path), "STATIC_MANIFEST": "true", "OIDC_RSA_PRIVATE_KEY": ""}
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'aerodrome.settings'); django.setup();"
        "from django.core.management import call_command;"
        "call_command('makemigrations', '--check', '--dry-run'); call_command('collectstatic', '--noinput', '-v0')"
    )
    result = _import_settings(code, **env)
    assert result.returncode == 0, result.stderr[-3000:]
