"""What render makes of DAG sync and image pins (the objects themselves are validated with kubernetes-validate by
deployments/tests/test_render.py, whose variants include them)."""

import base64
import json

import yaml

from deployments.kube.render import render
from deployments.tests.test_render import RELEASE, find, kubernetes, make_spec

SYNC_URL = "https://aerodrome.example.test/dag-sync/stellar-pulsar-4821/"


def pods(objects) -> dict[str, dict]:
    return {o["metadata"]["name"]: o["spec"]["template"]["spec"] for o in objects if o["kind"] == "Deployment"}


def names(containers) -> list[str]:
    return [c["name"] for c in containers]


def test_every_pod_that_reads_dags_gets_the_init_container_and_the_sidecar():
    objects = render(make_spec())
    for name, pod in pods(objects).items():
        component = name.removeprefix(f"{RELEASE}-")
        reads = component in ("scheduler", "triggerer", "dag-processor") or component.startswith("worker-")
        assert ("dag-sync" in names(pod["containers"])) == reads, name
        assert (names(pod.get("initContainers", []))[:1] == ["dag-sync-init"]) == reads, name
        if not reads:
            continue
        sidecar = next(c for c in pod["containers"] if c["name"] == "dag-sync")
        assert sidecar["command"] == ["python", "/opt/airflow/aerodrome/dag_sync.py"]
        assert sidecar["securityContext"] == {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
        env = {e["name"]: e for e in sidecar["env"]}
        assert env["AERODROME_DAG_SYNC_URL"]["value"] == SYNC_URL
        assert env["AERODROME_DAG_SYNC_TOKEN"]["valueFrom"]["secretKeyRef"] == {
            "name": f"{RELEASE}-dag-sync",
            "key": "token",
        }
        airflow = pod["containers"][0]
        assert {"name": "dags", "mountPath": "/opt/airflow/dags", "readOnly": True} in airflow["volumeMounts"]
        assert {"name": "dags", "emptyDir": {}} in pod["volumes"]
    token = find(objects, "Secret", f"{RELEASE}-dag-sync")["data"]["token"]
    assert base64.b64decode(token).decode() == "test-dag-sync-token"


def test_task_pods_fetch_the_dags_once_before_the_task():
    objects = render(kubernetes())
    config = find(objects, "ConfigMap", f"{RELEASE}-config")["data"]
    template = yaml.safe_load(config["pod_template_file.yaml"])["spec"]
    assert names(template["initContainers"]) == ["dag-sync-init"]
    assert template["initContainers"][0]["command"][-1] == "--once"
    assert names(template["containers"]) == ["base"]  # no sidecar: a task pod ends with its task
    assert "dags_folder = /opt/airflow/dags/current" in config["airflow.cfg"]


def test_without_a_sync_url_dags_come_with_the_image():
    objects = render(make_spec(dag_sync_url="", dag_sync_token=""))
    assert find(objects, "Secret", f"{RELEASE}-dag-sync") is None
    assert all("dag-sync" not in names(pod["containers"]) for pod in pods(objects).values())
    assert "dags_folder = /opt/airflow/dags\n" in find(objects, "ConfigMap", f"{RELEASE}-config")["data"]["airflow.cfg"]


def test_a_pinned_image_and_registry_credentials():
    digest = "sha256:" + "ab" * 32
    objects = render(
        make_spec(
            image_repository="registry.example.test:5000/acme/airflow",
            image_digest=digest,
            registry_auths=(("registry.example.test:5000", "robot", "pull-p@ss"),),
        )
    )
    for pod in pods(objects).values():
        for container in pod.get("initContainers", []) + pod["containers"]:
            if "acme/airflow" in container["image"]:
                assert container["image"] == f"registry.example.test:5000/acme/airflow@{digest}"
    pull = find(objects, "Secret", f"{RELEASE}-registry")
    assert pull["type"] == "kubernetes.io/dockerconfigjson"
    auths = json.loads(base64.b64decode(pull["data"][".dockerconfigjson"]))["auths"]
    assert auths["registry.example.test:5000"]["auth"] == base64.b64encode(b"robot:pull-p@ss").decode()
    for account in (o for o in objects if o["kind"] == "ServiceAccount"):
        assert account["imagePullSecrets"] == [{"name": f"{RELEASE}-registry"}]
