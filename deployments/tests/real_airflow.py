"""Run what render produced with the real Airflow (3.1, from `.airflow-venv`, `make airflow-venv`) and Debian's
pgbouncer, on this machine, the way a kubelet would run the pods.

`materialise` plays the kubelet for one workload: it writes the files its container mounts from ConfigMaps and
Secrets under a local AIRFLOW_HOME and builds its environment from `env` and `envFrom` (the Secrets' values). Only
what cannot be the same outside a cluster is replaced, through one explicit table: `/opt/airflow` becomes the local
AIRFLOW_HOME, and in-cluster Service addresses become the local processes standing in for them.

`PgBouncer` runs the rendered pgbouncer.ini and users file (with a free port and the files' local paths), `ApiServer`
starts `airflow api-server` from a materialised home after `airflow db migrate` ran there, like the scheduler's init
container. Every process gets its own process group and is stopped by its pid.
"""

import base64
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

from cryptography.fernet import Fernet

from deployments import catalog
from deployments.kube.render import base
from deployments.kube.spec import DeploymentSpec, GeneratedSecrets, MetadataDatabase, QueueSpec, TLSSpec
from deployments.tests.processes import ROOT, free_port, stop_process, wait_for

AIRFLOW_VENV = ROOT / ".airflow-venv"
AIRFLOW_VERSION = "3.1.3"
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def airflow_bin(program: str = "airflow") -> str:
    path = AIRFLOW_VENV / "bin" / program
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `make airflow-venv` (part of `make test`) to install Airflow")
    return str(path)


def spec_for(*, database: MetadataDatabase, executor: str = catalog.Executor.CELERY, **overrides) -> DeploymentSpec:
    """An Airflow 3.1 Deployment on the local PostgreSQL, with fresh secrets as the platform generates them."""
    fields = dict(
        id=1,
        release_name="real-airflow-0001",
        name="Real Airflow",
        organization_slug="acme",
        workspace_id=1,
        generation=1,
        airflow_version=AIRFLOW_VERSION,
        image_repository="apache/airflow",
        image_tag=AIRFLOW_VERSION,
        executor=executor,
        scheduler_size="SMALL",
        scheduler_replicas=1,
        triggerer_replicas=1,
        api_server_replicas=1,
        queues=(QueueSpec("default", "A5", 1, 1, 5),) if executor == catalog.Executor.CELERY else (),
        task_pod_cpu=Decimal("0.5"),
        task_pod_memory_mib=1024,
        max_task_pods=10,
        headroom_percent=20,
        env=(),
        secrets=GeneratedSecrets(
            fernet_key=Fernet.generate_key().decode(),
            api_secret_key=secrets.token_urlsafe(32),
            jwt_secret=secrets.token_urlsafe(32),
            redis_password=secrets.token_urlsafe(16),
            metadata_password=secrets.token_urlsafe(16) + "@:/#",  # characters a URL must escape
            oauth_client_secret=secrets.token_urlsafe(48),
        ),
        database=database,
        ingress_domain="airflow.example.test",
        # Published over HTTPS (a cert-manager issuer), as logins through Aerodrome should be.
        tls=TLSSpec(mode=catalog.TLSMode.CLUSTER_ISSUER, cluster_issuer="letsencrypt"),
        oauth_client_id=secrets.token_urlsafe(30),
        oidc_issuer="https://aerodrome.example.test/o",
    )
    fields.update(overrides)
    return DeploymentSpec(**fields)


def find(objects: list[dict], kind: str, name: str) -> dict:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} rendered"
    return matches[0]


def secret_data(objects: list[dict], name: str) -> dict[str, str]:
    return {key: base64.b64decode(value).decode() for key, value in find(objects, "Secret", name)["data"].items()}


def _replace(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


def materialise(
    objects: list[dict], workload: str, home: Path, replacements: dict[str, str] | None = None
) -> dict[str, str]:
    """Lay out one workload's main container under `home` (its AIRFLOW_HOME) and return its environment."""
    replacements = {base.AIRFLOW_HOME: str(home), **(replacements or {})}
    kinds = ("Deployment", "StatefulSet")
    matches = [o for o in objects if o["kind"] in kinds and o["metadata"]["name"] == workload]
    assert len(matches) == 1, f"workload {workload} is not rendered"
    pod = matches[0]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        target = Path(_replace(mount["mountPath"], replacements))
        if "emptyDir" in volume:
            target.mkdir(parents=True, exist_ok=True)
            continue
        if "configMap" in volume:
            data = find(objects, "ConfigMap", volume["configMap"]["name"])["data"]
        else:
            data = secret_data(objects, volume["secret"]["secretName"])
        files = {target: data[mount["subPath"]]} if "subPath" in mount else {target / k: v for k, v in data.items()}
        for path, content in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_replace(content, replacements))
    env = {}
    for source in container.get("envFrom", []):
        env.update(secret_data(objects, source["secretRef"]["name"]))
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        else:
            ref = variable["valueFrom"]["secretKeyRef"]
            env[variable["name"]] = secret_data(objects, ref["name"])[ref["key"]]
    env = {name: _replace(value, replacements) for name, value in env.items()}
    return {**env, "AIRFLOW_HOME": str(home)}


