"""Every /api/v1/ endpoint, called with every kind of API token: a token never does more than its role, nor
reaches outside its scope (404), and never reaches another organisation.

The endpoints are enumerated from the API router, so a new one fails `test_every_endpoint_is_in_the_table` until
its row is added to EXPECT (and its request body to BODY). Each endpoint is called on four targets:
- "own": objects inside every token's scope (organisation acme, workspace Analytics, Deployment Sales pipelines);
- "sibling": another workspace of acme (Marketing, Deployment Campaigns): workspace and Deployment tokens 404;
- "sibling_deployment": another Deployment of Analytics (Reporting): Deployment tokens 404;
- "other": organisation globex: every token 404 (lists: nothing of globex in them).
Each request runs in a savepoint that is rolled back, so every token meets the same world.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.invitations import services as invitations
from accounts.models import (
    ApiToken,
    AuditEvent,
    Invitation,
    Organization,
    OrganizationMembership,
    Team,
    TeamMembership,
    User,
)
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.api_helpers import assert_error
from accounts.tests.factories import (
    BindingFactory,
    MembershipFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
    WorkspaceFactory,
)
from accounts.tokens import services as tokens
from aerodrome.api.urls import urlpatterns as API_PATTERNS
from deployments import services as deployment_services
from deployments.deploys.tests.conftest import docker_registry  # noqa: F401 - the real registry, as a fixture
from deployments.models import Cluster, Deploy, Deployment, RegistryCredential
from deployments.tests.factories import kubeconfig_for, make_cluster, make_deployment
from monitoring.alerts.channels import services as channel_services
from monitoring.alerts.channels.models import Channel
from monitoring.alerts.models import Alert, AlertRule, Silence
from workspaces.models import Workspace, WorkspaceRoleBinding

pytestmark = pytest.mark.django_db

# ------------------------------------------------------------------------------------------------ the table

KINDS = ["org_owner", "org_member", "ws_owner", "ws_operator", "ws_member", "dep_operator", "dep_member"]
WORKSPACE_KINDS = {"ws_owner", "ws_operator", "ws_member"}
DEPLOYMENT_KINDS = {"dep_operator", "dep_member"}


def row(default: int, **kinds: int) -> dict[str, int]:
    return {kind: kinds.get(kind, default) for kind in KINDS}


def org_owner_only(code):  # organisation-level writes: the organisation is visible to every token, so 403
    return row(403, org_owner=code)


TEAM_READ = row(404, org_owner=200, org_member=200)  # teams: organisation tokens only


def team_write(code):
    return row(404, org_owner=code, org_member=403)


WORKSPACE_READ = row(200, org_member=404, dep_operator=404, dep_member=404)


def workspace_owner_action(code):
    return row(403, org_owner=code, ws_owner=code, org_member=404, dep_operator=404, dep_member=404)


DEPLOYMENT_READ = row(200, org_member=404)


def deployment_write(code):  # OPERATOR and above, on the Deployment
    return row(code, org_member=404, ws_member=403, dep_member=403)


def alerts_write(code):  # AUTHOR and above (alert.manage); Deployment tokens only read alerts
    return row(code, org_member=404, ws_member=403, dep_operator=403, dep_member=403)


def workspace_alerts_write(code):
    return row(code, org_member=404, ws_member=403, dep_operator=404, dep_member=404)


def channel_write(code):  # AUTHOR and above, on the workspace; Deployment tokens do not see workspace channels
    return row(code, org_member=404, ws_member=403, dep_operator=404, dep_member=404)


def registry_credential_write(code):  # OPERATOR and above, on the workspace
    return row(code, org_member=404, ws_member=403, dep_operator=404, dep_member=404)


def token_manage(code):  # a token is visible only to whoever manages it
    return row(404, org_owner=code, ws_owner=code)


EXPECT: dict[tuple[str, str], dict[str, int]] = {
    ("api-root", "GET"): row(200),
    ("api-organization-list", "GET"): row(200),
    ("api-organization-list", "POST"): row(403),  # tokens never create organisations
    ("api-organization-detail", "GET"): row(200),
    ("api-organization-detail", "PATCH"): org_owner_only(200),
    ("api-organization-leave", "POST"): row(403),  # a token is no member: it cannot leave
    ("api-organization-member-list", "GET"): row(403, org_owner=200, org_member=200),
    ("api-organization-invitation-list", "GET"): org_owner_only(200),
    ("api-organization-invitation-list", "POST"): org_owner_only(201),
    ("api-organization-invitation-detail", "DELETE"): org_owner_only(204),
    ("api-organization-invitation-resend", "POST"): org_owner_only(200),
    ("api-organization-member-detail", "PATCH"): org_owner_only(200),
    ("api-organization-member-detail", "DELETE"): org_owner_only(204),
    ("api-team-list", "GET"): row(200),  # empty for workspace and Deployment tokens
    ("api-team-list", "POST"): org_owner_only(201),
    ("api-team-detail", "GET"): TEAM_READ,
    ("api-team-detail", "PATCH"): team_write(200),
    ("api-team-detail", "DELETE"): team_write(204),
    ("api-team-member-list", "GET"): TEAM_READ,
    ("api-team-member-list", "POST"): team_write(201),
    ("api-team-member-detail", "DELETE"): team_write(204),
    ("api-token-list", "GET"): row(200),
    ("api-token-list", "POST"): row(403, org_owner=201, ws_owner=201, org_member=404, dep_operator=404, dep_member=404),
    ("api-token-detail", "GET"): token_manage(200),
    ("api-token-detail", "DELETE"): token_manage(204),
    ("api-token-rotate", "POST"): token_manage(200),
    ("api-workspace-list", "GET"): row(200),
    ("api-workspace-list", "POST"): org_owner_only(201),
    ("api-workspace-detail", "GET"): WORKSPACE_READ,
    ("api-workspace-detail", "PATCH"): workspace_owner_action(200),
    ("api-workspace-detail", "DELETE"): workspace_owner_action(204),
    ("api-binding-list", "GET"): WORKSPACE_READ,
    ("api-binding-list", "POST"): workspace_owner_action(201),
    ("api-binding-detail", "PATCH"): workspace_owner_action(200),
    ("api-binding-detail", "DELETE"): workspace_owner_action(204),
    ("api-cluster-list", "GET"): row(200),
    ("api-cluster-list", "POST"): org_owner_only(201),
    ("api-cluster-detail", "GET"): row(200),  # every token may see the clusters its organisation can use
    ("api-cluster-detail", "PUT"): org_owner_only(200),
    ("api-cluster-detail", "PATCH"): org_owner_only(200),
    ("api-cluster-detail", "DELETE"): org_owner_only(204),
    ("api-cluster-test-connection", "POST"): org_owner_only(200),
    ("api-deployment-list", "GET"): row(200),
    ("api-deployment-list", "POST"): row(
        201, org_member=404, ws_member=403, dep_operator=404, dep_member=404
    ),  # Deployment tokens do not see the workspace
    ("api-deployment-detail", "GET"): DEPLOYMENT_READ,
    ("api-deployment-detail", "PATCH"): deployment_write(200),
    ("api-deployment-detail", "DELETE"): deployment_write(202),
    ("api-deployment-reconcile", "POST"): deployment_write(202),
    ("api-deployment-manifests", "GET"): DEPLOYMENT_READ,
    ("api-deployment-airflow-token", "POST"): DEPLOYMENT_READ,  # with the token's own role (deployments/airflow_login)
    ("api-deployment-queue-list", "GET"): DEPLOYMENT_READ,
    ("api-deployment-queue-list", "POST"): deployment_write(201),
    ("api-deployment-queue-detail", "GET"): DEPLOYMENT_READ,
    ("api-deployment-queue-detail", "PATCH"): deployment_write(200),
    ("api-deployment-queue-detail", "DELETE"): deployment_write(204),
    ("api-deployment-variable-list", "GET"): DEPLOYMENT_READ,
    ("api-deployment-variable-list", "POST"): deployment_write(201),
    ("api-deployment-variable-detail", "GET"): DEPLOYMENT_READ,
    ("api-deployment-variable-detail", "PATCH"): deployment_write(200),
    ("api-deployment-variable-detail", "DELETE"): deployment_write(204),
    ("api-deployment-event-list", "GET"): DEPLOYMENT_READ,
    ("api-deployment-logs", "GET"): DEPLOYMENT_READ,  # manifests-only here: 200, empty, with a notice
    ("api-deployment-metrics", "GET"): DEPLOYMENT_READ,  # no Prometheus here: 200, "available": false
    ("api-deployment-deploy-list", "GET"): DEPLOYMENT_READ,
    ("api-deployment-deploy-list", "POST"): deployment_write(201),  # AUTHOR and up (an image from a real registry)
    ("api-deployment-deploy-detail", "GET"): DEPLOYMENT_READ,
    ("api-deployment-deploy-diff", "GET"): DEPLOYMENT_READ,
    ("api-deployment-deploy-rollback", "POST"): deployment_write(201),
    ("api-organization-audit-list", "GET"): org_owner_only(200),  # as the Audit log page: owners only
    ("api-deployment-alert-rule-list", "GET"): DEPLOYMENT_READ,
    ("api-deployment-alert-rule-list", "POST"): alerts_write(201),
    ("api-deployment-alert-rule-detail", "GET"): DEPLOYMENT_READ,
    ("api-deployment-alert-rule-detail", "PATCH"): alerts_write(200),
    ("api-deployment-alert-rule-detail", "DELETE"): alerts_write(204),
    ("api-deployment-alert-list", "GET"): DEPLOYMENT_READ,
    ("api-deployment-alert-detail", "GET"): DEPLOYMENT_READ,
    ("api-deployment-alert-acknowledge", "POST"): alerts_write(200),
    ("api-deployment-silence-list", "GET"): DEPLOYMENT_READ,
    # Allowed callers reach validation: the world's Deployments run on no cluster, so no Alertmanager (400).
    ("api-deployment-silence-list", "POST"): alerts_write(400),
    ("api-deployment-silence-detail", "DELETE"): alerts_write(204),
    ("api-workspace-alert-rule-list", "GET"): WORKSPACE_READ,
    ("api-workspace-alert-rule-list", "POST"): workspace_alerts_write(201),
    ("api-workspace-alert-rule-detail", "GET"): WORKSPACE_READ,
    ("api-workspace-alert-rule-detail", "PATCH"): workspace_alerts_write(200),
    ("api-workspace-alert-rule-detail", "DELETE"): workspace_alerts_write(204),
    ("api-workspace-alert-list", "GET"): WORKSPACE_READ,
    ("api-workspace-alert-detail", "GET"): WORKSPACE_READ,
    ("api-workspace-alert-acknowledge", "POST"): workspace_alerts_write(200),
    ("api-alertmanager-receiver", "POST"): row(401),  # a cluster's receiver token only, never an API token
    ("api-channel-list", "GET"): WORKSPACE_READ,  # a workspace's channels: not for Deployment tokens
    ("api-channel-list", "POST"): channel_write(201),
    ("api-channel-detail", "GET"): WORKSPACE_READ,
    ("api-channel-detail", "PATCH"): channel_write(200),
    ("api-channel-detail", "DELETE"): channel_write(204),
    ("api-channel-test", "POST"): channel_write(200),  # a real test email, through the `smtp_server` fixture
    # Registry credentials: members read them (never the password), operators and owners change them.
    ("api-registry-credential-list", "GET"): WORKSPACE_READ,
    ("api-registry-credential-list", "POST"): registry_credential_write(201),
    ("api-registry-credential-detail", "GET"): WORKSPACE_READ,
    ("api-registry-credential-detail", "PATCH"): registry_credential_write(200),
    ("api-registry-credential-detail", "DELETE"): registry_credential_write(204),
}

# Where each resource lives: which targets other than "own" it is called on.
LEVEL = {
    "api-organization": "organization",
    "api-organization-member": "organization",
    "api-organization-invitation": "organization",
    "api-team": "organization",
    "api-team-member": "organization",
    "api-cluster": "organization",
    "api-workspace": "workspace",
    "api-binding": "workspace",
    "api-token": "workspace",  # the tokens called on are workspace tokens
    "api-deployment": "deployment",
    "api-deployment-queue": "deployment",
    "api-deployment-variable": "deployment",
    "api-deployment-event": "deployment",
    "api-deployment-logs": "deployment",
    "api-deployment-metrics": "deployment",
    "api-deployment-deploy": "deployment",
    "api-organization-audit": "organization",
    "api-deployment-alert-rule": "deployment",
    "api-deployment-alert": "deployment",
    "api-deployment-silence": "deployment",
    "api-workspace-alert-rule": "workspace",
    "api-workspace-alert": "workspace",
    "api-channel": "workspace",
    "api-registry-credential": "workspace",
}
LEVEL_OF_ENDPOINT = {("api-workspace-list", "POST"): "organization"}  # a workspace is created in the organisation
SLICES_BY_LEVEL = {
    "organization": ["own", "other"],
    "workspace": ["own", "sibling", "other"],
    "deployment": ["own", "sibling", "sibling_deployment", "other"],
}

# The request bodies of writes, for a target slice `s` (valid, so that allowed callers succeed).
BODY = {
    ("api-organization-list", "POST"): lambda s: {"name": "Token Corp"},
    ("api-organization-detail", "PATCH"): lambda s: {"name": "Renamed"},
    ("api-organization-invitation-list", "POST"): lambda s: {"emails": ["stranger@example.test"]},
    ("api-organization-member-detail", "PATCH"): lambda s: {"role": "OWNER"},
    ("api-team-list", "POST"): lambda s: {"name": "Matrix team"},
    ("api-team-detail", "PATCH"): lambda s: {"name": "Renamed team"},
    ("api-team-member-list", "POST"): lambda s: {"user": s.team_candidate.pk},
    ("api-token-list", "POST"): lambda s: {"workspace": s.workspace.pk, "role": "MEMBER", "name": "matrix"},
    ("api-workspace-list", "POST"): lambda s: {"organization": s.org.slug, "name": "Matrix"},
    ("api-workspace-detail", "PATCH"): lambda s: {"description": "Changed"},
    ("api-binding-list", "POST"): lambda s: {"user": s.bindable_user.pk, "role": "MEMBER"},
    ("api-binding-detail", "PATCH"): lambda s: {"role": "OPERATOR"},
    ("api-cluster-list", "POST"): lambda s: {
        "organization": s.org.slug,
        "name": "matrix",
        "ingress_base_domain": "matrix.example.test",
        "kubeconfig": kubeconfig_for("http://127.0.0.1:1"),
    },
    ("api-cluster-detail", "PUT"): lambda s: {
        "name": s.cluster.name,
        "auth": "KUBECONFIG",
        "kubernetes_version": s.cluster.kubernetes_version,
        "ingress_base_domain": "changed.example.test",
    },
    ("api-cluster-detail", "PATCH"): lambda s: {"prometheus_url": "https://prometheus.example.test"},
    ("api-deployment-list", "POST"): lambda s: {"workspace": s.workspace.pk, "name": "Matrix"},
    ("api-deployment-detail", "PATCH"): lambda s: {"description": "Changed"},
    ("api-deployment-queue-list", "POST"): lambda s: {"name": "matrix"},
    ("api-deployment-queue-detail", "PATCH"): lambda s: {"max_workers": 5},
    ("api-deployment-variable-list", "POST"): lambda s: {"key": "MATRIX", "value": "x"},
    ("api-deployment-variable-detail", "PATCH"): lambda s: {"value": "changed"},
    ("api-deployment-alert-rule-list", "POST"): lambda s: {"name": "Matrix", "type": "DAG_FAILURE"},
    ("api-deployment-alert-rule-detail", "PATCH"): lambda s: {"severity": "CRITICAL"},
    ("api-deployment-silence-list", "POST"): lambda s: {"comment": "Matrix", "duration_minutes": 30},
    ("api-workspace-alert-rule-list", "POST"): lambda s: {"name": "Matrix", "type": "TASK_FAILURE"},
    ("api-workspace-alert-rule-detail", "PATCH"): lambda s: {"severity": "INFO"},
    ("api-alertmanager-receiver", "POST"): lambda s: {"alerts": []},
    ("api-deployment-deploy-list", "POST"): lambda s: {"image": IMAGE["ref"]},
    ("api-deployment-deploy-rollback", "POST"): lambda s: {"description": "matrix"},
    ("api-channel-list", "POST"): lambda s: {"name": "Matrix", "kind": "EMAIL", "addresses": ["matrix@acme.test"]},
    ("api-channel-detail", "PATCH"): lambda s: {"name": "Renamed channel", "addresses": ["changed@acme.test"]},
    ("api-registry-credential-list", "POST"): lambda s: {"registry": "quay.io", "username": "u", "password": "p"},
    ("api-registry-credential-detail", "PATCH"): lambda s: {"password": "changed"},
}
QUERY = {
    ("api-workspace-detail", "DELETE"): lambda s: {"confirm_name": s.workspace.name},
    ("api-deployment-detail", "DELETE"): lambda s: {"confirm": s.deployment.name},
}


def _move_deployments_out(s):
    """A workspace with Deployments cannot be deleted: park them in another workspace of the organisation."""
    parking = Workspace.objects.create(organization=s.workspace.organization, name="Parking")
    Deployment.objects.filter(workspace=s.workspace).update(workspace=parking)


PREPARE = {("api-workspace-detail", "DELETE"): _move_deployments_out}  # run in the savepoint, before the call
NO_BODY = {
    ("api-organization-leave", "POST"),
    ("api-token-rotate", "POST"),
    ("api-organization-invitation-resend", "POST"),
    ("api-cluster-test-connection", "POST"),
    ("api-deployment-reconcile", "POST"),
    ("api-deployment-airflow-token", "POST"),
    ("api-deployment-alert-acknowledge", "POST"),
    ("api-workspace-alert-acknowledge", "POST"),
    ("api-channel-test", "POST"),
}
UNSCOPED = {
    ("api-root", "GET"),
    ("api-organization-list", "POST"),
    ("api-alertmanager-receiver", "POST"),
}  # not inside any organisation

# What each top-level list shows each token (names; organisations by slug), in the "own" world.
ALL_ACME_TOKENS = {*KINDS, "target-analytics", "target-marketing"}
ANALYTICS_TOKENS = {"ws_owner", "ws_operator", "ws_member", "dep_operator", "dep_member", "target-analytics"}
VISIBLE = {
    "api-organization-list": {kind: {"acme"} for kind in KINDS},
    "api-workspace-list": {
        "org_owner": {"Analytics", "Marketing"},
        "org_member": set(),
        **{kind: {"Analytics"} for kind in WORKSPACE_KINDS},
        **{kind: set() for kind in DEPLOYMENT_KINDS},
    },
    "api-deployment-list": {
        "org_owner": {"Sales pipelines", "Reporting", "Campaigns"},
        "org_member": set(),
        **{kind: {"Sales pipelines", "Reporting"} for kind in WORKSPACE_KINDS},
        **{kind: {"Sales pipelines"} for kind in DEPLOYMENT_KINDS},
    },
    "api-cluster-list": {kind: {"acme-prod", "shared"} for kind in KINDS},
    "api-token-list": {kind: set() for kind in KINDS} | {"org_owner": ALL_ACME_TOKENS, "ws_owner": ANALYTICS_TOKENS},
    "api-team-list": {kind: set() for kind in KINDS} | {"org_owner": {"Platform"}, "org_member": {"Platform"}},
}


# ------------------------------------------------------------------------------------------------ endpoints


@dataclass(frozen=True)
class Endpoint:
    name: str  # the URL's name, e.g. api-deployment-detail
    basename: str
    method: str
    kwargs: tuple[str, ...]

    @property
    def key(self):
        return (self.name, self.method)

    @property
    def is_top_list(self):
        return self.method == "GET" and not self.kwargs

    def __str__(self):
        return f"{self.method} {self.name}"


def endpoints() -> list[Endpoint]:
    found = []
    for pattern in API_PATTERNS:
        groups = tuple(pattern.pattern.regex.groupindex)
        if "format" in groups:  # the `.json` suffix variants of the same views
            continue
        view_class = getattr(pattern.callback, "cls", None)  # a plain APIView (the Alertmanager receiver): its methods
        own_methods = {m: m for m in ("get", "post", "put", "patch", "delete") if view_class and hasattr(view_class, m)}
        actions = getattr(pattern.callback, "actions", None) or own_methods or {"get": "root"}
        basename = getattr(pattern.callback, "initkwargs", {}).get("basename", pattern.name)
        for method in actions:
            found.append(Endpoint(pattern.name, basename, method.upper(), groups))
    return found


ENDPOINTS = endpoints()


def test_every_endpoint_is_in_the_table():
    missing = [str(e) for e in ENDPOINTS if e.key not in EXPECT]
    assert not missing, f"New API endpoints: add them to EXPECT (and BODY) in this file: {missing}"
    stale = set(EXPECT) - {e.key for e in ENDPOINTS}
    assert not stale, f"EXPECT names endpoints that no longer exist: {stale}"
    for e in ENDPOINTS:
        assert e.basename in LEVEL or e.key in UNSCOPED, f"Add {e.basename} to LEVEL"
        if e.method in ("POST", "PUT", "PATCH"):
            assert e.key in BODY or e.key in NO_BODY, f"Add a request body for {e} to BODY (or it to NO_BODY)"
    assert len(ENDPOINTS) >= 50


# ---------------------------------------------------------------------------------------------------- world


@dataclass
class Slice:
    org: Organization
    membership: OrganizationMembership
    team: Team
    team_membership: TeamMembership
    team_candidate: User  # a member of the organisation not in the team
    cluster: Cluster
    workspace: Workspace
    binding: WorkspaceRoleBinding
    bindable_user: User  # a member of the organisation without a role on the workspace
    deployment: Deployment
    token: ApiToken
    invitation: Invitation | None = None
    channel: Channel | None = None  # a notification channel of `workspace`


def _deployment(actor, workspace, name) -> Deployment:
    deployment = make_deployment(actor=actor, workspace=workspace, name=name)
    deployment_services.queue_create(actor=actor, deployment=deployment, name="etl")
    deployment_services.variable_set(actor=actor, deployment=deployment, key="GREETING", value="hello")
    Deploy.objects.create(  # a deployed image deploy, to read and roll back to
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
    _alerting(actor, deployment)
    return deployment


IMAGE = {}  # the image deploys name, pushed to the real registry by `world`


def _alerting(actor, deployment) -> None:
    """An alert rule, an alert and a silence of the Deployment, and a rule of its workspace (alerts API)."""
    from monitoring.alerts import services as alerts

    now = timezone.now()
    alerts.rule_create(
        actor=actor, workspace=deployment.workspace, deployment=deployment, name="ETL", type="DAG_FAILURE"
    )
    if not AlertRule.objects.filter(workspace=deployment.workspace, deployment=None).exists():
        alerts.rule_create(actor=actor, workspace=deployment.workspace, name="Any task", type="TASK_FAILURE")
    Alert.objects.create(
        deployment=deployment, rule_key="pod_quota", rule_name="Pods near the quota", fingerprint="f",
        alertname="AirflowPodQuota", labels={}, starts_at=now, last_received_at=now,
    )  # fmt: skip
    Silence.objects.create(deployment=deployment, starts_at=now, ends_at=now + timedelta(hours=1), comment="Upgrade")


@pytest.fixture
def world(tenancy, settings, docker_registry, smtp_server):  # noqa: F811 - the fixture imported above
    settings.KUBE_RETRIES = 0  # test-connection on an unreachable cluster answers at once
    settings.KUBE_REQUEST_TIMEOUT = 1
    settings.DEPLOY_INSECURE_REGISTRIES = [docker_registry.host]
    docker_registry.push("matrix/airflow", "v1", content="matrix")
    IMAGE["ref"] = f"{docker_registry.host}/matrix/airflow:v1"
    owner, member, org = tenancy.owner, tenancy.member, tenancy.org
    newcomer = UserFactory(email="newcomer@acme.test")
    MembershipFactory(organization=org, user=newcomer, role=OrgRole.MEMBER)
    UserFactory(email="stranger@example.test")
    team = TeamFactory(organization=org, name="Platform")
    in_team = TeamMembershipFactory(team=team, user=member)
    cluster = make_cluster(organization=org, name="acme-prod")
    make_cluster(organization=None, name="shared")
    analytics = tenancy.workspace
    marketing = WorkspaceFactory(organization=org, name="Marketing")
    marketing_binding = BindingFactory(workspace=marketing, user=newcomer, role=WorkspaceRole.MEMBER)
    sales = _deployment(owner, analytics, "Sales pipelines")
    reporting = _deployment(owner, analytics, "Reporting")
    campaigns = _deployment(owner, marketing, "Campaigns")

    def channel(actor, workspace):
        return channel_services.channel_create(
            actor=actor, workspace=workspace, name="On call", kind="EMAIL", addresses=["oncall@example.test"]
        )

    def token(role, name, **target):
        return tokens.token_create(actor=owner, role=role, name=name, **target)

    plaintexts = {
        "org_owner": token(OrgRole.OWNER, "org_owner", organization=org)[1],
        "org_member": token(OrgRole.MEMBER, "org_member", organization=org)[1],
        "ws_owner": token(WorkspaceRole.OWNER, "ws_owner", workspace=analytics)[1],
        "ws_operator": token(WorkspaceRole.OPERATOR, "ws_operator", workspace=analytics)[1],
        "ws_member": token(WorkspaceRole.MEMBER, "ws_member", workspace=analytics)[1],
        "dep_operator": token(WorkspaceRole.OPERATOR, "dep_operator", deployment=sales)[1],
        "dep_member": token(WorkspaceRole.MEMBER, "dep_member", deployment=sales)[1],
    }
    target_analytics = token(WorkspaceRole.MEMBER, "target-analytics", workspace=analytics)[0]
    target_marketing = token(WorkspaceRole.MEMBER, "target-marketing", workspace=marketing)[0]
    member_membership = OrganizationMembership.objects.get(organization=org, user=member)
    member_binding = WorkspaceRoleBinding.objects.get(workspace=analytics, user=member)
    [invited] = invitations.invitations_create(actor=owner, organization=org, emails=["guest@example.test"])
    own = Slice(
        org, member_membership, team, in_team, newcomer, cluster, analytics, member_binding, newcomer, sales,
        target_analytics, invited.invitation, channel(owner, analytics),
    )  # fmt: skip

    # Organisation globex, with one of everything.
    outsider, other = tenancy.outsider, tenancy.other_org
    globex_member = UserFactory(email="member@globex.test")
    globex_newcomer = UserFactory(email="newcomer@globex.test")
    MembershipFactory(organization=other, user=globex_member, role=OrgRole.MEMBER)
    MembershipFactory(organization=other, user=globex_newcomer, role=OrgRole.MEMBER)
    globex_team = TeamFactory(organization=other, name="Globex team")
    globex = Slice(
        org=other,
        membership=OrganizationMembership.objects.get(organization=other, user=globex_member),
        team=globex_team,
        team_membership=TeamMembershipFactory(team=globex_team, user=globex_member),
        team_candidate=globex_newcomer,
        cluster=make_cluster(organization=other, name="globex-prod"),
        workspace=tenancy.other_workspace,
        binding=BindingFactory(workspace=tenancy.other_workspace, user=globex_member, role=WorkspaceRole.MEMBER),
        bindable_user=globex_newcomer,
        deployment=_deployment(outsider, tenancy.other_workspace, "Globex ETL"),
        token=tokens.token_create(actor=outsider, role="MEMBER", name="globex-ci", workspace=tenancy.other_workspace)[
            0
        ],
        invitation=invitations.invitations_create(actor=outsider, organization=other, emails=["guest@globex.test"])[
            0
        ].invitation,
        channel=channel(outsider, tenancy.other_workspace),
    )
    slices = {
        "own": own,
        "sibling": Slice(**{**own.__dict__, "workspace": marketing, "binding": marketing_binding,
                            "bindable_user": member, "deployment": campaigns, "token": target_marketing,
                            "channel": channel(owner, marketing)}),
        "sibling_deployment": Slice(**{**own.__dict__, "deployment": reporting}),
        "other": globex,
    }  # fmt: skip
    return plaintexts, slices


# ----------------------------------------------------------------------------------------------- requests

LOOKUP = {  # the detail route's object in a slice
    "api-organization": lambda s: s.org.slug,
    "api-organization-member": lambda s: s.membership.pk,
    "api-organization-invitation": lambda s: s.invitation.pk,
    "api-team": lambda s: s.team.pk,
    "api-team-member": lambda s: s.team_membership.pk,
    "api-token": lambda s: s.token.pk,
    "api-workspace": lambda s: s.workspace.pk,
    "api-binding": lambda s: s.binding.pk,
    "api-cluster": lambda s: s.cluster.pk,
    "api-deployment": lambda s: s.deployment.pk,
    "api-deployment-queue": lambda s: "etl",
    "api-deployment-variable": lambda s: "GREETING",
    "api-deployment-alert-rule": lambda s: AlertRule.objects.get(deployment=s.deployment).pk,
    "api-deployment-alert": lambda s: Alert.objects.get(deployment=s.deployment).pk,
    "api-deployment-silence": lambda s: Silence.objects.get(deployment=s.deployment).pk,
    "api-workspace-alert-rule": lambda s: AlertRule.objects.get(workspace=s.workspace, deployment=None).pk,
    "api-workspace-alert": lambda s: Alert.objects.filter(deployment__workspace=s.workspace).order_by("pk").first().pk,
    "api-deployment-deploy": lambda s: Deploy.objects.filter(deployment=s.deployment).order_by("pk")[0].pk,
    "api-channel": lambda s: s.channel.pk,
    "api-registry-credential": lambda s: _registry_credential(s).pk,
}


def _registry_credential(s):
    """The slice's workspace's credentials (made inside the call's savepoint, so rolled back with it)."""
    credential, _ = RegistryCredential.objects.get_or_create(
        workspace=s.workspace, registry="ghcr.io", defaults={"username": "robot", "password": "pull-secret"}
    )
    return credential


PARENT = {
    "organization_slug": lambda s: s.org.slug,
    "team_pk": lambda s: s.team.pk,
    "workspace_pk": lambda s: s.workspace.pk,
    "deployment_pk": lambda s: s.deployment.pk,
}


def url_for(endpoint: Endpoint, s: Slice) -> str:
    kwargs = {}
    for name in endpoint.kwargs:
        kwargs[name] = PARENT[name](s) if name in PARENT else LOOKUP[endpoint.basename](s)
    return reverse(endpoint.name, kwargs=kwargs)


def call(plaintext: str, endpoint: Endpoint, s: Slice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    url = url_for(endpoint, s)
    if endpoint.key in QUERY:
        url += "?" + "&".join(f"{k}={v}" for k, v in QUERY[endpoint.key](s).items())
    body = BODY[endpoint.key](s) if endpoint.key in BODY else None
    return getattr(client, endpoint.method.lower())(url, body, format="json")


def names(response) -> set[str]:
    results = response.json()["results"]
    return {item.get("name") or item.get("slug") for item in results}


def expected_status(endpoint: Endpoint, slice_name: str, kind: str) -> int:
    own = EXPECT[endpoint.key][kind]
    if slice_name == "own":
        return own
    if slice_name == "other":
        return 404
    if slice_name == "sibling":
        return 404 if kind in WORKSPACE_KINDS | DEPLOYMENT_KINDS else own
    return 404 if kind in DEPLOYMENT_KINDS else own  # sibling_deployment


def slices_for(endpoint: Endpoint) -> list[str]:
    if endpoint.key in UNSCOPED:
        return ["own"]
    if endpoint.is_top_list:
        return ["own", "other"]  # lists: what they show is checked instead of a status
    return SLICES_BY_LEVEL[LEVEL_OF_ENDPOINT.get(endpoint.key, LEVEL[endpoint.basename])]


SUCCEEDED = {  # actions that answer 200 even when what they try fails: did it work?
    ("api-channel-test", "POST"): lambda response: response.json()["ok"] is True,
}


def check(endpoint: Endpoint, slice_name: str, kind: str, response) -> str | None:
    """A description of what is wrong, or None."""
    where = f"{endpoint} [{slice_name}] {response.request['PATH_INFO']} as {kind}"
    if endpoint.is_top_list and slice_name == "other":
        if response.status_code != 200 or b"globex" in response.content.lower():
            return f"{where}: {response.status_code}, shows another organisation: {response.content[:300]!r}"
        return None
    want = expected_status(endpoint, slice_name, kind)
    if response.status_code != want:
        return f"{where}: expected {want}, got {response.status_code}: {response.content[:300]!r}"
    if want >= 400:
        code = {400: "invalid", 401: "authentication_failed", 403: "permission_denied", 404: "not_found"}[want]
        try:
            assert_error(response, want, code)
        except AssertionError as error:
            return f"{where}: not the API's error format: {error}"
    if endpoint.key in SUCCEEDED and want < 300 and not SUCCEEDED[endpoint.key](response):
        return f"{where}: answered {want} but did not do it: {response.content[:300]!r}"
    if endpoint.is_top_list and endpoint.basename in VISIBLE:
        shown, wanted = names(response), VISIBLE[endpoint.basename][kind]
        if shown != wanted:
            return f"{where}: lists {sorted(shown)}, expected {sorted(wanted)}"
    return None


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_tokens_on_every_endpoint(world, endpoint):
    plaintexts, slices = world
    problems = []
    for slice_name in slices_for(endpoint):
        for kind in KINDS:
            with transaction.atomic():  # every call meets the same world
                if endpoint.key in PREPARE:
                    PREPARE[endpoint.key](slices[slice_name])
                response = call(plaintexts[kind], endpoint, slices[slice_name])
                transaction.set_rollback(True)
            problem = check(endpoint, slice_name, kind, response)
            if problem:
                problems.append(problem)
    assert not problems, "\n".join(problems)


def test_the_table_says_what_the_issue_asks(world):
    """The rows that carry the rules of the issue, spelled out."""
    # An organisation OWNER token works everywhere in its organisation (a silence gets as far as its validation: the
    # world's Deployments have no Alertmanager to create it in).
    reaches_validation = {("api-deployment-silence-list", "POST")}
    assert all(
        EXPECT[key]["org_owner"] < 300 or (key in reaches_validation and EXPECT[key]["org_owner"] == 400)
        for key in EXPECT
        if key not in UNSCOPED | {("api-organization-leave", "POST")}
    )
    # An organisation MEMBER token writes nothing, and reaches no workspace or Deployment.
    for (name, method), expect in EXPECT.items():
        if method != "GET":
            assert expect["org_member"] >= 400, name
        if LEVEL.get(name.rsplit("-", 1)[0]) in ("workspace", "deployment") and not name.endswith("-list"):
            assert expect["org_member"] == 404, name
    # A workspace OPERATOR creates and scales Deployments; workspace-owner actions are 403.
    assert EXPECT[("api-deployment-list", "POST")]["ws_operator"] == 201
    assert EXPECT[("api-deployment-queue-detail", "PATCH")]["ws_operator"] == 200
    assert EXPECT[("api-binding-list", "POST")]["ws_operator"] == 403
    # A workspace MEMBER token is read-only. (Its Airflow token exchange is a POST but a read: what it gets is a
    # Viewer's token for Airflow, test_real_airflow_login.py proves Airflow lets it change nothing.)
    reads = {("api-deployment-airflow-token", "POST")}
    assert all(expect["ws_member"] >= 400 for key, expect in EXPECT.items() if key[1] != "GET" and key not in reads)
    # A Deployment token cannot create Deployments.
    assert EXPECT[("api-deployment-list", "POST")]["dep_operator"] in (403, 404)


# ----------------------------------------------------------------------------------------- authentication (401)


@pytest.fixture
def acme_token(tenancy):
    return tokens.token_create(actor=tenancy.owner, organization=tenancy.org, role="OWNER", name="ci")


def bearer(value: str, **session_user) -> APIClient:
    client = APIClient()
    if session_user:
        client.force_login(session_user["user"])
    client.credentials(HTTP_AUTHORIZATION=value)
    return client


GET_PATHS = ["/api/v1/", "/api/v1/organizations/", "/api/v1/organizations/acme/", "/api/v1/deployments/"]


def assert_unauthorized(response, message: str) -> None:
    error = assert_error(response, 401)
    assert error["message"] == message, error
    assert response["WWW-Authenticate"].startswith("Bearer"), response.headers


def test_a_valid_token_authenticates_and_its_first_use_is_audited_once(tenancy, acme_token):
    token, plaintext = acme_token
    client = bearer(f"Bearer {plaintext}")
    for path in GET_PATHS:
        assert client.get(path).status_code == 200, path
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_ip == "127.0.0.1"
    first_uses = AuditEvent.objects.filter(action="token.first_use")
    assert [e.actor_label for e in first_uses] == [f"API token ci ({token.prefix})"]


def test_expired_token_gets_401_saying_when_it_expired(tenancy, acme_token):
    token, plaintext = acme_token
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=2))
    token.refresh_from_db()
    for path in GET_PATHS:
        assert_unauthorized(bearer(f"Bearer {plaintext}").get(path), tokens.expired_message(token))
    assert "has expired (on " in tokens.expired_message(token)


