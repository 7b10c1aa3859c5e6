"""Real processes for the fault tests: a private Redis that can be stopped and started, and Celery workers, beat and
a gunicorn web server speaking to it and to the test database. Nothing here touches the shared Redis on 6379.

Every process gets its own process group, so a test can SIGKILL a worker (and its pool) as an operator's OOM killer
would, and clean-up never leaves one behind.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, timeout: float = 45, message: str = "condition", interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout:g} s waiting for {message}")


def stop_process(process: subprocess.Popen | None, sig=signal.SIGTERM, timeout: float = 30) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


class PrivateRedis:
    """A redis-server of the test's own on a free port, without persistence (like docker-compose's)."""

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.log = log_dir / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, socket_timeout=2)

    def start(self) -> "PrivateRedis":
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with open(self.log, "a") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._answers, timeout=10, message="the private Redis to answer")
        return self

    def _answers(self) -> bool:
        try:
            return self.client().ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def queued(self, queue: str) -> int:
        """Messages waiting in a Celery queue (every priority list kombu keeps for it)."""
        client = self.client()
        return sum(client.llen(key) for key in client.keys(f"{queue}*") if client.type(key) == b"list")


class Stack:
    """Processes of one test, sharing a broker, a test database and a run directory; `close()` stops them all."""

    def __init__(self, broker: PrivateRedis, run_dir: Path, **env: str):
        database = settings.DATABASES["default"]
        self.broker = broker
        self.run_dir = run_dir
        self.queue = settings.CELERY_TASK_DEFAULT_QUEUE
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "aerodrome.settings_test",
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "CELERY_BROKER_URL": broker.url,
            "CELERY_RESULT_BACKEND": broker.url,
            "VAR_DIR": str(run_dir),
            "KUBE_BACKOFF_MS": "10",
            "KUBE_REQUEST_TIMEOUT": "2",
            "READINESS_POLL_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.processes: list[subprocess.Popen] = []

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        with open(self.run_dir / f"{name}.log", "a") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        path = self.run_dir / f"{name}.log"
        return path.read_text() if path.exists() else ""

    def worker(self, pool: str = "threads", concurrency: int = 2) -> tuple[subprocess.Popen, str]:
        """A Celery worker on the stack's queue; returns once it is ready."""
        name = f"fault-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
        process = self._spawn(
            name.split("@")[0],
            [
                str(BIN / "celery"),
                "-A",
                "aerodrome",
                "worker",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                "-Q",
                self.queue,
                "-n",
                name,
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
            ],
        )

        def ready():
            # Its log rather than a ping: in this process, Celery would send a ping to the broker named by
            # CELERY_BROKER_URL (the shared one), whatever broker it is given.
            assert process.poll() is None, self.log(name.split("@")[0])
            return f"{name} ready." in self.log(name.split("@")[0])

        wait_for(ready, timeout=60, message="the worker to be ready")
        return process, name

    def beat(self) -> subprocess.Popen:
        schedule = self.run_dir / f"beat-{uuid.uuid4().hex[:6]}"
        return self._spawn(
            "beat", [str(BIN / "celery"), "-A", "aerodrome", "beat", "--loglevel=INFO", f"--schedule={schedule}"]
        )

    def web(self) -> str:
        """gunicorn serving the project; returns its base URL once /healthz answers."""
        import urllib.request

        port = free_port()
        process = self._spawn(
            "web",
            [
                str(BIN / "gunicorn"),
                "aerodrome.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "120",
            ],
        )
        base = f"http://127.0.0.1:{port}"

        def answers():
            assert process.poll() is None, self.log("web")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_for(answers, timeout=60, message="the web server to answer /healthz")
        return base

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL the process and everything in its group (a prefork worker's pool too)."""
        stop_process(process, signal.SIGKILL)

    def close(self) -> None:
        for process in reversed(self.processes):
            stop_process(process)
