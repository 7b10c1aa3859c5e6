"""Roles and tenancy reach the CLI as one readable line: too low a role is a 403, another organisation's
Deployment a 404, exactly like a Deployment that does not exist. (One test per persona: each command is a
subprocess, and the world is built once.)"""

from deployments.models import Deployment, EnvironmentVariable, WorkerQueue

from .helpers import as_token

MEMBER_REFUSED = [
    (["deployment", "update", "{id}", "--description", "mine now"], "update"),
    (["deployment", "variable", "set", "{id}", "SNEAKY", "value"], "manage variables"),
    (["deployment", "queue", "add", "{id}", "extra"], "update"),
    (["deployment", "delete", "{id}", "--yes"], "delete"),
]
OUTSIDER_NOT_FOUND = [
    ["deployment", "inspect", "{id}"],
    ["deployment", "update", "{id}", "--description", "x"],
    ["deployment", "delete", "{id}", "--yes"],
    ["deployment", "variable", "list", "{id}"],
    ["deployment", "variable", "set", "{id}", "KEY", "value"],
    ["deployment", "queue", "list", "{id}"],
    ["logs", "{id}"],
]


def test_a_member_token_may_read_but_every_change_is_a_403_in_one_line(aerodrome, world):
    ci = as_token(world, world.member_token)
    for command, permission in MEMBER_REFUSED:
        result = aerodrome(*[part.format(id=world.deployment_id) for part in command], env=ci)
        assert result.returncode == 1, command
        assert result.error_lines == [f"Error: Your role does not allow deployment: {permission}. (HTTP 403)"]

    assert aerodrome("deployment", "inspect", world.deployment_id, env=ci).returncode == 0
    deployment = Deployment.objects.get(pk=world.deployment_id)
    assert (deployment.description, deployment.status) != ("mine now", Deployment.Status.DELETING)
    assert not EnvironmentVariable.objects.filter(key="SNEAKY").exists()
    assert not WorkerQueue.objects.filter(name="extra").exists()


def test_another_organisations_deployment_is_not_found_whatever_the_command(aerodrome, world):
    ci = as_token(world, world.owner_token)
    for command in OUTSIDER_NOT_FOUND:
        result = aerodrome(*[part.format(id=world.other_deployment_id) for part in command], env=ci)

        assert result.returncode == 1, command
        assert result.error_lines == [
            f"Error: There is no Deployment {world.other_deployment_id} that this token can see. (HTTP 404)"
        ], command
    other = Deployment.objects.get(pk=world.other_deployment_id)
    assert (other.description, other.status) != ("x", Deployment.Status.DELETING)
    assert not EnvironmentVariable.objects.filter(deployment=other).exists()
