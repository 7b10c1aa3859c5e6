"""`?search=` on every list endpoint: only the items whose names (emails, release names, keys…) hold every word,
ignoring case; documented in the schema; a bad query is a 400 naming `search`."""

from datetime import timedelta

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone

from accounts.invitations import services as invitations
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.api_helpers import api_client, assert_error
from accounts.tests.factories import (
    BindingFactory,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
    WorkspaceFactory,
)
from accounts.tokens import services as tokens
from aerodrome.api.urls import urlpatterns as API_PATTERNS
from deployments import services
from deployments.deploys import services as deploys
from deployments.models import Deploy
from deployments.tests.factories import make_cluster, make_deployment
from monitoring.alerts.channels import services as channels
from monitoring.alerts.models import Alert, AlertRule, Silence

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tenancy):
    owner, org = tenancy.owner, tenancy.org
    MembershipFactory(organization=OrganizationFactory(name="Beta Labs", slug="beta"), user=owner, role=OrgRole.OWNER)
    zoe = UserFactory(email="zoe.zimmer@acme.test", full_name="Zoe Zimmer")
    MembershipFactory(organization=org, user=zoe)
    BindingFactory(workspace=tenancy.workspace, user=zoe, role=WorkspaceRole.AUTHOR)
    team = TeamFactory(organization=org, name="Data platform")
    TeamFactory(organization=org, name="Finance")
    WorkspaceFactory(organization=org, name="Marketing")
    TeamMembershipFactory(team=team, user=zoe)
    TeamMembershipFactory(team=team, user=tenancy.member)
    tokens.token_create(actor=owner, organization=org, role="MEMBER", name="Nightly export")
    tokens.token_create(actor=owner, organization=org, role="MEMBER", name="CI deploys")
    make_cluster(organization=org, name="acme-prod", ingress_base_domain="prod.acme.test")
    make_cluster(organization=org, name="acme-eu", ingress_base_domain="eu.acme.test")
    sales = make_deployment(actor=owner, workspace=tenancy.workspace, name="Sales pipelines")
    make_deployment(actor=owner, workspace=tenancy.workspace, name="Reporting")
    services.queue_create(actor=owner, deployment=sales, name="heavy-etl")
    services.variable_set(actor=owner, deployment=sales, key="TEAM_NAME", value="growth")
    services.variable_set(actor=owner, deployment=sales, key="REGION", value="eu")
    invitations.invitations_create(actor=owner, organization=org, emails=["grace@navy.test", "ada@example.test"])
    for name, address in [("On-call email", "oncall@acme.test"), ("Finance reports", "finance@acme.test")]:
        channels.channel_create(actor=owner, workspace=tenancy.workspace, name=name, kind="EMAIL", addresses=[address])
    for tag, description in [("v1", "First release"), ("v2", "Hotfix for the nightly export")]:
        Deploy.objects.create(
            deployment=sales,
            kind=Deploy.Kind.IMAGE,
            image=f"registry.example.test/acme/airflow:{tag}",
            description=description,
            status=Deploy.Status.DEPLOYED,
            deployed_by_label="owner@acme.test",
        )
    for host, user in [("registry.acme.test", "ci-robot"), ("ghcr.io", "octocat")]:
        deploys.registry_credential_create(
            actor=owner, workspace=tenancy.workspace, registry_host=host, username=user, password="s3cret-pass"
        )
    now = timezone.now()
    rules = [("Nightly export failed", sales), ("Reports late", sales), ("Any DAG failed", None), ("Finance", None)]
    for name, deployment in rules:
        AlertRule.objects.create(workspace=tenancy.workspace, deployment=deployment, name=name, type="DAG_FAILURE")
    for summary in ["DAG etl_orders failed", "Scheduler heartbeat missing"]:
        Alert.objects.create(
            deployment=sales, rule_key="r", rule_name=summary, fingerprint=summary[:8], alertname="A",
            summary=summary, starts_at=now, last_received_at=now,
        )  # fmt: skip
    for comment in ["Database maintenance window", "Cluster upgrade"]:
        Silence.objects.create(deployment=sales, starts_at=now, ends_at=now + timedelta(hours=1), comment=comment)
    return {"team": team, "sales": sales}


