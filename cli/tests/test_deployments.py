"""`aerodrome deployment list | inspect | create -f | update | delete` against the live test server."""

import json

import yaml

from deployments.models import Deployment, EnvironmentVariable

from .helpers import as_token

DEPLOYMENT_FILE = """
configuration:
  workspace: {workspace}
  name: Marketing ETL
  description: Campaign loads
  executor: CeleryExecutor
  scheduler_replicas: 2
  contact_emails: [data@acme.test]
worker_queues:
  - {{name: default, worker_type: A5, min_workers: 1, max_workers: 4}}
  - {{name: heavy, worker_type: A10, min_workers: 0, max_workers: 2, concurrency: 4}}
environment_variables:
  - {{key: REGION, value: eu-west-1, is_secret: false}}
  - {{key: API_KEY, value: s3cr3t-value, is_secret: true}}
"""


def test_create_from_a_file_then_inspect_feeds_back_into_create(aerodrome, world, tmp_path):
    ci = as_token(world, world.owner_token)
    (tmp_path / "marketing.yaml").write_text(DEPLOYMENT_FILE.format(workspace=world.workspace_id))

    created = aerodrome("deployment", "create", "-f", "marketing.yaml", "-o", "json", env=ci)

    assert created.returncode == 0, created.stderr
    new_id = json.loads(created.stdout)["id"]
    deployment = Deployment.objects.get(pk=new_id)
    assert (deployment.name, deployment.scheduler_replicas) == ("Marketing ETL", 2)
    assert sorted(deployment.queues.values_list("name", "max_workers")) == [("default", 4), ("heavy", 2)]
    assert EnvironmentVariable.objects.get(deployment=deployment, key="API_KEY").is_secret

    inspected = aerodrome("deployment", "inspect", new_id, env=ci)
    assert inspected.returncode == 0, inspected.stderr
    document = yaml.safe_load(inspected.stdout)
    assert document["configuration"]["name"] == "Marketing ETL"
    assert document["metadata"]["id"] == new_id
    assert {"key": "API_KEY", "value": None, "is_secret": True} in document["environment_variables"]
    assert "s3cr3t-value" not in inspected.stdout

    # The inspected file creates a twin; the secret, shown as null, is left out with a warning.
    (tmp_path / "twin.yaml").write_text(inspected.stdout)
    twin = aerodrome("deployment", "create", "-f", "twin.yaml", "--name", "Marketing ETL copy", "-o", "json", env=ci)
    assert twin.returncode == 0, twin.stderr
    twin_id = json.loads(twin.stdout)["id"]
    hint = f"aerodrome deployment variable set {twin_id} API_KEY --secret"
    assert f"Warning: API_KEY was not set (its value is null in the file): {hint}" in twin.stderr
    again = yaml.safe_load(aerodrome("deployment", "inspect", twin_id, env=ci).stdout)
    assert again["configuration"] == {**document["configuration"], "name": "Marketing ETL copy"}
    assert again["worker_queues"] == document["worker_queues"]
    assert again["environment_variables"] == [{"key": "REGION", "value": "eu-west-1", "is_secret": False}]


def test_inspect_key_prints_one_field_for_scripts(aerodrome, world):
    ci = as_token(world, world.member_token)

    status = aerodrome("deployment", "inspect", world.deployment_id, "--key", "metadata.status", env=ci)
    name = aerodrome("deployment", "inspect", world.deployment_id, "--key", "configuration.name", "-o", "json", env=ci)
    queue = aerodrome("deployment", "inspect", world.deployment_id, "--key", "worker_queues[0].name", env=ci)
    missing = aerodrome("deployment", "inspect", world.deployment_id, "--key", "configuration.colour", env=ci)

    assert status.stdout == Deployment.objects.get(pk=world.deployment_id).status + "\n"
    assert json.loads(name.stdout) == "Sales pipelines"
    assert queue.stdout == "default\n"
    assert missing.returncode == 1
    [line] = missing.error_lines
    assert line.startswith("Error: No key 'colour' at configuration; there are: workspace, name,")


