"""`make run` works with nothing configured: SQLite and Celery's filesystem queue under VAR_DIR."""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return None, ""


def test_make_run_serves_the_login_page_without_postgres_or_redis(tmp_path):
    port = _free_port()
    dropped = {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}
    dropped |= {"EMAIL_URL", "SITE_URL"}  # the test settings' values: `make run` needs neither
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(VAR_DIR=str(tmp_path), PORT=str(port))
    log = tmp_path / "run.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            ["make", "run"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        status, body = None, ""
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and status != 200:
            assert process.poll() is None, log.read_text()
            time.sleep(1)
            status, body = _get(f"http://127.0.0.1:{port}/accounts/login/")
        assert status == 200, log.read_text()
        assert "Sign In" in body
        assert _get(f"http://127.0.0.1:{port}/readyz")[0] == 200
        # A mistyped address shows the product's 404 page, not Django's debug page listing every URL pattern.
        status, body = _get(f"http://127.0.0.1:{port}/no-such-page/")
        assert status == 404
        assert "This page does not exist" in body and "Using the URLconf" not in body
        assert "Log in as owner@aerodrome.local" in log.read_text()
        # The worker and beat run too (they may finish starting after the web server).
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not ("ready." in log.read_text() and "beat: Starting" in log.read_text()):
            time.sleep(1)
        assert "ready." in log.read_text() and "beat: Starting" in log.read_text(), log.read_text()
        assert (tmp_path / "aerodrome.sqlite3").exists()
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does
        process.wait(timeout=60)
    # Ctrl-C stops all three processes, not just make.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        alive = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True).stdout.split()
        if not alive:
            break
        time.sleep(0.5)
    assert not alive, f"still running after Ctrl-C: {alive}"
