"""`aerodrome deploy` of images (resolved by the real distribution registry) with --wait following the rollout as
provisioning reports it; refusals and permissions as one line and a non-zero exit."""

import json
import subprocess
import time

from accounts.roles import WorkspaceRole
from accounts.tokens import services as tokens
from deployments.deploys import services as deploys
from deployments.deploys.models import Deploy
from deployments.deploys.tests import conftest as deploys_fixtures
from deployments.models import Deployment
from deployments.tests.factories import make_deployment

from .helpers import as_token

# The real distribution registry (session-wide) and the setting that lets the server speak plain HTTP to it: the
# deploys app's own fixtures.
docker_registry = deploys_fixtures.docker_registry
registry = deploys_fixtures.registry


def start(aerodrome, world, *args) -> subprocess.Popen:
    return aerodrome.start(*args, env=as_token(world, world.author_token))


def rolling_out(deployment_id: int) -> Deploy:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        deploy = Deploy.objects.filter(deployment_id=deployment_id, status=Deploy.Status.DEPLOYING).first()
        if deploy:
            return deploy
        time.sleep(0.1)
    raise AssertionError("The deploy never started rolling out")


def test_an_image_deploy_waits_for_a_healthy_rollout(aerodrome, world, registry):
    digest = registry.push("acme/etl", "2.4.1", content="v2.4.1")
    process = start(
        aerodrome,
        world,
        "deploy",
        world.deployment_id,
        "--image",
        f"{registry.host}/acme/etl:2.4.1",
        "--wait",
        "-o",
        "json",
    )

    deploy = rolling_out(world.deployment_id)
    assert process.poll() is None  # still waiting
    deploys.observed(world.deployment_id, Deployment.Status.HEALTHY, "", None)  # provisioning saw it healthy

    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    answer = json.loads(stdout)
    assert (answer["id"], answer["kind"], answer["status"], answer["image_digest"]) == (
        deploy.pk,
        "IMAGE",
        "DEPLOYED",
        digest,
    )
    assert f"Deploy {deploy.pk}: DEPLOYED." in stderr
    assert Deployment.objects.get(pk=world.deployment_id).image_digest == digest


def test_a_failed_rollout_exits_non_zero_with_the_reason_in_one_line(aerodrome, world, registry):
    registry.push("acme/etl", "broken", content="broken")
    process = start(
        aerodrome, world, "deploy", world.deployment_id, "--image", f"{registry.host}/acme/etl:broken", "--wait"
    )

    deploy = rolling_out(world.deployment_id)
    deploys.observed(
        world.deployment_id, Deployment.Status.FAILED, "The scheduler cannot start: CrashLoopBackOff", None
    )

    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 1
    assert stderr.splitlines()[-1] == (
        f"Error: Deploy {deploy.pk} to Deployment {world.deployment_id} failed: "
        "The scheduler cannot start: CrashLoopBackOff"
    )
    assert "FAILED" in stdout  # the deploy's row, for the CI log


def test_a_rollout_that_outlasts_the_timeout_exits_3(aerodrome, world, registry):
    registry.push("acme/etl", "slow", content="slow")

    result = aerodrome(
        "deploy",
        world.deployment_id,
        "--image",
        f"{registry.host}/acme/etl:slow",
        "--wait",
        "--timeout",
        "1",
        env=as_token(world, world.author_token),
    )

    assert result.returncode == 3
    assert result.error_lines[-1].startswith("Error: Deploy ") and "is still DEPLOYING after 1 s" in result.stderr


def test_an_unknown_tag_is_refused_and_nothing_is_deployed(aerodrome, world, registry):
    result = aerodrome(
        "deploy",
        world.deployment_id,
        "--image",
        f"{registry.host}/acme/etl:nope",
        env=as_token(world, world.author_token),
    )

    assert result.returncode == 1
    [line] = result.error_lines
    assert line.startswith("Error: image: ") and "nope" in line and line.endswith("(HTTP 400)")
    assert not Deploy.objects.exists()


def test_a_member_token_cannot_deploy_and_another_tenants_deployment_is_not_found(aerodrome, world, tmp_path):
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "etl.py").write_text("# etl\n")

    member = aerodrome("deploy", world.deployment_id, "--dags", "dags", env=as_token(world, world.member_token))
    outsider = aerodrome("deploy", world.other_deployment_id, "--dags", "dags", env=as_token(world, world.owner_token))
    rollback = aerodrome("deploy", "rollback", world.other_deployment_id, 1, env=as_token(world, world.owner_token))

    assert member.returncode == 1
    assert member.error_lines[-1] == "Error: Your role does not allow deployment: deploy. (HTTP 403)"
    assert outsider.returncode == 1
    assert outsider.error_lines == [
        f"Error: There is no Deployment {world.other_deployment_id} that this token can see. (HTTP 404)"
    ]
    assert rollback.error_lines == [
        f"Error: Deployment {world.other_deployment_id} has no deploy 1 that this token can see. (HTTP 404)"
    ]
    assert not Deploy.objects.exists()


def test_nothing_to_deploy_says_what_to_give(aerodrome, world):
    result = aerodrome("deploy", world.deployment_id, env=as_token(world, world.author_token))

    assert result.returncode == 1
    assert result.error_lines == ["Error: Say what to deploy: --dags PATH, --image REF, or both."]


def test_a_deployment_token_logs_in_and_deploys_to_its_own_deployment_only(aerodrome, world, bundle_storage, tmp_path):
    owner = world.tenancy.owner
    deployment = Deployment.objects.get(pk=world.deployment_id)
    sibling = make_deployment(actor=owner, workspace=world.tenancy.workspace, name="Sibling")
    _, token = tokens.token_create(actor=owner, deployment=deployment, role=WorkspaceRole.AUTHOR, name="Orders CI")
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "orders.py").write_text("# orders\n")

    login = aerodrome("login", world.url, "--token-stdin", input=token + "\n")
    deployed = aerodrome("deploy", world.deployment_id, "--dags", "dags", "--wait", "-o", "json")
    elsewhere = aerodrome("deploy", sibling.pk, "--dags", "dags")

    assert login.returncode == 0, login.stderr
    assert deployed.returncode == 0, deployed.stderr
    assert json.loads(deployed.stdout)["deployed_by"] == "Orders CI"
    assert (
        elsewhere.error_lines[-1] == f"Error: There is no Deployment {sibling.pk} that this token can see. (HTTP 404)"
    )
    assert not Deploy.objects.filter(deployment=sibling).exists()
