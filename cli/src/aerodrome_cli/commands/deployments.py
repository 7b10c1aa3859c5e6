"""`aerodrome deployment ...`: list, inspect, create, update and delete Deployments."""

import click
import yaml

from aerodrome_cli import deployment_file
from aerodrome_cli.commands import deployment_id_argument, get_deployment, not_found_as
from aerodrome_cli.commands.queues import queue
from aerodrome_cli.commands.variables import variable, variables_by_key
from aerodrome_cli.errors import ApiError, CLIError
from aerodrome_cli.output import emit, emit_value, key_path, notice, output_option, report, when

LIST_COLUMNS = [
    ("ID", "id"),
    ("NAME", "name"),
    ("WORKSPACE", "workspace"),
    ("STATUS", "status"),
    ("AIRFLOW", "airflow_version"),
    ("EXECUTOR", "executor"),
    ("RELEASE", "release_name"),
    ("UPDATED", when("updated_at")),
]


@click.group()
def deployment() -> None:
    """Deployments: list, inspect, create from a file, update, delete; their variables and worker queues."""


deployment.add_command(variable)
deployment.add_command(queue)


@deployment.command("list")
@click.option("--workspace", type=int, metavar="ID", help="Only the Deployments of this workspace.")
@click.option("--status", help="Only those in this status (e.g. HEALTHY, FAILED).")
@click.option("--search", help="Only those whose name or description holds every word.")
@output_option()
@click.pass_obj
def deployment_list(session, workspace: int | None, status: str | None, search: str | None, output: str) -> None:
    """The Deployments this token can see."""
    rows = list(session.client.paginate("deployments/", workspace=workspace, status=status, search=search))
    emit(rows, output, columns=LIST_COLUMNS)


def fetch_document(client, deployment_id: int) -> dict:
    found = get_deployment(client, deployment_id)
    return deployment_file.from_api(found, list(variables_by_key(client, deployment_id).values()))


@deployment.command()
@deployment_id_argument()
@click.option("--key", metavar="PATH", help="Print only this field, e.g. metadata.status or configuration.image_tag.")
@output_option(default="yaml", formats=("yaml", "json"))
@click.pass_obj
def inspect(session, deployment_id: int, key: str | None, output: str) -> None:
    """A Deployment as a deployment file (which `create -f` takes back); secrets are null.

    \b
    aerodrome deployment inspect 12 > sales.yaml
    aerodrome deployment inspect 12 --key metadata.status
    """
    document = fetch_document(session.client, deployment_id)
    if key:
        emit_value(key_path(document, key), output)
        return
    emit(document, output)


@deployment.command()
@click.option("-f", "--file", "path", required=True, metavar="FILE", help="A deployment file (`-` reads stdin).")
@click.option("--workspace", type=int, metavar="ID", help="Create it in this workspace instead of the file's.")
@click.option("--name", help="Give it this name instead of the file's.")
@output_option()
@click.pass_obj
def create(session, path: str, workspace: int | None, name: str | None, output: str) -> None:
    """Create a Deployment from a deployment file, fully configured in one request.

    A secret whose value is null in the file (as `inspect` prints it) is left out, with a warning: set it with
    `aerodrome deployment variable set ID KEY --secret`.
    """
    document = deployment_file.read(path)
    if workspace is not None:
        document["configuration"]["workspace"] = workspace
    if name is not None:
        document["configuration"]["name"] = name
    # What a new Deployment needs (a workspace, a valid name...) is the server's to say: its 400 names each field
    # by its place in the file (as_file_error).
    payload, skipped = deployment_file.create_payload(document)
    with not_found_as(f"There is no workspace {payload.get('workspace')} that this token can see."):
        try:
            created = session.client.post("deployments/", payload)
        except ApiError as error:
            raise deployment_file.as_file_error(error, path) from None
    for key in skipped:
        notice(
            f"Warning: {key} was not set (its value is null in the file): "
            f"aerodrome deployment variable set {created['id']} {key} --secret"
        )
    emit(created, output, columns=LIST_COLUMNS)


@deployment.command()
@deployment_id_argument()
@click.option(
    "-f", "--file", "path", metavar="FILE", help="Apply this deployment file's configuration, queues and variables."
)
@click.option("--name")
@click.option("--description")
@click.option("--image-repository")
@click.option("--image-tag")
@click.option("--airflow-version")
@click.option("--scheduler-replicas", type=int)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Any other configuration field, e.g. --set max_task_pods=20 (VALUE is read as YAML). Repeatable.",
)
@output_option()
@click.pass_obj
def update(session, deployment_id: int, path: str | None, assignments: tuple[str, ...], output: str, **flags) -> None:
    """Change a Deployment: the options given, or what differs in a deployment file.

    With -f, queues in the file are added or resized and variables set one by one; queues and variables that are
    not in the file are kept (remove them with `queue delete` and `variable delete`), and so are secrets whose
    value is null.
    """
    client = session.client
    changes = {field: value for field, value in flags.items() if value is not None}
    for assignment in assignments:
        field, sep, raw = assignment.partition("=")
        if not sep or not field.strip():
            raise CLIError(f"--set takes FIELD=VALUE, not {assignment!r}.")
        changes[field.strip()] = yaml.safe_load(raw) if raw else ""
    if not changes and not path:
        raise CLIError("Nothing to change: give -f FILE, an option such as --image-tag, or --set FIELD=VALUE.")
    current = get_deployment(client, deployment_id)
    summary: list[str] = []
    if path:
        from aerodrome_cli.commands.apply import apply_file

        summary += apply_file(client, current, deployment_file.read(path), path, extra=changes)
    elif changes:
        client.patch(f"deployments/{deployment_id}/", changes)
        summary.append("configuration: " + ", ".join(sorted(changes)))
    updated = get_deployment(client, deployment_id)
    message = "\n".join(f"Changed {line}" for line in summary) or "Nothing differs: no change."
    report(updated, output, message, columns=LIST_COLUMNS)


@deployment.command()
@deployment_id_argument()
@click.option("-y", "--yes", is_flag=True, help="Do not ask to type the name (scripts).")
@output_option()
@click.pass_obj
def delete(session, deployment_id: int, yes: bool, output: str) -> None:
    """Delete a Deployment: its Kubernetes objects and metadata database go too. Asks for its name first."""
    client = session.client
    name = get_deployment(client, deployment_id)["name"]
    if not yes:
        typed = click.prompt(f"This deletes {name!r} and its metadata database. Type its name to confirm", err=True)
        if typed != name:
            raise CLIError("The name does not match; nothing was deleted.")
    result = client.delete(f"deployments/{deployment_id}/", confirm=name)
    report(result, output, f"Deleting {name!r} (Deployment {deployment_id}): status {result.get('status')}.")
