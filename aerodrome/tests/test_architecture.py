"""The apps depend one way: aerodrome <- accounts <- workspaces <- deployments <- monitoring.

A module may import its own app and the apps below it, never one above, not even inside a function (a lazy
import is a dependency all the same, and an import cycle waiting to happen). Only the project's roots assemble
the apps: the URL roots and the demo seeding. Tests are not checked: they exercise the assembled project.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["aerodrome", "accounts", "workspaces", "deployments", "monitoring"]  # lowest first
ROOTS = {"aerodrome/urls.py", "aerodrome/api/urls.py", "aerodrome/management/commands/seed_demo.py"}


def imports_of(path: Path, package: list[str]) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, at any depth, with relative imports resolved against
    `package` (the dotted package the file belongs to)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            found.append((node.lineno, ".".join([*base, *([node.module] if node.module else [])])))
    return found


def upward_imports(root: Path) -> list[str]:
    """Every import of an app from a module of a lower app, as `path:line imports module (app is above app)`."""
    rank = {app: i for i, app in enumerate(LAYERS)}
    problems = []
    for app in LAYERS:
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root)
            if "tests" in relative.parts or relative.as_posix() in ROOTS:
                continue
            for line, module in imports_of(path, list(relative.parts[:-1])):
                target = module.split(".")[0]
                if rank.get(target, -1) > rank[app]:
                    problems.append(f"{relative}:{line} imports {module} ({target} is above {app})")
    return problems


def test_lower_apps_never_import_upper_ones():
    assert sum(1 for app in LAYERS for _ in (ROOT / app).rglob("*.py")) > 100  # the walk really reads the apps
    problems = upward_imports(ROOT)
    assert not problems, "Imports against the layering (" + " <- ".join(LAYERS) + "):\n" + "\n".join(problems)


def test_the_check_sees_imports_inside_functions_and_relative_ones(tmp_path):
    module = tmp_path / "accounts" / "sub" / "helpers.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from . import local\n"
        "from .. import models\n"
        "import deployments.models\n"
        "def later():\n"
        "    from workspaces.models import Workspace\n"
        "    return Workspace\n"
    )
    for app in LAYERS:
        (tmp_path / app).mkdir(exist_ok=True)
    assert upward_imports(tmp_path) == [
        "accounts/sub/helpers.py:3 imports deployments.models (deployments is above accounts)",
        "accounts/sub/helpers.py:5 imports workspaces.models (workspaces is above accounts)",
    ]
    assert imports_of(module, ["accounts", "sub"])[:2] == [(1, "accounts.sub"), (2, "accounts")]
