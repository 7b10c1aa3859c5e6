"""Roles and tenancy reach the CLI as one readable line: too low a role is a 403, another organisation's
Deployment a 404, exactly like a Deployment that does not exist."""

import pytest

from deployments.models import Deployment, EnvironmentVariable

from .helpers import as_token


@pytest.mark.parametrize(
    ("command", "permission"),
    [
        (["deployment", "update", "{id}", "--description", "mine now"], "update"),
        (["deployment", "variable", "set", "{id}", "SNEAKY", "value"], "manage variables"),
        (["deployment", "queue", "add", "{id}", "extra"], "update"),
        (["deployment", "delete", "{id}", "--yes"], "delete"),
    ],
    ids=["update", "variable-set", "queue-add", "delete"],
)
def test_a_member_token_may_read_but_not_change(aerodrome, world, command, permission):
    ci = as_token(world, world.member_token)

    result = aerodrome(*[part.format(id=world.deployment_id) for part in command], env=ci)

    assert result.returncode == 1
    assert result.error_lines == [f"Error: Your role does not allow deployment: {permission}. (HTTP 403)"]
    assert aerodrome("deployment", "inspect", world.deployment_id, env=ci).returncode == 0
    deployment = Deployment.objects.get(pk=world.deployment_id)
    assert (deployment.description, deployment.status) != ("mine now", Deployment.Status.DELETING)
    assert not EnvironmentVariable.objects.filter(key="SNEAKY").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["deployment", "inspect", "{id}"],
        ["deployment", "update", "{id}", "--description", "x"],
        ["deployment", "variable", "list", "{id}"],
        ["deployment", "variable", "set", "{id}", "KEY", "value"],
        ["deployment", "queue", "list", "{id}"],
        ["deployment", "delete", "{id}", "--yes"],
    ],
    ids=["inspect", "update", "variable-list", "variable-set", "queue-list", "delete"],
)
def test_another_organisations_deployment_is_not_found(aerodrome, world, command):
    result = aerodrome(
        *[p.format(id=world.other_deployment_id) for p in command], env=as_token(world, world.owner_token)
    )

    assert result.returncode == 1
    assert result.error_lines == [
        f"Error: There is no Deployment {world.other_deployment_id} that this token can see. (HTTP 404)"
    ]
    assert Deployment.objects.get(pk=world.other_deployment_id).status != Deployment.Status.DELETING
