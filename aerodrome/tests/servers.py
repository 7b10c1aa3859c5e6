"""Real server processes for tests: the production configuration the README documents, gunicorn started as the
Dockerfile starts it, and an HTTP client that behaves like a browser behind the TLS proxy."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from json import dumps
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def documented_production_env() -> dict[str, str]:
    """The variables of the README's production example (the `sh` block under "## Production")."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Production", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return dict(re.findall(r"^([A-Z_]+)=(\S*)", block, flags=re.MULTILINE))


def clean_env(**variables: str) -> dict[str, str]:
    """Only what a process needs to run, plus the given variables: nothing leaks from the test settings."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}}
    return {**keep, **variables}


def manage(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    text: str

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


class Client:
    """Keeps cookies (Secure ones too: with `https`, it speaks to the server as the TLS proxy would, sending
    X-Forwarded-Proto), sends Origin and Referer like a browser, and never follows redirects."""

    def __init__(self, port: int, *, https: bool = True):
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.scheme = "https" if https else "http"
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, *, form: dict | None = None, json: dict | None = None, headers: dict | None = None
    ) -> Response:
        sent = {"Host": self.host, "Accept": "text/html,*/*", **(headers or {})}
        if self.scheme == "https":
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = f"{self.scheme}://{self.host}"
            sent["Referer"] = f"{self.scheme}://{self.host}{path}"
        if json is not None:  # an API call in the logged-in session, as the pages' scripts make it
            body = dumps(json)
            sent.update({"Content-Type": "application/json", "Accept": "application/json"})
            sent["X-CSRFToken"] = self.csrf_token()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            text = answer.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for raw in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        return Response(answer.status, answer.headers, text)

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict, **kwargs) -> Response:
        return self.request("POST", path, form=form, **kwargs)

    def csrf_token(self) -> str:
        return self.cookies["csrftoken"]


class Server:
    """gunicorn with platform/gunicorn.conf.py (the Dockerfile's CMD) on a free port; stop() ends it by its pid."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.log = log
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                [str(GUNICORN), "-c", "platform/gunicorn.conf.py"],
                cwd=ROOT,
                env={**env, "PORT": str(self.port)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_serving()

    def _wait_until_serving(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if Client(self.port, https=False).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not serve /healthz within {timeout} s:\n{self.log.read_text()}")

    def client(self, **kwargs) -> Client:
        return Client(self.port, **kwargs)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
