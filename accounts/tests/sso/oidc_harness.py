"""A real OpenID Connect provider for the SSO tests: accounts/tests/oidc/server.js (npm `oidc-provider`), run by
Node in a subprocess on a free localhost port. `make test` installs it (npm ci); fixtures in conftest.py start it.

Its users and a "mode" that makes the token endpoint misbehave are changed at runtime over a test-only endpoint.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import requests

OIDC_DIR = Path(__file__).resolve().parent.parent / "oidc"
CLIENT_ID = "aerodrome-test-client"
CLIENT_SECRET = "test-client-secret-0123456789"
SLUGS = ("acme", "globex")  # organisations whose IdP app (org-<slug>) may use this provider

DEFAULT_USERS = [
    {"email": "ada@acme.test", "name": "Ada Lovelace", "groups": ["data-engineers"]},
    {"email": "grace@acme.test", "name": "Grace Hopper", "groups": ["data-engineers", "platform"]},
    {"email": "owner@acme.test", "name": "Olive Owner", "groups": ["platform"]},
    {"email": "mallory@elsewhere.test", "name": "Mallory Outside", "groups": ["data-engineers"]},
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TestIdP:
    """The provider process. `base_urls` are the Aerodrome origins whose callback URLs it accepts."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, *, base_urls: list[str]):
        self.redirect_uris = [
            f"{base.rstrip('/')}/accounts/oidc/org-{slug}/login/callback/" for base in base_urls for slug in SLUGS
        ]
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="oidc-provider-", suffix=".log", delete=False)  # noqa: SIM115

    def start(self) -> "TestIdP":
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("Node.js is needed for the SSO tests (the test IdP is the npm package oidc-provider).")
        if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
            raise RuntimeError(f"The test IdP is not installed: run `make test`, or `npm ci --prefix {OIDC_DIR}`.")
        config = {
            "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": self.redirect_uris}],
            "users": DEFAULT_USERS,
        }
        env = {**os.environ, "OIDC_CONFIG": json.dumps(config), "PORT": str(self.port), "NODE_ENV": "test"}
        self.process = subprocess.Popen(
            [node, "server.js"], cwd=OIDC_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The test IdP exited with {self.process.returncode}:\n{self.output()}")
            try:
                if requests.get(self.discovery_url, timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"The test IdP did not answer discovery within 20 seconds:\n{self.output()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)

    def ensure_running(self) -> "TestIdP":
        return self if self.process is not None and self.process.poll() is None else self.start()

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    # Runtime configuration

    def configure(self, *, users: list[dict] | None = None, mode: str | None = None) -> None:
        body = {key: value for key, value in (("users", users), ("mode", mode)) if value is not None}
        requests.post(f"{self.issuer}/__test__/config", json=body, timeout=5).raise_for_status()

    def reset(self) -> None:
        self.configure(users=DEFAULT_USERS, mode="normal")

    def set_groups(self, email: str, groups: list[str]) -> None:
        users = requests.get(f"{self.issuer}/__test__/config", timeout=5).json()["users"]
        for user in users:
            if user["email"] == email:
                user["groups"] = groups
        self.configure(users=users)

    def set_mode(self, mode: str) -> None:
        self.configure(mode=mode)

    # Driving the IdP's side of a login without a browser

    def sign_in(self, authorize_url: str, email: str) -> str:
        """Follows an authorization request through the login form as `email`; returns the URL the IdP sends
        the browser back to (the relying party's callback, with `code` and `state`)."""
        session = requests.Session()
        url, method, data = authorize_url, "GET", None
        for _ in range(10):
            response = session.request(method, url, data=data, allow_redirects=False, timeout=5)
            if response.is_redirect:
                location = requests.compat.urljoin(url, response.headers["Location"])
                if not location.startswith(self.issuer):
                    return location
                url, method, data = location, "GET", None
            elif response.status_code == 200 and 'name="email"' in response.text:
                uid = url.rstrip("/").split("/interaction/")[1].split("/")[0]
                url, method, data = f"{self.issuer}/interaction/{uid}/login", "POST", {"email": email}
            else:
                raise AssertionError(f"Unexpected answer from the test IdP ({response.status_code}): {response.text}")
        raise AssertionError("The test IdP redirected too often")

    def authorize_url(self, **params) -> str:
        return f"{self.issuer}/auth?{urlencode(params)}"
