"""`aerodrome login`, contexts and the configuration file."""

import json
import stat

import yaml

from .helpers import as_token


def test_login_with_the_token_from_the_environment_saves_a_context_only_its_owner_can_read(aerodrome, world):
    result = aerodrome("login", world.url, env={"AERODROME_TOKEN": world.owner_token})

    assert result.returncode == 0, result.stderr
    assert "Logged in" in result.stderr and "acme" in result.stderr
    assert stat.S_IMODE(aerodrome.config_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(aerodrome.config_path.parent.stat().st_mode) == 0o700
    saved = yaml.safe_load(aerodrome.config_path.read_text())
    [name] = saved["contexts"]
    assert saved["current-context"] == name
    assert saved["contexts"][name] == {"url": world.url, "token": world.owner_token}
    # Later commands need no token in the environment.
    listed = aerodrome("deployment", "list", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    assert [d["name"] for d in json.loads(listed.stdout)] == ["Sales pipelines"]


def test_login_asks_for_the_token_when_the_environment_has_none(aerodrome, world):
    result = aerodrome("login", world.url, "--name", "acme", input=world.member_token + "\n")

    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(aerodrome.config_path.read_text())["contexts"]["acme"]["token"] == world.member_token


def test_a_bad_token_is_refused_in_one_line_and_nothing_is_saved(aerodrome, world):
    result = aerodrome("login", world.url, env={"AERODROME_TOKEN": "aero_nope1234_" + "x" * 43})

    assert result.returncode == 1
    assert result.error_lines == ["Error: Invalid API token. Check the token (AERODROME_TOKEN). (HTTP 401)"]
    assert not aerodrome.config_path.exists()


def test_an_unreachable_server_is_one_line(aerodrome):
    result = aerodrome("login", "http://127.0.0.1:9", env={"AERODROME_TOKEN": "aero_x"})

    assert result.returncode == 1
    assert result.error_lines == ["Error: Cannot reach http://127.0.0.1:9: is the address right and the server up?"]


def test_contexts_switch_between_servers(aerodrome, world):
    assert aerodrome("login", world.url, "--name", "acme", env={"AERODROME_TOKEN": world.owner_token}).returncode == 0
    globex = aerodrome("login", world.url, "--name", "globex", env={"AERODROME_TOKEN": world.outsider_token})
    assert globex.returncode == 0

    def names(*args):
        result = aerodrome(*args, "deployment", "list", "-o", "json")
        assert result.returncode == 0, result.stderr
        return [d["name"] for d in json.loads(result.stdout)]

    assert names() == ["Globex secrets"]  # the last login is current
    assert names("--context", "acme") == ["Sales pipelines"]
    assert aerodrome("context", "use", "acme").returncode == 0
    assert names() == ["Sales pipelines"]
    contexts = json.loads(aerodrome("context", "list", "-o", "json").stdout)
    assert contexts == [
        {"name": "acme", "url": world.url, "current": True},
        {"name": "globex", "url": world.url, "current": False},
    ]
    assert world.owner_token not in aerodrome("context", "list").stdout  # tokens are never printed

    unknown = aerodrome("--context", "nope", "deployment", "list")
    assert unknown.returncode == 1
    assert unknown.error_lines == [
        "Error: There is no context named 'nope' (contexts: acme, globex); log in with `aerodrome login URL`."
    ]


def test_ci_needs_no_login_only_the_url_and_token(aerodrome, world):
    result = aerodrome("deployment", "list", "-o", "json", env=as_token(world, world.member_token))

    assert result.returncode == 0, result.stderr
    assert [d["id"] for d in json.loads(result.stdout)] == [world.deployment_id]
    assert not aerodrome.config_path.exists()


def test_without_a_login_the_cli_says_how_to_log_in(aerodrome):
    result = aerodrome("deployment", "list")

    assert result.returncode == 1
    assert result.error_lines == [
        "Error: Not logged in: run `aerodrome login URL` (or set AERODROME_URL and AERODROME_TOKEN)."
    ]


def test_logout_forgets_the_token_and_moves_to_another_context(aerodrome, world):
    aerodrome("login", world.url, "--name", "acme", env={"AERODROME_TOKEN": world.owner_token})
    aerodrome("login", world.url, "--name", "globex", env={"AERODROME_TOKEN": world.outsider_token})

    result = aerodrome("logout", "-o", "json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"context": "globex", "outcome": "removed", "current": "acme"}
    saved = yaml.safe_load(aerodrome.config_path.read_text())
    assert list(saved["contexts"]) == ["acme"] and world.outsider_token not in aerodrome.config_path.read_text()
    assert stat.S_IMODE(aerodrome.config_path.stat().st_mode) == 0o600
