"""`aerodrome deploy ID ...`: ship DAGs and/or an image to a Deployment; `deploy list`, `deploy rollback`.

The API (`/api/v1/deployments/{id}/deploys/`): a JSON body for an image alone, multipart with a `dags` .tar.gz
otherwise; the answer is the deploy, QUEUED, which then goes DEPLOYING and ends DEPLOYED or FAILED.
"""

import itertools
import tempfile
import time
from pathlib import Path

import click

from aerodrome_cli import packing
from aerodrome_cli.commands import (
    deployment_id_argument,
    get_deployment,
    no_deployment,
    not_found_as,
    not_in_deployment,
)
from aerodrome_cli.errors import TIMED_OUT, CLIError
from aerodrome_cli.output import emit, notice, output_option, stderr, when

FINAL = ("DEPLOYED", "FAILED")
COLUMNS = [
    ("ID", "id"),
    ("KIND", "kind"),
    ("STATUS", "status"),
    ("IMAGE", lambda d: _image(d)),
    ("DAGS", lambda d: _bundle(d)),
    ("BY", "deployed_by"),
    ("CREATED", when("created_at")),
    ("ROLLBACK OF", "rolled_back_from"),
    ("DESCRIPTION", "description"),
]


def _image(deploy: dict) -> str | None:
    image, digest = deploy.get("image"), deploy.get("image_digest")
    if image and digest and digest not in image:
        return f"{image} ({digest[:19]})"
    return image or None


def _bundle(deploy: dict) -> str | None:
    bundle = deploy.get("dag_bundle")
    if not bundle:
        return None
    return f"{bundle['sha256'][:12]} ({bundle.get('file_count')} files)"


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if count < 1024 or unit == "MiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return str(count)