def test_deleted_token_gets_401(tenancy, acme_token):
    token, plaintext = acme_token
    tokens.token_delete(actor=tenancy.owner, token=token)
    for path in GET_PATHS:
        assert_unauthorized(bearer(f"Bearer {plaintext}").get(path), "Invalid API token.")


def test_rotated_away_secret_gets_401_and_the_new_one_works(tenancy, acme_token):
    token, old = acme_token
    new = tokens.token_rotate(actor=tenancy.owner, token=token)
    assert_unauthorized(bearer(f"Bearer {old}").get("/api/v1/organizations/"), "Invalid API token.")
    assert bearer(f"Bearer {new}").get("/api/v1/organizations/").status_code == 200


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer", "Invalid Authorization header: send `Authorization: Bearer <token>`."),
        ("Bearer two parts", "Invalid Authorization header: send `Authorization: Bearer <token>`."),
        ("Bearer aero_nope", "Invalid API token."),
        ("Bearer aero_abcdefgh_" + "A" * 43, "Invalid API token."),
        ("bearer aero_abcdefgh_" + "A" * 43, "Invalid API token."),
    ],
)
def test_malformed_or_unknown_tokens_get_401(tenancy, header, message):
    for method in ("get", "post"):
        response = getattr(bearer(header), method)("/api/v1/organizations/", {"name": "x"}, format="json")
        assert_unauthorized(response, message)
    assert not Organization.objects.filter(name="x").exists()


