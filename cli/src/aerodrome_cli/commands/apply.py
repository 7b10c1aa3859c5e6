"""`deployment update -f FILE`: bring a Deployment to a deployment file, one change at a time.

Only what differs is sent: the configuration as one PATCH, then each queue and each variable on its own. Nothing
is removed: queues and variables missing from the file stay, and so does a secret whose value is null.
"""

from aerodrome_cli import deployment_file
from aerodrome_cli.commands.variables import set_one, variables_by_key
from aerodrome_cli.errors import ApiError, CLIError
from aerodrome_cli.output import notice


def apply_file(client, current: dict, document: dict, path: str, *, extra: dict) -> list[str]:
    deployment_id = current["id"]
    configuration = dict(document["configuration"])
    wanted_workspace = configuration.pop("workspace", None)
    if wanted_workspace is not None and wanted_workspace != current["workspace"]:
        raise CLIError(
            f"{path} names workspace {wanted_workspace}, but Deployment {deployment_id} is in workspace "
            f"{current['workspace']}: a Deployment cannot move (create it there with `deployment create -f`)."
        )
    configuration.update(extra)
    changes = {
        field: value
        for field, value in configuration.items()
        if field not in current or _differs(current[field], value)
    }
    summary = []
    try:
        if changes:
            client.patch(f"deployments/{deployment_id}/", changes)
            summary.append("configuration: " + ", ".join(sorted(changes)))
        queues = {q["name"]: q for q in current.get("queues", [])}
        for wanted in document.get("worker_queues", []):
            body = {k: v for k, v in wanted.items() if k in deployment_file.QUEUE_FIELDS}
            name = body.get("name")
            if name in queues:
                delta = {k: v for k, v in body.items() if k != "name" and _differs(queues[name].get(k), v)}
                if delta:
                    client.patch(f"deployments/{deployment_id}/queues/{name}/", delta)
                    summary.append(f"queue {name}: " + ", ".join(sorted(delta)))
            else:
                client.post(f"deployments/{deployment_id}/queues/", {k: v for k, v in body.items() if v is not None})
                summary.append(f"queue {name}: added")
        existing = variables_by_key(client, deployment_id)
        for wanted in document.get("environment_variables", []):
            key, value, secret = wanted["key"], wanted.get("value"), bool(wanted.get("is_secret"))
            if value is None:
                if key not in existing:
                    notice(f"Warning: {key} was not set (its value is null in the file).")
                continue
            outcome = set_one(client, deployment_id, existing, key, str(value), secret)
            if outcome != "unchanged":
                summary.append(f"variable {key}: {outcome}")
    except ApiError as error:
        raise deployment_file.as_file_error(error, path) from None
    return summary


def _differs(current, wanted) -> bool:
    if isinstance(current, str) and isinstance(wanted, (int, float)) and not isinstance(wanted, bool):
        try:
            return float(current) != float(wanted)  # decimals come back as strings ("0.50")
        except ValueError:
            return True
    return current != wanted