class DeployGroup(click.Group):
    """`deploy ID [options]` deploys; `deploy list ID` and `deploy rollback ID DEPLOY_ID` are subcommands. A first
    argument that is not a subcommand's name is the Deployment's id, for the default command `create`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["create", *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx, formatter):
        formatter.write_usage(ctx.command_path, "ID [--dags PATH] [--image REF] [--description TEXT] [--wait]")
        more = "list ID | inspect ID DEPLOY_ID | rollback ID DEPLOY_ID"
        formatter.write_usage(ctx.command_path, more, prefix="   or: ")


def wait_option(command):
    command = click.option("--poll-interval", type=float, default=2.0, hidden=True, envvar="AERODROME_POLL_SECONDS")(
        command
    )
    command = click.option(
        "--timeout", type=click.IntRange(min=1), default=900, show_default=True, help="Seconds --wait waits."
    )(command)
    return click.option(
        "--wait",
        is_flag=True,
        help="Follow the deploy until it is DEPLOYED (exit 0) or FAILED (exit 1); exit 3 if --timeout passes first.",
    )(command)


@click.group(cls=DeployGroup)
def deploy() -> None:
    """Ship code to a Deployment, see what was shipped, roll back.

    \b
    aerodrome deploy 12 --dags dags/ --description "nightly fix" --wait
    aerodrome deploy 12 --image registry.example.com/etl:2.4.1 --wait
    aerodrome deploy list 12
    aerodrome deploy rollback 12 40 --wait
    """


@deploy.command("create")
@deployment_id_argument()
@click.option("--dags", "dags", type=click.Path(path_type=Path), metavar="PATH", help="The DAGs folder to ship.")
@click.option("--image", metavar="REF", help="An image to run: repository:tag (pinned to its digest) or @sha256:…")
@click.option("-d", "--description", default="", help="What this deploy is, for the history.")
@click.option(
    "--ignore-syntax",
    type=click.Choice(("auto", *packing.SYNTAXES)),
    default="auto",
    show_default=True,
    help="How .airflowignore is read; auto: Airflow's default for the Deployment's version (glob from 3.0).",
)
@wait_option
@output_option()
@click.pass_obj
def deploy_create(
    session,
    deployment_id: int,
    dags: Path | None,
    image: str | None,
    description: str,
    ignore_syntax: str,
    wait: bool,
    timeout: int,
    poll_interval: float,
    output: str,
) -> None:
    """Deploy DAGs (--dags), an image (--image) or both to Deployment ID."""
    if not dags and not image:
        raise CLIError("Say what to deploy: --dags PATH, --image REF, or both.")
    client = session.client
    path = f"deployments/{deployment_id}/deploys/"
    if dags is None:
        with not_found_as(no_deployment(deployment_id)):
            created = client.post(path, {"image": image, "description": description})
    else:
        if ignore_syntax == "auto":
            ignore_syntax = packing.syntax_for(get_deployment(client, deployment_id).get("airflow_version"))
        with tempfile.TemporaryDirectory(prefix="aerodrome-dags-") as scratch:
            packed = packing.pack(dags, Path(scratch) / "dags.tar.gz", syntax=ignore_syntax)
            if not packed.files:
                raise CLIError(f"{dags} holds no files to deploy (after {packing.IGNORE_FILE}).")
            notice(f"Packed {len(packed.files)} files from {dags} ({_size(packed.size)}, sha256 {packed.sha256[:12]}).")
            fields = {"description": description, **({"image": image} if image else {})}
            with not_found_as(no_deployment(deployment_id)):
                created = _upload(client, path, fields, packed)
    notice(f"Deploy {created['id']} created ({created['kind']}): {created['status']}.")
    finish(client, deployment_id, created, wait=wait, timeout=timeout, poll_interval=poll_interval, output=output)


def _upload(client, path: str, fields: dict, packed: packing.Packed) -> dict:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    columns = [TextColumn("Uploading"), BarColumn(), DownloadColumn(), TransferSpeedColumn()]
    with Progress(*columns, console=stderr, transient=True) as progress:
        task = progress.add_task("upload", total=packed.size)
        return client.upload(
            path,
            fields=fields,
            file_field="dags",
            file_path=packed.path,
            progress=lambda sent: progress.advance(task, sent),
        )


def finish(client, deployment_id: int, deploy_: dict, *, wait: bool, timeout: int, poll_interval: float, output):
    """Print the deploy; with --wait, follow it first and exit non-zero unless it is DEPLOYED."""
    if wait:
        deploy_ = follow(client, deployment_id, deploy_, timeout=timeout, poll_interval=poll_interval)
    emit(deploy_, output, columns=COLUMNS)
    if not wait:
        return
    if deploy_["status"] == "FAILED":
        reason = deploy_.get("status_reason") or "no reason given"
        raise CLIError(f"Deploy {deploy_['id']} to Deployment {deployment_id} failed: {reason}")
    if deploy_["status"] != "DEPLOYED":
        raise CLIError(
            f"Deploy {deploy_['id']} is still {deploy_['status']} after {timeout} s; "
            f"follow it with `aerodrome deploy inspect {deployment_id} {deploy_['id']}`.",
            exit_code=TIMED_OUT,
        )


def follow(client, deployment_id: int, deploy_: dict, *, timeout: int, poll_interval: float) -> dict:
    deadline = time.monotonic() + timeout
    seen = deploy_["status"]
    try:
        while deploy_["status"] not in FINAL and time.monotonic() < deadline:
            time.sleep(min(poll_interval, max(0.0, deadline - time.monotonic())))
            deploy_ = client.get(f"deployments/{deployment_id}/deploys/{deploy_['id']}/")
            if deploy_["status"] != seen:
                seen = deploy_["status"]
                notice(f"Deploy {deploy_['id']}: {seen}.")
    except KeyboardInterrupt:
        raise CLIError(
            f"Stopped waiting; deploy {deploy_['id']} goes on "
            f"(`aerodrome deploy inspect {deployment_id} {deploy_['id']}`).",
            exit_code=130,
        ) from None
    return deploy_


@deploy.command("list")
@deployment_id_argument()
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many, newest first.")
@output_option()
@click.pass_obj
def deploy_list(session, deployment_id: int, limit: int, output: str) -> None:
    """The Deployment's deploys, newest first."""
    with not_found_as(no_deployment(deployment_id)):
        rows = list(itertools.islice(session.client.paginate(f"deployments/{deployment_id}/deploys/"), limit))
    emit(rows, output, columns=COLUMNS)


@deploy.command("inspect")
@deployment_id_argument()
@click.argument("deploy_id", type=click.IntRange(min=1))
@output_option(default="yaml", formats=("yaml", "json"))
@click.pass_obj
def deploy_inspect(session, deployment_id: int, deploy_id: int, output: str) -> None:
    """One deploy, with what changed against the one before it."""
    with not_found_as(not_in_deployment(deployment_id, f"deploy {deploy_id}")):
        found = session.client.get(f"deployments/{deployment_id}/deploys/{deploy_id}/")
        found["diff"] = session.client.get(f"deployments/{deployment_id}/deploys/{deploy_id}/diff/")
    emit(found, output)


@deploy.command("rollback")
@deployment_id_argument()
@click.argument("deploy_id", type=click.IntRange(min=1))
@click.option("-d", "--description", default=None, help="Why, for the history.")
@wait_option
@output_option()
@click.pass_obj
def deploy_rollback(
    session,
    deployment_id: int,
    deploy_id: int,
    description: str | None,
    wait: bool,
    timeout: int,
    poll_interval: float,
    output: str,
) -> None:
    """Deploy again the image and DAGs of DEPLOY_ID (variables and resources stay as they are)."""
    body = {"description": description} if description is not None else {}
    with not_found_as(not_in_deployment(deployment_id, f"deploy {deploy_id}")):
        created = session.client.post(f"deployments/{deployment_id}/deploys/{deploy_id}/rollback/", body)
    notice(f"Deploy {created['id']} rolls back to deploy {deploy_id}: {created['status']}.")
    finish(
        session.client, deployment_id, created, wait=wait, timeout=timeout, poll_interval=poll_interval, output=output
    )
