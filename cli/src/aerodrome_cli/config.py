"""Contexts: one server address and API token each, kept in a YAML file only its owner can read (mode 0600).

The file is `$AERODROME_CONFIG`, else `$XDG_CONFIG_HOME/aerodrome/config.yaml` (`~/.config/aerodrome/config.yaml`):

    current-context: aerodrome.example.com
    contexts:
      aerodrome.example.com: {url: https://aerodrome.example.com, token: aero_...}

Which server and token a command uses, first match wins: `AERODROME_URL` with `AERODROME_TOKEN` (CI, no file
needed); the context named by `--context` or `AERODROME_CONTEXT`, else the current one, whose token
`AERODROME_TOKEN` replaces when set.
"""

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from aerodrome_cli.errors import CLIError


@dataclass(frozen=True)
class Context:
    name: str
    url: str
    token: str


def config_path() -> Path:
    if explicit := os.environ.get("AERODROME_CONFIG"):
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "aerodrome" / "config.yaml"


def normalize_url(url: str) -> str:
    """`https://host/` or `host:8000` as `scheme://host[:port]` (the API lives under /api/v1/ of it)."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = f"https://{url}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CLIError(f"{url!r} is not a server address; give one like https://aerodrome.example.com.")
    path = parts.path.removesuffix("/api/v1").rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}"


def default_context_name(url: str) -> str:
    return urlsplit(url).netloc


def load() -> dict:
    path = config_path()
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {"current-context": None, "contexts": {}}
    except OSError as error:
        raise CLIError(f"Cannot read {path}: {error.strerror}.") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        raise CLIError(f"{path} is not valid YAML; fix or delete it, then log in again.") from None
    if not isinstance(data, dict) or not isinstance(data.get("contexts", {}), dict):
        raise CLIError(f"{path} is not an aerodrome configuration; fix or delete it, then log in again.")
    data.setdefault("contexts", {})
    data.setdefault("current-context", None)
    return data


def save(data: dict) -> Path:
    """Write the file atomically, readable by its owner only (0600, its folder 0700), whatever the umask."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".tmp")  # mkstemp: mode 0600
    try:
        with os.fdopen(handle, "w") as stream:
            yaml.safe_dump(data, stream, sort_keys=False, default_flow_style=False)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def add_context(*, name: str, url: str, token: str, make_current: bool = True) -> Path:
    data = load()
    data["contexts"][name] = {"url": url, "token": token}
    if make_current or not data.get("current-context"):
        data["current-context"] = name
    return save(data)


def resolve(context_name: str | None = None) -> Context:
    """The server and token this command talks to (see the module's docstring)."""
    env_url, env_token = os.environ.get("AERODROME_URL"), os.environ.get("AERODROME_TOKEN")
    if env_url and env_token and not context_name:
        url = normalize_url(env_url)
        return Context(name=default_context_name(url), url=url, token=env_token.strip())
    data = load()
    name = context_name or os.environ.get("AERODROME_CONTEXT") or data.get("current-context")
    if not name:
        raise CLIError("Not logged in: run `aerodrome login URL` (or set AERODROME_URL and AERODROME_TOKEN).")
    entry = data["contexts"].get(name)
    if not isinstance(entry, dict) or not entry.get("url"):
        known = ", ".join(sorted(data["contexts"])) or "none"
        raise CLIError(f"There is no context named {name!r} (contexts: {known}); log in with `aerodrome login URL`.")
    token = (env_token or entry.get("token") or "").strip()
    if not token:
        raise CLIError(f"Context {name!r} has no token: run `aerodrome login {entry['url']}` again.")
    return Context(name=name, url=entry["url"], token=token)
