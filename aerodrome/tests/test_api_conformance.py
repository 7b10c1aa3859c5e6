"""The API keeps the contract its OpenAPI schema states. Schemathesis reads the schema from the live test server,
generates requests for every operation (bodies, query strings and content types the schema allows) and sends
them with each persona's API token — an organisation owner, a read-only workspace member, an outsider — and
without one. Every answer must be documented: its status, content type, headers and body, and never a 5xx.

Path parameters name the world's real objects, so owners reach the success answers; the operations that delete
run last, so they do not take the objects away from the others. Bounded: a few examples per operation."""

from dataclasses import dataclass

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.invitations import services as invitations
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import MembershipFactory, TeamFactory, TeamMembershipFactory, UserFactory
from accounts.tokens import services as tokens
from deployments import services
from deployments.models import Deploy
from deployments.tests.factories import make_cluster, make_deployment
from monitoring.alerts.channels import services as channels
from workspaces.models import WorkspaceRoleBinding

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = {"owner": 10, "member": 4, "outsider": 3, "anonymous": 2}


@schemathesis.deserializer("text/yaml")
def _yaml_stream(ctx, response):
    """The manifests are a multi-document YAML stream, which the schema documents as a string: check it as one."""
    return response.text


@dataclass
class World:
    parameters: dict[tuple[str, str], object]  # (path prefix, parameter) -> value
    tokens: dict[str, str | None]


@pytest.fixture
def world(transactional_db, tenancy, settings):
    settings.API_RATE_LIMITS = {"client": "100000/minute", "anonymous": "100000/minute"}
    settings.KUBE_RETRIES, settings.KUBE_REQUEST_TIMEOUT = 0, 1
    settings.NOTIFICATION_TIMEOUT_SECONDS = 1  # test-connection: an unreachable cluster, at once
    owner = tenancy.owner
    cluster = make_cluster(organization=tenancy.org, name="acme-prod", prometheus_url="")
    deployment = make_deployment(actor=owner, workspace=tenancy.workspace, cluster=cluster)
    services.queue_create(actor=owner, deployment=deployment, name="etl")
    services.variable_set(actor=owner, deployment=deployment, key="GREETING", value="hello")
    settings.DEPLOY_REGISTRY_TIMEOUT = 1  # generated image names point at registries that do not answer
    deploy = Deploy.objects.create(  # a deployed image deploy: its diff to read, a rollback to make
        deployment=deployment,
        kind=Deploy.Kind.IMAGE,
        image="registry.example.test/acme/airflow:v1",
        image_repository="registry.example.test/acme/airflow",
        image_tag="v1",
        image_digest="sha256:" + "a" * 64,
        result_image="registry.example.test/acme/airflow@sha256:" + "a" * 64,
        status=Deploy.Status.DEPLOYED,
        deployed_by_label="owner@acme.test",
    )
    team = TeamFactory(organization=tenancy.org, name="Platform")
    team_membership = TeamMembershipFactory(team=team, user=tenancy.member)
    spare, _ = tokens.token_create(actor=owner, organization=tenancy.org, role=OrgRole.MEMBER, name="Spare")
    _, owner_token = tokens.token_create(actor=owner, organization=tenancy.org, role=OrgRole.OWNER, name="Owner")
    _, member_token = tokens.token_create(
        actor=owner, workspace=tenancy.workspace, role=WorkspaceRole.MEMBER, name="Reader"
    )
    _, outsider_token = tokens.token_create(
        actor=tenancy.outsider, organization=tenancy.other_org, role=OrgRole.OWNER, name="Globex"
    )
    membership = MembershipFactory(organization=tenancy.org, user=UserFactory(email="leaver@acme.test"))
    [invited] = invitations.invitations_create(actor=owner, organization=tenancy.org, emails=["guest@acme.test"])
    binding = WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, user=tenancy.member)
    channel = channels.channel_create(
        actor=owner,
        workspace=tenancy.workspace,
        name="Ops hook",
        kind="WEBHOOK",
        url="http://127.0.0.1:9/hook",
        signing_secret="conformance-signing-secret",
    )  # fmt: skip  (port 9, discard: the test notification fails at once, as a documented 200)
    return World(
        parameters={
            ("", "slug"): "acme",
            ("", "organization_slug"): "acme",
            ("", "deployment_pk"): deployment.pk,
            ("", "workspace_pk"): tenancy.workspace.pk,
            ("", "team_pk"): team.pk,
            ("", "name"): "etl",
            ("", "key"): "GREETING",
            ("/api/v1/clusters/", "id"): cluster.pk,
            ("/api/v1/deployments/", "id"): deployment.pk,
            ("/api/v1/deployments/{deployment_pk}/deploys/", "id"): deploy.pk,
            ("/api/v1/workspaces/{workspace_pk}/bindings/", "id"): binding.pk,
            ("/api/v1/workspaces/{workspace_pk}/channels/", "id"): channel.pk,
            ("/api/v1/workspaces/", "id"): tenancy.workspace.pk,
            ("/api/v1/tokens/", "id"): spare.pk,
            ("/api/v1/organizations/{organization_slug}/members/", "id"): membership.pk,
            ("/api/v1/organizations/{organization_slug}/invitations/", "id"): invited.invitation.pk,
            ("/api/v1/organizations/{organization_slug}/teams/{team_pk}/members/", "id"): team_membership.pk,
            ("/api/v1/organizations/{organization_slug}/teams/", "id"): team.pk,
        },
        tokens={"owner": owner_token, "member": member_token, "outsider": outsider_token, "anonymous": None},
    )


def real_parameters(world: World, path: str, names) -> dict:
    """The world's object for each path parameter (the longest matching path prefix wins)."""
    chosen = {}
    for name in names:
        matches = [(prefix, value) for (prefix, param), value in world.parameters.items() if param == name]
        matches = [(prefix, value) for prefix, value in matches if path.startswith(prefix)]
        if matches:
            chosen[name] = max(matches, key=lambda match: len(match[0]))[1]
    return chosen


def deletes_last(operation) -> tuple:
    return (operation.method.upper() == "DELETE", operation.path, operation.method)


def test_every_answer_matches_the_schema(live_server, world):
    document = requests.get(f"{live_server.url}/api/v1/schema/", params={"format": "json"}, timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=deletes_last)
    assert len(operations) >= 57  # every operation the router serves (the API root is not in the schema)
    failures = []
    for operation in operations:
        names = [parameter.name for parameter in operation.path_parameters]
        fixed = real_parameters(world, operation.path, names)
        for persona, token in world.tokens.items():
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            failures += _exercise(operation, fixed, headers, live_server.url, EXAMPLES[persona], persona)
    assert not failures, "\n\n".join(failures)


def _exercise(operation, path_parameters, headers, base_url, examples, persona) -> list[str]:
    @given(case=operation.as_strategy(path_parameters=path_parameters))
    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure as it came
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - gathered: one run reports every operation
        return [f"{operation.method.upper()} {operation.path} as {persona}: {failure}"]
    return []