def test_a_bad_token_is_refused_even_with_a_signed_in_session(tenancy):
    client = bearer("Bearer aero_abcdefgh_" + "A" * 43, user=tenancy.owner)
    assert_unauthorized(client.get("/api/v1/organizations/"), "Invalid API token.")


def test_without_credentials_the_api_answers_401_with_a_bearer_challenge(tenancy):
    response = APIClient().get("/api/v1/deployments/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_sessions_still_work_for_people(tenancy):
    client = APIClient()
    client.force_login(tenancy.owner)
    assert client.get("/api/v1/organizations/").json()["results"][0]["role"] == "OWNER"


# ------------------------------------------------------------------------------------------- /api/v1/tokens/


def test_organisation_shows_the_tokens_role_there(tenancy, acme_token):
    _, plaintext = acme_token
    _, workspace_plaintext = tokens.token_create(
        actor=tenancy.owner, workspace=tenancy.workspace, role="OPERATOR", name="ws"
    )
    assert bearer(f"Bearer {plaintext}").get("/api/v1/organizations/acme/").json()["role"] == "OWNER"
    assert bearer(f"Bearer {workspace_plaintext}").get("/api/v1/organizations/acme/").json()["role"] is None


def test_token_created_through_the_api_is_shown_once(tenancy):
    client = APIClient()
    client.force_login(tenancy.owner)
    response = client.post(
        "/api/v1/tokens/",
        {"workspace": tenancy.workspace.pk, "role": "OPERATOR", "name": "deployer", "description": "CI"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    plaintext = body["token"]
    assert plaintext.startswith(body["prefix"] + "_")
    assert response["Cache-Control"] == "no-store"
    assert (body["scope"], body["role"], body["workspace"], body["created_by"]["email"]) == (
        "WORKSPACE",
        "OPERATOR",
        tenancy.workspace.pk,
        "owner@acme.test",
    )
    for later in (client.get("/api/v1/tokens/"), client.get(f"/api/v1/tokens/{body['id']}/")):
        assert later.status_code == 200
        assert plaintext not in later.content.decode()
        assert b'"token"' not in later.content
    used = bearer(f"Bearer {plaintext}").get("/api/v1/deployments/")
    assert used.status_code == 200


def test_token_rotated_through_the_api_answers_the_new_secret(tenancy, acme_token):
    token, old = acme_token
    client = APIClient()
    client.force_login(tenancy.owner)
    response = client.post(f"/api/v1/tokens/{token.pk}/rotate/")
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != old and response.json()["prefix"] != token.prefix
    assert_unauthorized(bearer(f"Bearer {old}").get("/api/v1/"), "Invalid API token.")
    assert bearer(f"Bearer {new}").get("/api/v1/").status_code == 200


def test_a_token_may_rotate_and_delete_itself_when_it_manages_its_scope(tenancy, acme_token):
    token, plaintext = acme_token
    new = bearer(f"Bearer {plaintext}").post(f"/api/v1/tokens/{token.pk}/rotate/").json()["token"]
    assert bearer(f"Bearer {new}").delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert_unauthorized(bearer(f"Bearer {new}").get("/api/v1/"), "Invalid API token.")
    rotate = AuditEvent.objects.get(action="token.rotate")
    assert rotate.actor is None and rotate.actor_label.startswith("API token ci (")


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"workspace": 1}, "non_field_errors", "exactly one"),
        ({"organization": None}, "non_field_errors", "exactly one"),
        ({"role": "OPERATOR"}, "role", "not a role here"),
        ({"name": ""}, "name", "Enter a name"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at", "future"),
    ],
)
def test_bad_token_requests_are_400_with_the_reason(tenancy, body, field, fragment):
    client = APIClient()
    client.force_login(tenancy.owner)
    body = {"organization": "acme", "role": "MEMBER", "name": "x", **body}
    body = {key: value for key, value in body.items() if value is not None}
    error = assert_error(client.post("/api/v1/tokens/", body, format="json"), 400, "invalid")
    assert fragment in " ".join(error["fields"][field]), error
    assert not ApiToken.objects.exists()