def cases(world, tenancy):
    """Per list endpoint: its address, a search, and what identifies the items it must find."""
    sales, team = world["sales"].pk, world["team"].pk
    d = f"/api/v1/deployments/{sales}"
    return {
        "api-organization-list": ("/api/v1/organizations/", "ACME", "slug", {"acme"}),
        "api-organization-member-list": ("/api/v1/organizations/acme/members/", "zimmer", "user", {"Zoe Zimmer"}),
        "api-organization-invitation-list": (
            "/api/v1/organizations/acme/invitations/",
            "navy",
            "email",
            {"grace@navy.test"},
        ),
        "api-team-list": ("/api/v1/organizations/acme/teams/", "data", "name", {"Data platform"}),
        "api-team-member-list": (f"/api/v1/organizations/acme/teams/{team}/members/", "zoe", "user", {"Zoe Zimmer"}),
        "api-organization-audit-list": (
            "/api/v1/organizations/acme/audit/",
            "reporting",
            "action",
            {"deployment.create"},
        ),
        "api-token-list": ("/api/v1/tokens/", "nightly", "name", {"Nightly export"}),
        "api-workspace-list": ("/api/v1/workspaces/", "analy", "name", {"Analytics"}),
        "api-binding-list": (f"/api/v1/workspaces/{tenancy.workspace.pk}/bindings/", "zoe", "user", {"Zoe Zimmer"}),
        "api-cluster-list": ("/api/v1/clusters/", "eu.acme", "name", {"acme-eu"}),
        "api-deployment-list": ("/api/v1/deployments/", "sales pipe", "name", {"Sales pipelines"}),
        "api-deployment-queue-list": (f"{d}/queues/", "etl", "name", {"heavy-etl"}),
        "api-deployment-variable-list": (f"{d}/variables/", "team", "key", {"TEAM_NAME"}),
        "api-deployment-event-list": (f"{d}/events/", "heavy-etl", "reason", {"Updated"}),
        "api-deployment-deploy-list": (
            f"{d}/deploys/",
            "nightly hotfix",
            "description",
            {"Hotfix for the nightly export"},
        ),
        "api-registry-credential-list": (
            f"/api/v1/workspaces/{tenancy.workspace.pk}/registry-credentials/",
            "octo",
            "username",
            {"octocat"},
        ),
        "api-deployment-alert-rule-list": (f"{d}/alert-rules/", "nightly", "name", {"Nightly export failed"}),
        "api-workspace-alert-rule-list": (
            f"/api/v1/workspaces/{tenancy.workspace.pk}/alert-rules/",
            "any dag",
            "name",
            {"Any DAG failed"},
        ),
        "api-deployment-alert-list": (f"{d}/alerts/", "etl_orders", "summary", {"DAG etl_orders failed"}),
        "api-workspace-alert-list": (
            f"/api/v1/workspaces/{tenancy.workspace.pk}/alerts/",
            "heartbeat",
            "summary",
            {"Scheduler heartbeat missing"},
        ),
        "api-deployment-silence-list": (f"{d}/silences/", "maintenance", "comment", {"Database maintenance window"}),
        "api-channel-list": (
            f"/api/v1/workspaces/{tenancy.workspace.pk}/channels/",
            "on-call",
            "name",
            {"On-call email"},
        ),
    }


def identify(item, field):
    value = item[field]
    return value["full_name"] if isinstance(value, dict) else value


def list_endpoints() -> set[str]:
    return {pattern.name for pattern in API_PATTERNS if pattern.name and pattern.name.endswith("-list")}


def test_every_list_endpoint_finds_what_is_searched_for(tenancy, world):
    table = cases(world, tenancy)
    assert set(table) == list_endpoints(), "add the new list endpoint to this table"
    client = api_client(tenancy.owner)
    for name, (url, words, field, expected) in table.items():
        everything = client.get(url).json()["results"]
        found = client.get(url, {"search": words}).json()["results"]
        assert {identify(item, field) for item in found} == expected, name
        assert len(everything) > len(found), f"{name}: the search should leave something out"
        assert client.get(url, {"search": "no-such-thing-anywhere"}).json()["results"] == [], name


def test_every_word_must_match(tenancy, world):
    client = api_client(tenancy.owner)
    assert [
        d["name"] for d in client.get("/api/v1/deployments/", {"search": "sales reporting"}).json()["results"]
    ] == []
    assert [d["name"] for d in client.get("/api/v1/deployments/", {"search": "pipelines sales"}).json()["results"]] == [
        "Sales pipelines"
    ]


@pytest.mark.parametrize("query", ["nul\x00byte", "line\nbreak", "x" * 201])
def test_a_bad_search_is_a_400_naming_it(tenancy, query):
    error = assert_error(api_client(tenancy.owner).get("/api/v1/workspaces/", {"search": query}), 400, "invalid")
    assert "search" in error["fields"]


def test_a_search_never_hides_the_object_a_retrieve_asks_for(tenancy, world):
    response = api_client(tenancy.owner).get(f"/api/v1/deployments/{world['sales'].pk}/", {"search": "nothing"})
    assert response.status_code == 200


def test_every_list_operation_documents_search(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    lists = [
        (path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method == "get" and operation["operationId"].endswith("_list")
    ]
    assert len(lists) == len(list_endpoints())
    for path, operation in lists:
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        assert "search" in names, path