def spawn(command: list[str], log: Path, env: dict[str, str] | None = None, cwd=None) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def airflow_env(env: dict[str, str]) -> dict[str, str]:
    """The materialised environment plus what a shell needs; nothing of this process's own AIRFLOW_* leaks in."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ", "HOME")}
    return {**keep, **env, "PYTHONUNBUFFERED": "1"}


def run_airflow(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [airflow_bin(), *args], env=airflow_env(env), capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"airflow {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-5000:]}"
    return result


def run_python(env: dict[str, str], code: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Python code in the Airflow venv, with a materialised environment."""
    return subprocess.run(
        [airflow_bin("python"), "-c", code], env=airflow_env(env), capture_output=True, text=True, timeout=timeout
    )


class PgBouncer:
    """Debian's pgbouncer running the rendered pgbouncer.ini and users file on a free local port."""

    def __init__(self, objects: list[dict], release: str):
        # pgbouncer drops root for `nobody` (as the rendered command does), so its files live where nobody reads.
        self.dir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        self.dir.chmod(0o755)
        self.port = free_port()
        data = secret_data(objects, base.dns_name(release, "pgbouncer-config"))
        ini = _replace(
            data["pgbouncer.ini"],
            {
                "listen_addr = *": "listen_addr = 127.0.0.1",
                f"listen_port = {base.PGBOUNCER_PORT}": f"listen_port = {self.port}",
                "/etc/pgbouncer/": f"{self.dir}/",
            },
        )
        for name, content in (("pgbouncer.ini", ini), ("users.txt", data["users.txt"])):
            (self.dir / name).write_text(content)
            (self.dir / name).chmod(0o644)
        self.log = self.dir / "pgbouncer.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "PgBouncer":
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.process = spawn([PGBOUNCER, *user, str(self.dir / "pgbouncer.ini")], self.log)
        wait_for(self._listening, timeout=15, message="pgbouncer to listen")
        return self

    def _listening(self) -> bool:
        import socket

        assert self.process.poll() is None, self.log.read_text()
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


def local_replacements(spec: DeploymentSpec, *, pgbouncer_port: int, api_port: int) -> dict[str, str]:
    """In-cluster addresses -> the local processes standing in for them."""
    release, namespace = spec.release_name, spec.namespace
    pgbouncer = f"{base.dns_name(release, base.PGBOUNCER)}.{namespace}:{base.PGBOUNCER_PORT}"
    api = f"http://{base.dns_name(release, base.API_SERVER)}:{base.AIRFLOW_PORT}"
    return {
        pgbouncer: f"127.0.0.1:{pgbouncer_port}",
        api: f"http://127.0.0.1:{api_port}",
        f"statsd_host = {base.dns_name(release, base.STATSD)}": "statsd_host = 127.0.0.1",
    }


class ApiServer:
    """`airflow api-server` as render produced it, on a free port, after `airflow db migrate` (through pgbouncer,
    as the scheduler's init container runs it)."""

    def __init__(self, objects: list[dict], spec: DeploymentSpec, pgbouncer: PgBouncer, run_dir: Path, **env: str):
        self.port = free_port()
        self.home = run_dir / "api-server"
        self.log = run_dir / "api-server.log"
        replacements = local_replacements(spec, pgbouncer_port=pgbouncer.port, api_port=self.port)
        self.replacements = replacements
        ui = base.dns_name(spec.release_name, base.ui_component(spec))
        self.env = {**materialise(objects, ui, self.home, replacements), **env}
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> "ApiServer":
        run_airflow(self.env, "db", "migrate")
        # The rendered args are `airflow api-server`; here on a free port, with one worker for this small machine.
        command = [airflow_bin(), "api-server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"]
        self.process = spawn(command, self.log, env=airflow_env(self.env))
        wait_for(self._healthy, timeout=180, message="the api-server to answer /api/v2/monitor/health")
        return self

    def _healthy(self) -> bool:
        assert self.process.poll() is None, self.log.read_text()[-5000:]
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def request(self, method: str, path: str, *, token: str | None = None, body: dict | None = None):
        """(status, parsed JSON) of one API call."""
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def stop(self) -> None:
        stop_process(self.process)


class RealAirflow:
    """What the `real_airflow` fixture started, for the tests to use."""

    def __init__(self, spec, objects, pgbouncer, api, run_dir, log_server_port):
        self.spec, self.objects, self.pgbouncer, self.api = spec, objects, pgbouncer, api
        self.run_dir, self.log_server_port = run_dir, log_server_port
        self._admin_token: str | None = None

    def admin_token(self) -> str:
        """A JWT for an Admin FAB user (created once), from the api-server's /auth/token."""
        if self._admin_token is None:
            # token_urlsafe may begin with "-", which the CLI took for an option when passed as its own argument
            # (a CI run failed so, 1 in 64): this one always does, and goes in as --password=...
            password = "-" + secrets.token_urlsafe(16)
            run_airflow(
                self.api.env,
                *("users", "create", "--username", "admin", f"--password={password}", "--role", "Admin"),
                *("--email", "admin@example.test", "--firstname", "Ada", "--lastname", "Admin"),
            )
            status, body = self.api.request("POST", "/auth/token", body={"username": "admin", "password": password})
            assert status in (200, 201), body
            self._admin_token = body["access_token"]
        return self._admin_token
