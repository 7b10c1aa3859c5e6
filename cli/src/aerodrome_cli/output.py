"""How results are printed: a table for people, or JSON / YAML for scripts (`-o json` on every command).

Data goes to stdout; progress, notices and errors go to stderr, so `aerodrome ... -o json | jq` always parses.
"""

import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence

import click
import yaml
from rich.console import Console
from rich.table import Table

FORMATS = ("table", "json", "yaml")
Column = str | Callable[[dict], object]  # a key of the row, or a function of it

# Piped output is not cut at 80 columns: a script reads whole lines.
stdout = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 1000)
stderr = Console(stderr=True, width=None if sys.stderr.isatty() else 1000)


def output_option(default: str = "table", formats: Sequence[str] = FORMATS):
    return click.option(
        "-o",
        "--output",
        type=click.Choice(formats, case_sensitive=False),
        default=default,
        show_default=True,
        help="How to print the result: a table for people, JSON or YAML for scripts.",
    )


def dump(data, output: str) -> str:
    if output == "yaml":
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def emit(data, output: str, *, columns: Sequence[tuple[str, Column]] = ()) -> None:
    """Print `data` as JSON or YAML, or as a table of `columns` (one row for a mapping)."""
    if output in ("json", "yaml"):
        sys.stdout.write(dump(data, output))
        return
    table(columns, [data] if isinstance(data, dict) else data)


def when(field: str) -> Callable[[dict], str]:
    """A column showing the API's ISO 8601 time `field` to the second, `2026-03-01 12:00:00`."""
    return lambda row: (row.get(field) or "")[:19].replace("T", " ")


def notice(message: str) -> None:
    """A sentence for people (progress, outcome, warning) on stderr, printed as it is: no rich markup or
    highlighting, since names and server messages may hold brackets."""
    stderr.print(message, highlight=False, markup=False)


def report(data, output: str, message: str, *, columns: Sequence[tuple[str, Column]] = ()) -> None:
    """The outcome of a command that changed something: `data` for scripts (-o json / yaml); for people, the
    sentence `message`, then `data` as a table when `columns` are given."""
    if output != "table":
        emit(data, output)
        return
    notice(message)
    if columns:
        emit(data, output, columns=columns)


def table(columns: Sequence[tuple[str, Column]], rows: Iterable[dict]) -> None:
    rows = list(rows)
    if not rows:
        stderr.print("Nothing to show.")
        return
    grid = Table(box=None, header_style="bold", pad_edge=False)
    for title, _ in columns:
        grid.add_column(title, overflow="fold")
    for row in rows:
        grid.add_row(*(_cell(get(row) if callable(get) else row.get(get)) for _, get in columns))
    stdout.print(grid)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("[", r"\[")  # rich markup off: names may hold brackets


def key_path(document, path: str):
    """The value at `path` in `document`: `configuration.name`, `worker_queues[0].max_workers` or
    `worker_queues.0.max_workers`. An unknown key is an error that names the keys there are."""
    from aerodrome_cli.errors import CLIError

    value = document
    walked = []
    for part in [p for p in re.split(r"\.|\[(\d+)\]", path) if p]:
        if isinstance(value, dict):
            if part not in value:
                where = ".".join(walked) or "the top level"
                raise CLIError(f"No key {part!r} at {where}; there are: {', '.join(value) or 'none'}.")
            value = value[part]
        elif isinstance(value, list):
            if not part.isdigit() or int(part) >= len(value):
                raise CLIError(f"{'.'.join(walked)} is a list of {len(value)}; {part!r} is not an index of it.")
            value = value[int(part)]
        else:
            raise CLIError(f"{'.'.join(walked)} is a value, not a mapping: it has no {part!r}.")
        walked.append(part)
    return value


def emit_value(value, output: str) -> None:
    """A single value picked with --key: bare for a scalar (for shell scripts), else in the output format."""
    if isinstance(value, (dict, list)):
        sys.stdout.write(dump(value, "json" if output == "json" else "yaml"))
    elif output == "json":
        sys.stdout.write(json.dumps(value) + "\n")
    else:
        sys.stdout.write("null" if value is None else str(value).lower() if isinstance(value, bool) else str(value))
        sys.stdout.write("\n")
