"""`aerodrome deployment queue ...`: a Celery Deployment's worker queues."""

import click

from aerodrome_cli.commands import deployment_id_argument, no_deployment, not_found_as, not_in_deployment
from aerodrome_cli.output import emit, output_option, report

COLUMNS = [
    ("NAME", "name"),
    ("WORKER TYPE", "worker_type"),
    ("MIN", "min_workers"),
    ("MAX", "max_workers"),
    ("CONCURRENCY", lambda q: q.get("concurrency") if q.get("concurrency") is not None else "default"),
    ("DEFAULT", "is_default"),
]


def _sizes(worker_type, min_workers, max_workers, concurrency) -> dict:
    sizes = {"worker_type": worker_type, "min_workers": min_workers, "max_workers": max_workers}
    body = {field: value for field, value in sizes.items() if value is not None}
    if concurrency is not None:
        if concurrency != "default" and not concurrency.isdigit():
            raise click.UsageError(f"--concurrency takes a whole number or `default`, not {concurrency!r}.")
        body["concurrency"] = None if concurrency == "default" else int(concurrency)
    return body


def _queue_options(command):
    command = click.option("--concurrency", metavar="N|default", help="Tasks per worker (`default`: the type's).")(
        command
    )
    command = click.option("--max-workers", type=int, help="Most workers (autoscaling).")(command)
    command = click.option("--min-workers", type=int, help="Fewest workers.")(command)
    return click.option("--worker-type", help="The worker size, e.g. A5 or A10.")(command)


@click.group()
def queue() -> None:
    """Worker queues of a Celery Deployment (tasks pick one with `queue=`)."""


@queue.command("list")
@deployment_id_argument()
@output_option()
@click.pass_obj
def queue_list(session, deployment_id: int, output: str) -> None:
    """The worker queues."""
    with not_found_as(no_deployment(deployment_id)):
        rows = list(session.client.paginate(f"deployments/{deployment_id}/queues/"))
    emit(rows, output, columns=COLUMNS)


@queue.command("add")
@deployment_id_argument()
@click.argument("name")
@_queue_options
@output_option()
@click.pass_obj
def queue_add(session, deployment_id: int, name: str, output: str, **sizes) -> None:
    """Add the worker queue NAME."""
    with not_found_as(no_deployment(deployment_id)):
        created = session.client.post(f"deployments/{deployment_id}/queues/", {"name": name, **_sizes(**sizes)})
    emit(created, output, columns=COLUMNS)


@queue.command("update")
@deployment_id_argument()
@click.argument("name")
@_queue_options
@output_option()
@click.pass_obj
def queue_update(session, deployment_id: int, name: str, output: str, **sizes) -> None:
    """Resize the worker queue NAME (only the options given change)."""
    body = _sizes(**sizes)
    if not body:
        raise click.UsageError("Nothing to change: give --worker-type, --min-workers, --max-workers or --concurrency.")
    with not_found_as(not_in_deployment(deployment_id, f"queue {name!r}")):
        updated = session.client.patch(f"deployments/{deployment_id}/queues/{name}/", body)
    emit(updated, output, columns=COLUMNS)


@queue.command("delete")
@deployment_id_argument()
@click.argument("name")
@output_option()
@click.pass_obj
def queue_delete(session, deployment_id: int, name: str, output: str) -> None:
    """Remove the worker queue NAME (the default queue stays)."""
    with not_found_as(not_in_deployment(deployment_id, f"queue {name!r}")):
        session.client.delete(f"deployments/{deployment_id}/queues/{name}/")
    report({"name": name, "outcome": "removed"}, output, f"Removed queue {name}.")
