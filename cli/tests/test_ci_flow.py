"""The CLI as CI runs it, end to end against the live test server: log in, create a Deployment from a file,
deploy DAGs and wait, read a field, set a secret from a .env file without wiping the others, deploy again, see the
history and the diff, roll back and wait, read the logs (from the fake cluster's pods) and follow them."""

import json
import signal

import yaml

from deployments.deploys.models import Deploy
from deployments.models import Deployment, EnvironmentVariable
from deployments.tests.factories import make_cluster
from monitoring.tests.logs_world import add_pod, ago, airflow3_line

from .helpers import write_tree


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    return result


def test_ci_flow_from_login_to_rollback_and_logs(aerodrome, world, bundle_storage, kube, tmp_path):
    cluster = make_cluster(organization=world.tenancy.org, url=kube.url, name="acme-prod")
    ok(aerodrome("login", world.url, env={"AERODROME_TOKEN": world.owner_token}))

    # Create from a deployment file kept in the repository.
    (tmp_path / "deployment.yaml").write_text(
        yaml.safe_dump(
            {
                "configuration": {"workspace": world.workspace_id, "name": "Orders", "cluster": cluster.pk},
                "environment_variables": [{"key": "REGION", "value": "eu-west-1", "is_secret": False}],
            }
        )
    )
    created = json.loads(ok(aerodrome("deployment", "create", "-f", "deployment.yaml", "-o", "json")).stdout)
    orders = created["id"]

    # Deploy the DAGs folder; .airflowignore keeps the tests out of the bundle.
    dags = tmp_path / "dags"
    write_tree(dags, {".airflowignore": "*_test.py\n", "orders.py": "# v1\n", "orders_test.py": "assert True\n"})
    first = ok(aerodrome("deploy", orders, "--dags", dags, "--description", "v1", "--wait", "-o", "json"))
    v1 = json.loads(first.stdout)
    assert (v1["kind"], v1["status"], v1["description"], v1["deployed_by"]) == ("DAGS", "DEPLOYED", "v1", "CI owner")
    assert "Packed 2 files from" in first.stderr
    assert sorted(Deploy.objects.get(pk=v1["id"]).dag_bundle.files) == [".airflowignore", "orders.py"]

    status = ok(aerodrome("deployment", "inspect", orders, "--key", "metadata.status")).stdout.strip()
    assert status == Deployment.objects.get(pk=orders).status

    # A secret from the CI's .env, without wiping REGION.
    (tmp_path / ".env").write_text("ORDERS_API_KEY=k-42\n")
    ok(aerodrome("deployment", "variable", "set", orders, "ORDERS_API_KEY", "--secret", "--from-env-file", ".env"))
    assert {(v.key, v.value, v.is_secret) for v in EnvironmentVariable.objects.filter(deployment_id=orders)} == {
        ("REGION", "eu-west-1", False),
        ("ORDERS_API_KEY", "k-42", True),
    }

    # Deploy v2, see the history and what changed.
    write_tree(dags, {"orders.py": "# v2, longer\n", "refunds.py": "# new\n"})
    v2 = json.loads(ok(aerodrome("deploy", orders, "--dags", dags, "-d", "v2", "--wait", "-o", "json")).stdout)
    history = json.loads(ok(aerodrome("deploy", "list", orders, "-o", "json")).stdout)
    assert [d["id"] for d in history] == [v2["id"], v1["id"]]
    table = ok(aerodrome("deploy", "list", orders)).stdout
    assert v2["dag_bundle"]["sha256"][:12] in table and "CI owner" in table
    diff = json.loads(ok(aerodrome("deploy", "inspect", orders, v2["id"], "-o", "json")).stdout)["diff"]
    assert [f["path"] for f in diff["files"]["added"]] == ["refunds.py"]
    assert [f["path"] for f in diff["files"]["changed"]] == ["orders.py"]

    # Roll back to v1 and wait for it.
    back = ok(aerodrome("deploy", "rollback", orders, v1["id"], "--wait", "-o", "json"))
    rollback = json.loads(back.stdout)
    assert (rollback["status"], rollback["rolled_back_from"]) == ("DEPLOYED", v1["id"])
    assert Deployment.objects.get(pk=orders).dag_bundle.sha256 == v1["dag_bundle"]["sha256"]

    # Logs: every filter at once, then --follow prints a line written after it started.
    deployment = Deployment.objects.get(pk=orders)
    scheduler = add_pod(
        kube,
        deployment,
        "scheduler",
        "a",
        [
            (ago(30), airflow3_line(ago(30), "info", "Orders DAG parsed")),
            (ago(20), airflow3_line(ago(20), "warning", "Orders task is slow")),
            (ago(10), airflow3_line(ago(10), "warning", "Refunds task is slow")),
        ],
    )
    add_pod(kube, deployment, "triggerer", "b", [(ago(15), airflow3_line(ago(15), "warning", "Orders trigger"))])
    read = ok(
        aerodrome(
            "logs", orders, "--component", "scheduler", "--level", "warning", "--search", "orders", "--since", "1h"
        )
    )
    [line] = read.stdout.splitlines()
    assert "scheduler" in line and "WARNING" in line and line.endswith("Orders task is slow")
    as_json = [
        json.loads(x)
        for x in ok(aerodrome("logs", orders, "-c", "scheduler,triggerer", "-o", "json")).stdout.splitlines()
    ]
    assert [(x["component"], x["message"]) for x in as_json] == [
        ("scheduler", "Orders DAG parsed"),
        ("scheduler", "Orders task is slow"),
        ("triggerer", "Orders trigger"),
        ("scheduler", "Refunds task is slow"),
    ]

    follow = aerodrome.start("logs", orders, "-c", "scheduler", "--follow", "--interval", "0.3", "-o", "json")
    try:
        seen = [json.loads(follow.stdout.readline())["message"] for _ in range(3)]
        assert seen == ["Orders DAG parsed", "Orders task is slow", "Refunds task is slow"]
        kube.append_log(deployment.namespace, scheduler, "scheduler", airflow3_line(ago(0), "error", "Orders failed"))
        assert json.loads(follow.stdout.readline())["message"] == "Orders failed"
    finally:
        follow.send_signal(signal.SIGINT)
        assert follow.wait(timeout=10) == 0, follow.stderr.read()
