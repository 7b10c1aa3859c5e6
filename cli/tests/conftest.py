"""Fixtures for the CLI's tests: the installed `aerodrome` command, run as a subprocess (as CI runs it) against
the live test server, with a configuration file of its own per test."""

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import BindingFactory, MembershipFactory, UserFactory
from accounts.tokens import services as tokens
from deployments.tests.conftest import fake_cluster, kube  # noqa: F401  (the fake cluster, for logs)
from deployments.tests.factories import make_deployment

EXECUTABLE = Path(sys.executable).parent / "aerodrome"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


@dataclass
class Runner:
    env: dict = field(default_factory=dict)
    cwd: Path | None = None

    def __call__(self, *args, input: str | None = None, env: dict | None = None, timeout: float = 120) -> Result:
        completed = subprocess.run(
            [str(EXECUTABLE), *map(str, args)],
            input=input,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            cwd=self.cwd,
            timeout=timeout,
        )
        return Result(completed.returncode, completed.stdout, completed.stderr)

    def start(self, *args, env: dict | None = None) -> subprocess.Popen:
        """The command running in the background (--wait, --follow), its output piped as text."""
        return subprocess.Popen(
            [str(EXECUTABLE), *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**self.env, **(env or {})},
            cwd=self.cwd,
        )

    @property
    def config_path(self) -> Path:
        return Path(self.env["AERODROME_CONFIG"])


@pytest.fixture
def aerodrome(tmp_path) -> Runner:
    """Runs the installed `aerodrome` console script (make install-dev installs ./cli into the venv)."""
    assert EXECUTABLE.exists(), f"{EXECUTABLE} is missing: `make install-dev` installs the CLI (-e ./cli)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AERODROME_")}
    env.update(
        {
            "HOME": str(tmp_path),
            "AERODROME_CONFIG": str(tmp_path / "home" / ".config" / "aerodrome" / "config.yaml"),
            "AERODROME_POLL_SECONDS": "0.2",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return Runner(env=env, cwd=tmp_path)


@dataclass
class World:
    url: str
    workspace_id: int
    deployment_id: int
    other_deployment_id: int  # another organisation's
    owner_token: str  # organisation OWNER
    author_token: str  # workspace AUTHOR: may deploy, not change the Deployment
    member_token: str  # workspace MEMBER: read-only
    outsider_token: str  # owner of another organisation
    tenancy: object


@pytest.fixture
def world(transactional_db, tenancy, live_server) -> World:
    owner = tenancy.owner
    deployment = make_deployment(actor=owner, workspace=tenancy.workspace, name="Sales pipelines")
    other = make_deployment(actor=tenancy.outsider, workspace=tenancy.other_workspace, name="Globex secrets")
    author = UserFactory(email="author@acme.test")
    MembershipFactory(organization=tenancy.org, user=author, role=OrgRole.MEMBER)
    BindingFactory(workspace=tenancy.workspace, user=author, role=WorkspaceRole.AUTHOR)
    _, owner_token = tokens.token_create(actor=owner, organization=tenancy.org, role=OrgRole.OWNER, name="CI owner")
    _, author_token = tokens.token_create(
        actor=owner, workspace=tenancy.workspace, role=WorkspaceRole.AUTHOR, name="CI deploys"
    )
    _, member_token = tokens.token_create(
        actor=owner, workspace=tenancy.workspace, role=WorkspaceRole.MEMBER, name="Reader"
    )
    _, outsider_token = tokens.token_create(
        actor=tenancy.outsider, organization=tenancy.other_org, role=OrgRole.OWNER, name="Globex"
    )
    return World(
        url=live_server.url,
        workspace_id=tenancy.workspace.pk,
        deployment_id=deployment.pk,
        other_deployment_id=other.pk,
        owner_token=owner_token,
        author_token=author_token,
        member_token=member_token,
        outsider_token=outsider_token,
        tenancy=tenancy,
    )


@pytest.fixture
def bundle_storage(settings, tmp_path):
    """DAG archives the live server stores, in a folder of the test's own."""
    storages = dict(settings.STORAGES)
    storages["dag_bundles"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "dag-bundles")},
    }
    settings.STORAGES = storages
    return tmp_path / "dag-bundles"
