"""Debian's `docker-registry` (the CNCF distribution registry, installed by `make engines`) on a free port, with a
generated configuration storing blobs in a temporary folder; and a pusher speaking its HTTP API v2 (blob uploads,
then the manifest), so tests need neither docker nor skopeo."""

import hashlib
import json
import os
import secrets
import signal
import subprocess
from pathlib import Path

import requests

from deployments.tests.processes import free_port, wait_for

BINARY = "/usr/bin/docker-registry"
MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"


def _bcrypt(password: str) -> str:
    """A bcrypt hash for htpasswd, from libxcrypt through the standard library (no extra dependency)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt

        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 5))


class Registry:
    def __init__(self, workdir: Path, credentials: tuple[str, str] | None = None):
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.credentials = credentials  # (username, password): htpasswd auth, answered with a Basic challenge

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def start(self) -> "Registry":
        storage = self.workdir / "storage"
        storage.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "config.yml"
        text = (
            "version: 0.1\n"
            "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: {self.host}\n  secret: {secrets.token_hex(16)}\n"
        )
        if self.credentials:
            htpasswd = self.workdir / "htpasswd"
            htpasswd.write_text(f"{self.credentials[0]}:{_bcrypt(self.credentials[1])}\n")
            text += f"auth:\n  htpasswd:\n    realm: aerodrome-test\n    path: {htpasswd}\n"
        config.write_text(text)
        log = open(self.workdir / "registry.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [BINARY, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        wait_for(self._answers, timeout=20, message="docker-registry to answer")
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"docker-registry exited: {(self.workdir / 'registry.log').read_text()[-2000:]}")
        try:
            return requests.get(f"{self.url}/v2/", timeout=1, auth=self.credentials).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)

    def _blob(self, repository: str, data: bytes) -> dict:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        started = requests.post(f"{self.url}/v2/{repository}/blobs/uploads/", timeout=10, auth=self.credentials)
        assert started.status_code == 202, started.text
        location = started.headers["Location"]
        if location.startswith("/"):
            location = self.url + location
        separator = "&" if "?" in location else "?"
        done = requests.put(
            f"{location}{separator}digest={digest}",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
            timeout=10,
            auth=self.credentials,
        )
        assert done.status_code == 201, done.text
        return {"digest": digest, "size": len(data)}

    def push(self, repository: str, tag: str, content: str = "hello") -> str:
        """A tiny image (one config blob, one layer) tagged `tag`; returns its manifest's digest."""
        config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"c": content}}}).encode()
        layer = hashlib.sha256(content.encode()).digest() * 4  # bytes enough to stand for a layer
        config_ref, layer_ref = self._blob(repository, config), self._blob(repository, layer)
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_V2,
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", **config_ref},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", **layer_ref}],
        }
        body = json.dumps(manifest).encode()
        response = requests.put(
            f"{self.url}/v2/{repository}/manifests/{tag}",
            data=body,
            headers={"Content-Type": MANIFEST_V2},
            timeout=10,
            auth=self.credentials,
        )
        assert response.status_code == 201, response.text
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        assert response.headers["Docker-Content-Digest"] == digest
        return digest
