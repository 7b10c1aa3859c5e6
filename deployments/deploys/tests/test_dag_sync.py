"""DAG deploys end to end on the live test server: archives uploaded through the API, and the real sync script
(deployments/kube/dag_sync.py, as the sidecar runs it) fetching them into a temporary DAGs root: v1, the atomic
swap to v2, a rollback to v1, and a corrupted download that leaves v1 in place."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from accounts.roles import WorkspaceRole
from accounts.tokens import services as tokens
from deployments.deploys import selectors
from deployments.deploys.tests.conftest import archive
from deployments.kube import dag_sync
from deployments.models import Deployment
from deployments.tests.factories import make_deployment

pytestmark = pytest.mark.django_db(transaction=True)
SCRIPT = Path(dag_sync.__file__)

V1 = {"dags/etl.py": b"# v1 etl\n", "dags/report.py": b"# v1 report\n", "dags/common/util.py": b"X = 1\n"}
V2 = {"dags/etl.py": b"# v2 etl, longer now\n", "dags/common/util.py": b"X = 1\n", "dags/new.py": b"# new\n"}


@pytest.fixture
def setup(tenancy, live_server, tmp_path):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    _, secret = tokens.token_create(
        actor=tenancy.owner, workspace=tenancy.workspace, role=WorkspaceRole.AUTHOR, name="CI deploys"
    )
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {secret}"
    base = f"{live_server.url}/api/v1/deployments/{deployment.pk}/deploys/"
    return deployment, api, base, tmp_path / "dags-root"


def deploy_dags(api, base, files, description):
    response = api.post(
        base, files={"dags": ("dags.tar.gz", archive(files), "application/gzip")}, data={"description": description}
    )
    assert response.status_code == 201, response.text
    return response.json()


def run_sync(live_server, deployment, root, token=None):
    env = {
        "PATH": os.environ["PATH"],
        "AERODROME_DAG_SYNC_URL": f"{live_server.url}/dag-sync/{deployment.release_name}/",
        "AERODROME_DAG_SYNC_TOKEN": token or selectors.sync_token(deployment),
        "DAGS_ROOT": str(root),
        "DAG_SYNC_ATTEMPTS": "1",
    }
    return subprocess.run([sys.executable, str(SCRIPT), "--once"], env=env, capture_output=True, text=True, timeout=60)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_sync_fetches_v1_swaps_to_v2_rolls_back_and_keeps_v1_on_a_bad_download(setup, live_server, bundle_storage):
    deployment, api, base, root = setup
    first = deploy_dags(api, base, V1, "v1")
    assert first["deployed_by"] == "CI deploys" and first["deployed_by_kind"] == "token"
    result = run_sync(live_server, deployment, root)
    assert result.returncode == 0, result.stderr
    current = root / "current"
    assert current.is_symlink() and os.readlink(current) == f"versions/{first['dag_bundle']['sha256']}"
    assert tree(current) == V1

    second = deploy_dags(api, base, V2, "v2")
    result = run_sync(live_server, deployment, root)
    assert result.returncode == 0, result.stderr
    assert os.readlink(current) == f"versions/{second['dag_bundle']['sha256']}"  # one rename flipped the link
    assert tree(current) == V2
    diff = api.get(f"{base}{second['id']}/diff/").json()
    assert diff == {
        "image": None,
        "files": {
            "added": [{"path": "dags/new.py", "size": 6}],
            "removed": [{"path": "dags/report.py", "size": 12}],
            "changed": [{"path": "dags/etl.py", "size_before": 9, "size_after": 21}],
        },
    }

    rollback = api.post(f"{base}{first['id']}/rollback/", json={"description": "back to v1"})
    assert rollback.status_code == 201, rollback.text
    assert rollback.json()["rolled_back_from"] == first["id"]
    assert rollback.json()["dag_bundle"]["sha256"] == first["dag_bundle"]["sha256"]
    assert run_sync(live_server, deployment, root).returncode == 0
    assert tree(current) == V1

    # v3's stored archive is damaged after the upload: the sync refuses it and the DAGs stay at v1.
    third = deploy_dags(api, base, {"dags/etl.py": os.urandom(4000)}, "v3")
    sha = third["dag_bundle"]["sha256"]
    stored = bundle_storage / sha[:2] / f"{sha}.tar.gz"
    data = stored.read_bytes()
    stored.write_bytes(data[: len(data) // 2])  # truncated
    result = run_sync(live_server, deployment, root)
    assert result.returncode == 1 and "stopped at" in result.stderr
    assert tree(current) == V1
    stored.write_bytes(data[:-10] + bytes(10))  # right size, wrong bytes
    result = run_sync(live_server, deployment, root)
    assert result.returncode == 1 and "SHA-256" in result.stderr
    assert tree(current) == V1 and os.readlink(current) == f"versions/{first['dag_bundle']['sha256']}"
    assert not [p for p in (root / "versions").iterdir() if p.name.endswith(".partial") or p.suffix == ".gz"]

    stored.write_bytes(data)  # repaired: the next round gets v3
    assert run_sync(live_server, deployment, root).returncode == 0
    assert os.readlink(current) == f"versions/{sha}"


def test_the_sync_endpoint_answers_only_its_deployments_token(setup, live_server, tenancy):
    deployment, api, base, root = setup
    deploy_dags(api, base, V1, "v1")
    other = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Other")
    url = f"{live_server.url}/dag-sync/{deployment.release_name}/"
    assert requests.get(url, timeout=10).status_code == 404
    assert requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10).status_code == 404
    wrong = {"Authorization": f"Bearer {selectors.sync_token(other)}"}
    assert requests.get(url, headers=wrong, timeout=10).status_code == 404
    right = {"Authorization": f"Bearer {selectors.sync_token(deployment)}"}
    body = requests.get(url, headers=right, timeout=10).json()
    assert body["file_count"] == 3
    assert requests.get(f"{live_server.url}{body['url']}", headers=wrong, timeout=10).status_code == 404
    # Another tenant's API token reaches nothing either.
    result = run_sync(live_server, deployment, root, token="not-the-token")
    assert result.returncode == 1 and not (root / "current").exists()


def test_a_deployment_without_dags_gets_an_empty_folder(setup, live_server):
    deployment, api, base, root = setup
    assert run_sync(live_server, deployment, root).returncode == 0
    assert (root / "current").is_symlink() and tree(root / "current") == {}


def test_rendered_pods_point_the_sync_at_this_server(setup):
    from deployments.kube import render
    from deployments.selectors import deployment_spec

    deployment = setup[0]
    objects = render.render(deployment_spec(Deployment.objects.get(pk=deployment.pk)))
    scheduler = next(o for o in objects if o["metadata"]["name"].endswith("-scheduler") and o["kind"] == "Deployment")
    sidecar = next(c for c in scheduler["spec"]["template"]["spec"]["containers"] if c["name"] == "dag-sync")
    env = {e["name"]: e.get("value") for e in sidecar["env"]}
    assert env["AERODROME_DAG_SYNC_URL"] == f"http://testserver/dag-sync/{deployment.release_name}/"
    config = next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-config"))
    assert config["data"]["dag_sync.py"] == SCRIPT.read_text()
    assert "dags_folder = /opt/airflow/dags/current" in config["data"]["airflow.cfg"]
