"""`aerodrome`: the root command, login and contexts. The other commands live in `aerodrome_cli.commands`."""

import os
import sys

import click

from aerodrome_cli import __version__, config
from aerodrome_cli.client import Client
from aerodrome_cli.errors import CLIError
from aerodrome_cli.output import emit, output_option, report


class Session:
    """What every command gets through `click.pass_obj`: the context to use, and a client made on first use."""

    def __init__(self, context_name: str | None):
        self.context_name = context_name
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client(config.resolve(self.context_name))
        return self._client


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option(
    "--context",
    "context_name",
    envvar="AERODROME_CONTEXT",
    metavar="NAME",
    help="Use this context (server and token) instead of the current one.",
)
@click.version_option(__version__, prog_name="aerodrome")
@click.pass_context
def cli(ctx: click.Context, context_name: str | None) -> None:
    """Manage Aerodrome Deployments, ship DAGs and images to them, and read their logs.

    Start with `aerodrome login https://aerodrome.example.com`. In CI, set AERODROME_URL and AERODROME_TOKEN
    instead. Every command takes `-o json` for scripts.
    """
    ctx.obj = Session(context_name)


# ---------------------------------------------------------------------------------------------------- login


@cli.command()
@click.argument("url")
@click.option("--name", "context_name", metavar="NAME", help="Name of the context to save (default: the host).")
@click.option("--token-stdin", is_flag=True, help="Read the token from standard input (e.g. from a secret store).")
@output_option()
def login(url: str, context_name: str | None, token_stdin: bool, output: str) -> None:
    """Log in to the Aerodrome at URL with an API token and make it the current context.

    The token comes from AERODROME_TOKEN, standard input (--token-stdin) or a prompt. It is checked against the
    server, then saved in the configuration file (mode 0600).
    """
    url = config.normalize_url(url)
    if token_stdin:
        token = sys.stdin.readline().strip()
    elif os.environ.get("AERODROME_TOKEN"):
        token = os.environ["AERODROME_TOKEN"].strip()
    else:
        token = click.prompt("API token", hide_input=True).strip()
    if not token:
        raise CLIError("No token given: create one on Aerodrome's API tokens page.")
    name = context_name or config.default_context_name(url)
    client = Client(config.Context(name=name, url=url, token=token))
    organizations = [org["slug"] for org in client.paginate("organizations/")]
    path = config.add_context(name=name, url=url, token=token)
    result = {"context": name, "url": url, "organizations": organizations, "config": str(path)}
    report(
        result, output, f"Logged in to {url} (context {name!r}; organisations: {', '.join(organizations) or 'none'})."
    )


@cli.command()
@click.argument("name", required=False)
@output_option()
def logout(name: str | None, output: str = "table") -> None:
    """Forget a context's token (default: the current context)."""
    data = config.load()
    name = name or data.get("current-context")
    if not name or name not in data["contexts"]:
        raise CLIError(f"There is no context named {name!r}." if name else "Not logged in.")
    del data["contexts"][name]
    if data.get("current-context") == name:
        data["current-context"] = next(iter(data["contexts"]), None)
    config.save(data)
    result = {"context": name, "outcome": "removed", "current": data.get("current-context")}
    report(result, output, f"Logged out of {name!r}.")


# ------------------------------------------------------------------------------------------------- contexts


@cli.group()
def context() -> None:
    """Several servers: list the saved contexts and choose the current one."""


@context.command("list")
@output_option()
def context_list(output: str) -> None:
    """The saved contexts (tokens never shown)."""
    data = config.load()
    current = data.get("current-context")
    rows = [
        {"name": name, "url": entry.get("url"), "current": name == current} for name, entry in data["contexts"].items()
    ]
    emit(rows, output, columns=[("CURRENT", lambda r: "*" if r["current"] else ""), ("NAME", "name"), ("URL", "url")])


@context.command("use")
@click.argument("name")
@output_option()
def context_use(name: str, output: str) -> None:
    """Make NAME the current context."""
    data = config.load()
    if name not in data["contexts"]:
        known = ", ".join(sorted(data["contexts"])) or "none"
        raise CLIError(f"There is no context named {name!r} (contexts: {known}).")
    data["current-context"] = name
    config.save(data)
    url = data["contexts"][name]["url"]
    report({"context": name, "url": url}, output, f"Now using {name!r} ({url}).")


@context.command("delete")
@click.argument("name")
@output_option()
@click.pass_context
def context_delete(ctx: click.Context, name: str, output: str) -> None:
    """Forget the context NAME and its token."""
    ctx.invoke(logout, name=name, output=output)


def _register() -> None:
    from aerodrome_cli.commands import deployments, deploys, logs

    cli.add_command(deployments.deployment)
    cli.add_command(deploys.deploy)
    cli.add_command(logs.logs)


_register()


def main() -> None:
    try:
        cli.main(prog_name="aerodrome", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.UsageError as error:
        hint = f" (see `{error.ctx.command_path} --help`)" if error.ctx else ""
        click.echo(f"Error: {error.format_message()}{hint}", err=True)
        sys.exit(error.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
    except Exception as error:  # noqa: BLE001 - a bug still ends in one readable line (AERODROME_DEBUG=1: traceback)
        if os.environ.get("AERODROME_DEBUG"):
            raise
        click.echo(f"Error: unexpected {type(error).__name__}: {error} (AERODROME_DEBUG=1 shows where)", err=True)
        sys.exit(1)
