"""`aerodrome deployment variable ...`: a Deployment's environment variables, one key at a time.

Setting a variable never sends the whole list: each key is added (POST) or changed (PATCH) on its own, so a
secret nobody mentions is never wiped.
"""

import re
import sys

import click

from aerodrome_cli.commands import deployment_id_argument, get_deployment, no_deployment, not_found_as
from aerodrome_cli.errors import CLIError
from aerodrome_cli.output import emit, output_option, report, when

COLUMNS = [
    ("KEY", "key"),
    ("VALUE", lambda v: "(secret)" if v.get("is_secret") else v.get("value")),
    ("SECRET", "is_secret"),
    ("UPDATED", when("updated_at")),
]
_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def parse_env_file(path: str) -> dict[str, str]:
    """KEY=VALUE lines as docker compose and python-dotenv read them: `export ` allowed, `#` comments, values
    in single quotes (literal) or double quotes (with \\n, \\t, \\" escapes, spanning lines), an unquoted value
    ending at ` #`."""
    try:
        with click.open_file(path) as stream:
            text = stream.read()
    except OSError as error:
        raise CLIError(f"Cannot read {path}: {error.strerror}.") from None
    values: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line, number = lines[index], index + 1
        index += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            raise CLIError(f"{path}, line {number}: expected KEY=VALUE, found {line.strip()[:40]!r}.")
        key, raw = match.groups()
        if raw[:1] in ("'", '"'):
            quote = raw[0]
            body = raw[1:]
            while not _closed(body, quote):
                if index >= len(lines):
                    raise CLIError(f"{path}, line {number}: the {quote} quote of {key} is never closed.")
                body += "\n" + lines[index]
                index += 1
            body = body[: _closing(body, quote)]
            value = body if quote == "'" else re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], "\\" + m[1]), body)
        else:
            value = re.split(r"\s+#", raw, maxsplit=1)[0].strip()
        values[key] = value
    return values


def _closing(body: str, quote: str) -> int:
    position = 0
    while (position := body.find(quote, position)) != -1:
        if quote == "'" or (len(body[:position]) - len(body[:position].rstrip("\\"))) % 2 == 0:
            return position
        position += 1
    return -1


def _closed(body: str, quote: str) -> bool:
    return _closing(body, quote) != -1


def variables_by_key(client, deployment_id: int) -> dict[str, dict]:
    with not_found_as(no_deployment(deployment_id)):
        return {v["key"]: v for v in client.paginate(f"deployments/{deployment_id}/variables/")}


def set_one(client, deployment_id: int, existing: dict[str, dict], key: str, value: str, secret: bool) -> str:
    """Add or change one variable; returns what happened ("added", "changed" or "unchanged")."""
    base = f"deployments/{deployment_id}/variables/"
    current = existing.get(key)
    if current is None:
        client.post(base, {"key": key, "value": value, "is_secret": secret})
        return "added"
    if not current["is_secret"] and not secret and current.get("value") == value:
        return "unchanged"
    body = {"value": value}
    if secret:
        body["is_secret"] = True  # a secret stays secret: only false -> true is sent
    client.patch(f"{base}{key}/", body)
    return "changed"


@click.group()
def variable() -> None:
    """A Deployment's environment variables, one key at a time (never the whole list)."""


@variable.command("list")
@deployment_id_argument()
@output_option()
@click.pass_obj
def variable_list(session, deployment_id: int, output: str) -> None:
    """The variables; a secret's value is never shown (null in JSON)."""
    emit(list(variables_by_key(session.client, deployment_id).values()), output, columns=COLUMNS)


@variable.command("set")
@deployment_id_argument()
@click.argument("key", required=False)
@click.argument("value", required=False)
@click.option("--secret", is_flag=True, help="Store it as a secret: write-only, never shown again.")
@click.option(
    "--from-env-file",
    "env_file",
    metavar="FILE",
    help="Read the value of KEY from this .env file; without KEY, set every variable in it.",
)
@output_option()
@click.pass_obj
def variable_set(
    session, deployment_id: int, key: str | None, value: str | None, secret: bool, env_file: str | None, output: str
) -> None:
    """Add or change variables, leaving every other one as it is.

    \b
    aerodrome deployment variable set 12 GREETING hello
    aerodrome deployment variable set 12 API_KEY --secret --from-env-file .env
    aerodrome deployment variable set 12 --from-env-file .env --secret
    echo "$TOKEN" | aerodrome deployment variable set 12 API_TOKEN --secret

    Without VALUE or a file, the value is read from standard input, or asked for (hidden for a secret).
    """
    wanted: dict[str, str] = {}
    if env_file:
        if value is not None:
            raise CLIError("Give VALUE or --from-env-file, not both.")
        found = parse_env_file(env_file)
        if key:
            if key not in found:
                raise CLIError(f"{env_file} has no {key} (it has: {', '.join(found) or 'nothing'}).")
            wanted = {key: found[key]}
        else:
            if not found:
                raise CLIError(f"{env_file} holds no variables.")
            wanted = found
    elif not key:
        raise CLIError("Name the variable (KEY), or give --from-env-file FILE.")
    elif value is not None:
        wanted = {key: value}
    elif not sys.stdin.isatty():
        wanted = {key: sys.stdin.read().removesuffix("\n")}
    else:
        wanted = {key: click.prompt(f"Value of {key}", hide_input=secret, err=True)}
    client = session.client
    existing = variables_by_key(client, deployment_id)
    results = []
    for name, text in wanted.items():
        outcome = set_one(client, deployment_id, existing, name, text, secret)
        is_secret = secret or bool(existing.get(name, {}).get("is_secret"))
        results.append({"key": name, "outcome": outcome, "is_secret": is_secret})
    lines = [f"{r['outcome'].capitalize()} {'secret ' if r['is_secret'] else ''}{r['key']}." for r in results]
    report(results, output, "\n".join(lines))


@variable.command("delete")
@deployment_id_argument()
@click.argument("key")
@output_option()
@click.pass_obj
def variable_delete(session, deployment_id: int, key: str, output: str) -> None:
    """Remove one variable."""
    get_deployment(session.client, deployment_id)  # a missing Deployment says so, before the key
    with not_found_as(f"Deployment {deployment_id} has no variable {key}."):
        session.client.delete(f"deployments/{deployment_id}/variables/{key}/")
    report({"key": key, "outcome": "removed"}, output, f"Removed {key}.")
