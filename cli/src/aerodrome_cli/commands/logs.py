"""`aerodrome logs ID`: a Deployment's pod logs, every filter at once, and --follow for new lines.

The API (`GET /api/v1/deployments/{id}/logs/`) answers `{"lines", "cursor", "notices"}`; passing `cursor` back
returns only newer lines, which is how --follow polls.
"""

import json
import sys
import time

import click
from rich.text import Text

from aerodrome_cli.commands import deployment_id_argument, no_deployment, not_found_as
from aerodrome_cli.errors import ApiError
from aerodrome_cli.output import notice, output_option, stdout

LEVEL_STYLES = {"CRITICAL": "bold red", "ERROR": "red", "WARNING": "yellow", "DEBUG": "dim"}
RETRYABLE = (429, 502, 503, 504)


def _components(values: tuple[str, ...]) -> str | None:
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    return ",".join(names) or None


def print_line(line: dict, output: str) -> None:
    if output == "json":
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    level = (line.get("level") or "").upper()
    text = Text()
    text.append((line.get("time") or "")[:23].replace("T", " "), style="dim")
    text.append(f" {line.get('component') or '-'}", style="cyan")
    text.append(f" {line.get('pod') or ''}", style="dim")
    text.append(f" {level or '-':<7}", style=LEVEL_STYLES.get(level, ""))
    text.append(f" {line.get('message', '')}")
    stdout.print(text, highlight=False, soft_wrap=True)


@click.command()
@deployment_id_argument()
@click.option(
    "-c",
    "--component",
    "components",
    multiple=True,
    metavar="NAME",
    help="scheduler, api-server, triggerer, dag-processor, worker-<queue>…; repeat or comma-separate. Default: all.",
)
@click.option("--level", help="At least this level: DEBUG, INFO, WARNING, ERROR, CRITICAL.")
@click.option("--search", metavar="TEXT", help="Only lines holding TEXT.")
@click.option("--since", metavar="WHEN", help="15m, 1h, 6h, 24h, started, or an ISO 8601 time.")
@click.option("--until", metavar="WHEN", help="Up to this ISO 8601 time.")
@click.option("--previous", is_flag=True, help="The previous container's logs (after a crash or restart).")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@click.option(
    "--interval", type=click.FloatRange(min=0.2), default=2.0, show_default=True, help="Seconds between polls."
)
@output_option(formats=("table", "json"))
@click.pass_obj
def logs(session, deployment_id: int, components, level, search, since, until, previous, follow, interval, output):
    """A Deployment's logs, merged across its pods, oldest first (-o json: one JSON object per line).

    \b
    aerodrome logs 12 --component scheduler --level WARNING --since 1h
    aerodrome logs 12 -c worker-default --search "Task failed" --follow
    """
    client = session.client
    path = f"deployments/{deployment_id}/logs/"
    params = {
        "components": _components(components),
        "level": level.upper() if level else None,
        "search": search,
        "since": since,
        "until": until,
        "previous": "true" if previous else None,
    }
    with not_found_as(no_deployment(deployment_id)):
        page = client.get(path, **params)
    shown_notices = _show(page, output, set())
    if not follow:
        return
    params.pop("until")
    cursor = page.get("cursor")
    try:
        while True:
            time.sleep(interval)
            try:
                page = client.get(path, **params, cursor=cursor)
            except ApiError as error:
                if error.status not in RETRYABLE:
                    raise
                notice(f"Note: {error.format_message()}; retrying.")
                continue
            cursor = page.get("cursor") or cursor
            shown_notices = _show(page, output, shown_notices)
    except KeyboardInterrupt:
        return


def _show(page: dict, output: str, shown: set[str]) -> set[str]:
    for line in page.get("lines", []):
        print_line(line, output)
    for text in page.get("notices", []):
        if text not in shown:
            notice(f"Note: {text}")
            shown.add(text)
    return shown
