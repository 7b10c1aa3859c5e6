"""The deployment file: what `deployment inspect` prints and `deployment create -f` / `update -f` read.

configuration:           # what the Deployment is (the API's Deployment fields that can be set)
  workspace: 3
  name: Sales pipelines
  ...
worker_queues:           # Celery executor: its queues
  - {name: default, worker_type: A5, min_workers: 1, max_workers: 10, concurrency: null}
environment_variables:   # a secret's value is null: Aerodrome never shows it again
  - {key: GREETING, value: hello, is_secret: false}
metadata:                # what Aerodrome says about it; ignored by create and update
  id: 12
  status: HEALTHY
  ...
"""

from pathlib import Path

import click
import yaml

from aerodrome_cli.errors import ApiError, CLIError, join_messages

CONFIGURATION_FIELDS = [
    "workspace",
    "name",
    "description",
    "cluster",
    "airflow_version",
    "executor",
    "image_repository",
    "image_tag",
    "scheduler_size",
    "scheduler_replicas",
    "triggerer_replicas",
    "api_server_replicas",
    "task_pod_cpu",
    "task_pod_memory_mib",
    "max_task_pods",
    "headroom_percent",
    "contact_emails",
]
QUEUE_FIELDS = ["name", "worker_type", "min_workers", "max_workers", "concurrency"]
METADATA_FIELDS = [
    "id",
    "organization",
    "release_name",
    "namespace",
    "ui_url",
    "status",
    "status_reason",
    "status_changed_at",
    "generation",
    "observed_generation",
    "last_reconciled_at",
    "quota",
    "warnings",
    "created_at",
    "updated_at",
]
SECTIONS = ("configuration", "worker_queues", "environment_variables", "metadata")


def from_api(deployment: dict, variables: list[dict]) -> dict:
    """The deployment file of a Deployment as the API shows it (and its variables, secrets null)."""
    document = {"configuration": {field: deployment.get(field) for field in CONFIGURATION_FIELDS}}
    if deployment.get("executor") == "CeleryExecutor" or deployment.get("queues"):
        document["worker_queues"] = [
            {field: queue.get(field) for field in QUEUE_FIELDS} for queue in deployment.get("queues", [])
        ]
    document["environment_variables"] = [
        {
            "key": v["key"],
            "value": None if v.get("is_secret") else v.get("value"),
            "is_secret": bool(v.get("is_secret")),
        }
        for v in variables
    ]
    document["metadata"] = {field: deployment.get(field) for field in METADATA_FIELDS}
    return document


def read(path: str) -> dict:
    """A deployment file from disk (`-` for standard input), checked for shape."""
    try:
        with click.open_file(path) as stream:
            document = yaml.safe_load(stream)
    except OSError as error:
        raise CLIError(f"Cannot read {path}: {error.strerror}.") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise CLIError(f"{path} is not valid YAML{where}.") from None
    if not isinstance(document, dict) or not isinstance(document.get("configuration"), dict):
        raise CLIError(
            f"{path} is not a deployment file: it needs a `configuration` mapping (see `deployment inspect`)."
        )
    unknown = sorted(set(document) - set(SECTIONS))
    if unknown:
        raise CLIError(f"{path}: unknown section(s) {', '.join(unknown)}; a deployment file has {', '.join(SECTIONS)}.")
    for section in ("worker_queues", "environment_variables"):
        items = document.get(section) or []
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise CLIError(f"{path}: `{section}` must be a list of mappings.")
        document[section] = items
    for index, variable in enumerate(document["environment_variables"]):
        if not isinstance(variable.get("key"), str) or not variable["key"]:
            raise CLIError(f"{path}: environment_variables[{index}] has no `key`.")
    return document


def create_payload(document: dict) -> tuple[dict, list[str]]:
    """The body of `POST /deployments/` for a deployment file, and the secrets left out (their value is null)."""
    payload = {k: v for k, v in document["configuration"].items() if v is not None or k == "cluster"}
    if document.get("worker_queues"):
        payload["queues"] = [{k: v for k, v in queue.items() if v is not None} for queue in document["worker_queues"]]
    skipped, variables = [], []
    for variable in document.get("environment_variables", []):
        if variable.get("value") is None:
            skipped.append(variable["key"])
            continue
        variables.append(
            {"key": variable["key"], "value": str(variable["value"]), "is_secret": bool(variable.get("is_secret"))}
        )
    if variables:
        payload["variables"] = variables
    return payload, skipped


def as_file_error(error: ApiError, path: str) -> CLIError:
    """The API's field paths (`queues[1].max_workers`) as the file's (`worker_queues[1].max_workers`)."""
    if not error.fields:
        return error

    def where(field: str) -> str:
        if field.startswith("queues"):
            return "worker_" + field
        if field.startswith("variables"):
            return "environment_" + field
        return field if field == "non_field_errors" else f"configuration.{field}"

    detail = "; ".join(f"{where(field)}: {join_messages(messages)}" for field, messages in error.fields.items())
    return CLIError(f"{Path(path).name}: {detail} (HTTP {error.status})")
