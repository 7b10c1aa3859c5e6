"""DAG sync: the init container (first fetch) and the sidecar (polling) on every pod that reads DAGs, the
emptyDir they share with Airflow, the read-only token's Secret, the registry pull secret, and the script itself
(`deployments/kube/dag_sync.py`, shipped in the `<release>-config` ConfigMap and run by the Airflow image's
Python, so no other image is needed). A DAG deploy changes what Aerodrome serves, never these objects, so it
restarts nothing."""

import base64
import json
from pathlib import Path

from deployments import catalog
from deployments.kube.render.base import (
    AIRFLOW_HOME,
    DAG_PROCESSOR,
    SCHEDULER,
    TRIGGERER,
    WORKER,
    airflow_image,
    dns_name,
    resources,
)
from deployments.kube.spec import DeploymentSpec

SCRIPT = (Path(__file__).resolve().parent.parent / "dag_sync.py").read_text()
FILE = "dag_sync.py"
SCRIPT_PATH = f"{AIRFLOW_HOME}/aerodrome/{FILE}"
ROOT = f"{AIRFLOW_HOME}/dags"
FOLDER = f"{ROOT}/current"  # Airflow's dags_folder: a symlink the sync flips
VOLUME = "dags"
TOKEN = ("dag-sync", "token")  # (secret name suffix, key)
PULL_SECRET = "registry"
READERS = frozenset({SCHEDULER, TRIGGERER, DAG_PROCESSOR, WORKER})  # the pods that parse or run DAG files


def configured(spec: DeploymentSpec) -> bool:
    return bool(spec.dag_sync_url and spec.dag_sync_token)


def reads_dags(spec: DeploymentSpec, component: str) -> bool:
    return configured(spec) and component in READERS


def volume() -> dict:
    return {"name": VOLUME, "emptyDir": {}}


def airflow_mount() -> dict:
    return {"name": VOLUME, "mountPath": ROOT, "readOnly": True}


def _container(spec: DeploymentSpec, name: str, once: bool) -> dict:
    from deployments.kube.render.pods import container_security

    args = ["python", SCRIPT_PATH] + (["--once"] if once else [])
    return {
        "name": name,
        "image": airflow_image(spec),
        "imagePullPolicy": "IfNotPresent",
        "command": args,
        "env": [
            {"name": "AERODROME_DAG_SYNC_URL", "value": spec.dag_sync_url},
            {
                "name": "AERODROME_DAG_SYNC_TOKEN",
                "valueFrom": {"secretKeyRef": {"name": dns_name(spec.release_name, TOKEN[0]), "key": TOKEN[1]}},
            },
            {"name": "DAGS_ROOT", "value": ROOT},
            {"name": "DAG_SYNC_INTERVAL", "value": str(spec.dag_sync_interval)},
        ],
        "resources": resources(catalog.DAG_SYNC),
        "securityContext": container_security(),
        "volumeMounts": [
            {"name": "config", "mountPath": SCRIPT_PATH, "subPath": FILE, "readOnly": True},
            {"name": VOLUME, "mountPath": ROOT},
        ],
    }


def init_container(spec: DeploymentSpec) -> dict:
    return _container(spec, "dag-sync-init", once=True)


def sidecar(spec: DeploymentSpec) -> dict:
    return _container(spec, "dag-sync", once=False)


def secrets(spec: DeploymentSpec) -> list[dict]:
    """The sync token's Secret, and the image pull secret when registry credentials are set."""
    from deployments.kube.render.secrets import secret

    result = []
    if configured(spec):
        result.append(secret(spec, dns_name(spec.release_name, TOKEN[0]), {TOKEN[1]: spec.dag_sync_token}))
    if spec.registry_auths:
        auths = {
            registry: {
                "username": username,
                "password": password,
                "auth": base64.b64encode(f"{username}:{password}".encode()).decode(),
            }
            for registry, username, password in spec.registry_auths
        }
        body = json.dumps({"auths": auths}, sort_keys=True)
        pull = secret(spec, pull_secret_name(spec), {".dockerconfigjson": body})
        pull["type"] = "kubernetes.io/dockerconfigjson"
        result.append(pull)
    return result


def pull_secret_name(spec: DeploymentSpec) -> str:
    return dns_name(spec.release_name, PULL_SECRET)


def image_pull_secrets(spec: DeploymentSpec) -> list[dict]:
    return [{"name": pull_secret_name(spec)}] if spec.registry_auths else []