def test_people_get_the_same_answers_on_the_tokens_api(tenancy):
    token, _ = tokens.token_create(actor=tenancy.owner, organization=tenancy.org, role="MEMBER", name="ci")
    member, outsider = APIClient(), APIClient()
    member.force_login(tenancy.member)
    outsider.force_login(tenancy.outsider)
    assert member.get("/api/v1/tokens/").json()["results"] == []
    assert_error(member.get(f"/api/v1/tokens/{token.pk}/"), 404, "not_found")
    assert_error(member.post("/api/v1/tokens/", {"organization": "acme", "role": "MEMBER", "name": "x"}), 403)
    assert_error(outsider.post("/api/v1/tokens/", {"organization": "acme", "role": "MEMBER", "name": "x"}), 404)
    assert_error(outsider.delete(f"/api/v1/tokens/{token.pk}/"), 404, "not_found")
    assert ApiToken.objects.count() == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [("workspace=%C2%B2", "workspace"), ("deployment=%D9%A1x", "deployment"), ("organization=ac%00me", "organization")],
)
def test_odd_filters_on_the_tokens_list_are_400_not_500(tenancy, query, field):
    client = APIClient(raise_request_exception=False)
    client.force_login(tenancy.owner)
    error = assert_error(client.get(f"/api/v1/tokens/?{query}"), 400, "invalid")
    assert field in error["fields"], error
