"""`aerodrome deployment variable ...`: one key at a time, so nobody's secret is wiped."""

import json

import pytest
from aerodrome_cli.commands.variables import parse_env_file
from aerodrome_cli.errors import CLIError

from deployments import services
from deployments.models import EnvironmentVariable

from .helpers import as_token


def stored(deployment_id: int) -> dict[str, tuple[str, bool]]:
    return {v.key: (v.value, v.is_secret) for v in EnvironmentVariable.objects.filter(deployment_id=deployment_id)}


@pytest.fixture
def variables(world):
    owner = world.tenancy.owner
    deployment = services.Deployment.objects.get(pk=world.deployment_id)
    services.variable_set(actor=owner, deployment=deployment, key="REGION", value="eu-west-1")
    services.variable_set(actor=owner, deployment=deployment, key="DB_PASSWORD", value="hunter2", is_secret=True)
    return deployment


def test_a_secret_set_from_an_env_file_leaves_every_other_variable_alone(aerodrome, world, variables, tmp_path):
    (tmp_path / ".env").write_text('# CI secrets\nexport API_KEY="k-123 456"\nOTHER=not-this-one\n')
    ci = as_token(world, world.owner_token)

    result = aerodrome(
        "deployment", "variable", "set", world.deployment_id, "API_KEY", "--secret", "--from-env-file", ".env", env=ci
    )

    assert result.returncode == 0, result.stderr
    assert result.error_lines == ["Added secret API_KEY."]
    assert stored(world.deployment_id) == {
        "REGION": ("eu-west-1", False),
        "DB_PASSWORD": ("hunter2", True),
        "API_KEY": ("k-123 456", True),
    }
    listed = json.loads(aerodrome("deployment", "variable", "list", world.deployment_id, "-o", "json", env=ci).stdout)
    assert {v["key"]: v["value"] for v in listed} == {"API_KEY": None, "DB_PASSWORD": None, "REGION": "eu-west-1"}
    table = aerodrome("deployment", "variable", "list", world.deployment_id, env=ci).stdout
    assert "hunter2" not in table and "k-123" not in table and "(secret)" in table


def test_a_whole_env_file_is_set_key_by_key(aerodrome, world, variables, tmp_path):
    (tmp_path / "prod.env").write_text("REGION=us-east-1\nDB_PASSWORD=rotated\nNEW_ONE='a # not a comment'\n")
    ci = as_token(world, world.owner_token)

    result = aerodrome(
        "deployment", "variable", "set", world.deployment_id, "--from-env-file", "prod.env", "-o", "json", env=ci
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"key": "REGION", "outcome": "changed", "is_secret": False},
        {"key": "DB_PASSWORD", "outcome": "changed", "is_secret": True},
        {"key": "NEW_ONE", "outcome": "added", "is_secret": False},
    ]
    # The secret stays a secret although --secret was not given.
    assert stored(world.deployment_id) == {
        "REGION": ("us-east-1", False),
        "DB_PASSWORD": ("rotated", True),
        "NEW_ONE": ("a # not a comment", False),
    }


def test_value_from_an_argument_or_standard_input_and_delete(aerodrome, world, variables):
    ci = as_token(world, world.owner_token)

    assert aerodrome("deployment", "variable", "set", world.deployment_id, "GREETING", "hello", env=ci).returncode == 0
    piped = aerodrome(
        "deployment", "variable", "set", world.deployment_id, "TOKEN", "--secret", input="t0k3n\n", env=ci
    )
    assert piped.returncode == 0, piped.stderr
    same = aerodrome("deployment", "variable", "set", world.deployment_id, "GREETING", "hello", env=ci)
    assert same.error_lines == ["Unchanged GREETING."]
    deleted = aerodrome("deployment", "variable", "delete", world.deployment_id, "REGION", env=ci)
    assert deleted.returncode == 0, deleted.stderr
    assert stored(world.deployment_id) == {
        "DB_PASSWORD": ("hunter2", True),
        "GREETING": ("hello", False),
        "TOKEN": ("t0k3n", True),
    }
    missing = aerodrome("deployment", "variable", "delete", world.deployment_id, "REGION", env=ci)
    assert missing.error_lines == [f"Error: Deployment {world.deployment_id} has no variable REGION. (HTTP 404)"]


def test_a_key_missing_from_the_env_file_is_an_error_naming_what_is_there(aerodrome, world, tmp_path):
    (tmp_path / ".env").write_text("A=1\nB=2\n")

    result = aerodrome(
        "deployment",
        "variable",
        "set",
        world.deployment_id,
        "C",
        "--from-env-file",
        ".env",
        env=as_token(world, world.owner_token),
    )

    assert result.returncode == 1
    assert result.error_lines == ["Error: .env has no C (it has: A, B)."]


def test_env_file_syntax(tmp_path):
    path = tmp_path / ".env"
    path.write_text(
        "# comment\n"
        "\n"
        "PLAIN=value  # trailing comment\n"
        "export EXPORTED=yes\n"
        "SINGLE='literal \\n $HOME'\n"
        'DOUBLE="tab\\there \\"quoted\\""\n'
        'MULTI="line one\n'
        'line two"\n'
        "EMPTY=\n"
        "SPACED = padded \n"
        "URL=https://x.test/a#b\n"
    )

    assert parse_env_file(str(path)) == {
        "PLAIN": "value",
        "EXPORTED": "yes",
        "SINGLE": "literal \\n $HOME",
        "DOUBLE": 'tab\there "quoted"',
        "MULTI": "line one\nline two",
        "EMPTY": "",
        "SPACED": "padded",
        "URL": "https://x.test/a#b",
    }


def test_env_file_errors_name_the_line(tmp_path):
    path = tmp_path / ".env"
    path.write_text("GOOD=1\nthis is not an assignment\n")
    with pytest.raises(CLIError, match=r"line 2: expected KEY=VALUE"):
        parse_env_file(str(path))
    path.write_text('OPEN="never closed\n')
    with pytest.raises(CLIError, match=r"line 1: the \" quote of OPEN is never closed"):
        parse_env_file(str(path))