def test_list_shows_a_table_for_people_and_json_for_scripts(aerodrome, world):
    ci = as_token(world, world.member_token)

    table = aerodrome("deployment", "list", env=ci)
    listed = json.loads(aerodrome("deployment", "list", "-o", "json", env=ci).stdout)

    assert table.returncode == 0
    header, row = table.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "WORKSPACE", "STATUS", "AIRFLOW", "EXECUTOR", "RELEASE", "UPDATED"]
    assert row.split()[:3] == [str(world.deployment_id), "Sales", "pipelines"]
    assert [d["id"] for d in listed] == [world.deployment_id]


def test_update_with_options_or_a_file_changes_only_what_differs(aerodrome, world, tmp_path):
    ci = as_token(world, world.owner_token)

    flags = aerodrome(
        "deployment",
        "update",
        world.deployment_id,
        "--description",
        "Nightly sales",
        "--set",
        "scheduler_replicas=2",
        env=ci,
    )
    assert flags.returncode == 0, flags.stderr
    assert "Changed configuration: description, scheduler_replicas" in flags.stderr

    document = yaml.safe_load(aerodrome("deployment", "inspect", world.deployment_id, env=ci).stdout)
    document["configuration"]["triggerer_replicas"] = 2
    document["worker_queues"].append({"name": "reports", "worker_type": "A5", "min_workers": 0, "max_workers": 3})
    document["environment_variables"] = [{"key": "TZ", "value": "UTC", "is_secret": False}]
    (tmp_path / "sales.yaml").write_text(yaml.safe_dump(document))
    applied = aerodrome("deployment", "update", world.deployment_id, "-f", "sales.yaml", env=ci)

    assert applied.returncode == 0, applied.stderr
    assert "Changed configuration: triggerer_replicas" in applied.stderr
    assert "Changed queue reports: added" in applied.stderr
    assert "Changed variable TZ: added" in applied.stderr
    deployment = Deployment.objects.get(pk=world.deployment_id)
    assert (deployment.description, deployment.scheduler_replicas, deployment.triggerer_replicas) == (
        "Nightly sales",
        2,
        2,
    )
    assert sorted(deployment.queues.values_list("name", flat=True)) == ["default", "reports"]
    unchanged = aerodrome("deployment", "update", world.deployment_id, "-f", "sales.yaml", env=ci)
    assert "Nothing differs: no change." in unchanged.stderr


def test_invalid_fields_are_named_by_their_place_in_the_file(aerodrome, world, tmp_path):
    (tmp_path / "bad.yaml").write_text(
        f"configuration: {{workspace: {world.workspace_id}, name: Bad, scheduler_replicas: 99}}\n"
        "worker_queues: [{name: default, max_workers: 0}]\n"
    )

    result = aerodrome("deployment", "create", "-f", "bad.yaml", env=as_token(world, world.owner_token))

    assert result.returncode == 1
    [line] = result.error_lines
    assert line.startswith("Error: bad.yaml: configuration.scheduler_replicas: ")
    assert "worker_queues[0].max_workers: " in line
    assert line.endswith("(HTTP 400)")


def test_a_file_without_a_workspace_is_refused_by_the_server_naming_the_field(aerodrome, world, tmp_path):
    (tmp_path / "nowhere.yaml").write_text("configuration: {name: Nowhere}\n")

    result = aerodrome("deployment", "create", "-f", "nowhere.yaml", env=as_token(world, world.owner_token))

    assert result.returncode == 1
    assert result.error_lines == ["Error: nowhere.yaml: configuration.workspace: This field is required (HTTP 400)"]
    assert not Deployment.objects.filter(name="Nowhere").exists()


def test_delete_asks_for_the_name(aerodrome, world):
    ci = as_token(world, world.owner_token)

    wrong = aerodrome("deployment", "delete", world.deployment_id, input="Sales\n", env=ci)
    assert wrong.returncode == 1
    assert wrong.stderr.endswith("to confirm: Error: The name does not match; nothing was deleted.\n")
    assert Deployment.objects.get(pk=world.deployment_id).status != Deployment.Status.DELETING

    right = aerodrome("deployment", "delete", world.deployment_id, input="Sales pipelines\n", env=ci)
    assert right.returncode == 0, right.stderr
    assert Deployment.objects.get(pk=world.deployment_id).status == Deployment.Status.DELETING
    assert json.loads(aerodrome("deployment", "list", "-o", "json", env=ci).stdout) == []
