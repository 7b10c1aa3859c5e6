"""API token services (accounts.tokens) and tokens as actors (accounts.permissions)."""

import hashlib
import re
from datetime import UTC, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts import permissions
from accounts.models import ApiToken, AuditEvent, Organization, Team
from accounts.permissions import can, deployment_role, org_role, workspace_role
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import BindingFactory, MembershipFactory, TeamFactory, UserFactory, WorkspaceFactory
from accounts.tokens import services as tokens
from deployments import services as deployment_services
from deployments.models import Cluster, Deployment
from deployments.tests.factories import make_cluster, make_deployment
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db

SHAPE = re.compile(r"^aero_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$")


@pytest.fixture
def deployment(tenancy):
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Sales pipelines")


@pytest.fixture
def workspace_owner(tenancy):
    """An organisation MEMBER who owns the workspace (not the organisation)."""
    user = UserFactory(email="wsowner@acme.test")
    MembershipFactory(organization=tenancy.org, user=user, role=OrgRole.MEMBER)
    BindingFactory(workspace=tenancy.workspace, user=user, role=WorkspaceRole.OWNER)
    return user


def create(actor, role, name="ci", **target):
    return tokens.token_create(actor=actor, role=role, name=name, **target)


def all_stored_text() -> str:
    """Every column of every token row and audit entry, as text: where a leaked secret would show."""
    rows = list(ApiToken.objects.values()) + list(AuditEvent.objects.values())
    return repr(rows)


# ------------------------------------------------------------------------------------------- format, hashing


def test_created_token_is_returned_once_and_stored_only_as_its_sha256(tenancy):
    token, plaintext = create(tenancy.owner, OrgRole.MEMBER, organization=tenancy.org)
    assert SHAPE.match(plaintext), plaintext
    assert plaintext.startswith(token.prefix + "_")
    assert len(token.prefix) == len("aero_") + 8
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.secret_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    secret_part = plaintext.split("_", 2)[2]
    assert plaintext not in all_stored_text()
    assert secret_part not in all_stored_text()
    assert token.prefix in str(token)


def test_every_token_gets_its_own_prefix_and_secret(tenancy):
    made = [create(tenancy.owner, OrgRole.MEMBER, name=f"t{n}", organization=tenancy.org) for n in range(5)]
    assert len({t.prefix for t, _ in made}) == 5
    assert len({p for _, p in made}) == 5


# ---------------------------------------------------------------------------------------------- authenticate


def test_authenticate_returns_the_token_and_records_its_use(tenancy):
    token, plaintext = create(tenancy.owner, OrgRole.OWNER, organization=tenancy.org)
    found = tokens.authenticate(plaintext, ip="203.0.113.9")
    assert found.pk == token.pk
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_ip == "203.0.113.9"


@pytest.mark.parametrize(
    "raw",
    ["", "aero_", "aero_abcdefgh", "not-a-token", "aero_ABCDEFGH_" + "x" * 43, "Bearer aero_abcdefgh_" + "x" * 43],
)
def test_malformed_tokens_are_invalid(tenancy, raw):
    with pytest.raises(tokens.InvalidToken, match=r"^Invalid API token\.$"):
        tokens.authenticate(raw)


def test_a_wrong_secret_for_a_real_prefix_is_invalid(tenancy):
    token, plaintext = create(tenancy.owner, OrgRole.OWNER, organization=tenancy.org)
    forged = f"{token.prefix}_{'A' * 43}"
    with pytest.raises(tokens.InvalidToken, match=r"^Invalid API token\.$"):
        tokens.authenticate(forged)
    token.refresh_from_db()
    assert token.last_used_at is None


def test_expired_token_is_refused_with_its_date(tenancy):
    token, plaintext = create(
        tenancy.owner, OrgRole.OWNER, organization=tenancy.org, expires_at=timezone.now() + timedelta(days=1)
    )
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(tokens.InvalidToken) as refused:
        tokens.authenticate(plaintext)
    expected = timezone.localtime(timezone.now() - timedelta(hours=1), UTC).strftime("%Y-%m-%d")
    assert refused.value.message.startswith(f"This API token has expired (on {expected} ")
    assert refused.value.message.endswith("UTC); create a new one.")


def test_deleted_token_is_invalid(tenancy):
    token, plaintext = create(tenancy.owner, OrgRole.OWNER, organization=tenancy.org)
    tokens.token_delete(actor=tenancy.owner, token=token)
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    with pytest.raises(tokens.InvalidToken, match=r"^Invalid API token\.$"):
        tokens.authenticate(plaintext)


def test_token_of_a_deployment_being_deleted_is_refused(tenancy, deployment):
    token, plaintext = create(tenancy.owner, WorkspaceRole.OPERATOR, deployment=deployment)
    deployment_services.deployment_delete(actor=tenancy.owner, deployment=deployment, confirm_name=deployment.name)
    with pytest.raises(tokens.InvalidToken, match="Deployment has been deleted"):
        tokens.authenticate(plaintext)


def test_last_use_is_written_at_most_once_a_minute(tenancy, django_assert_num_queries):
    token, plaintext = create(tenancy.owner, OrgRole.OWNER, organization=tenancy.org)
    tokens.authenticate(plaintext, ip="203.0.113.1")
    recent = timezone.now() - timedelta(seconds=20)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    with django_assert_num_queries(1):  # the lookup only: no write within the minute
        tokens.authenticate(plaintext, ip="203.0.113.2")
    token.refresh_from_db()
    assert (token.last_used_at, token.last_used_ip) == (recent, "203.0.113.1")

    stale = timezone.now() - timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    with django_assert_num_queries(2):  # the lookup and one targeted UPDATE
        tokens.authenticate(plaintext, ip="203.0.113.3")
    token.refresh_from_db()
    assert token.last_used_at > stale
    assert token.last_used_ip == "203.0.113.3"


def test_first_use_is_audited_once_naming_the_token(tenancy):
    token, plaintext = create(tenancy.owner, OrgRole.OWNER, name="ci-deployer", organization=tenancy.org)
    for _ in range(3):
        tokens.authenticate(plaintext, ip="203.0.113.7")
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=5))
    events = AuditEvent.objects.filter(action="token.first_use")
    assert events.count() == 1
    event = events.get()
    assert event.actor is None
    assert event.actor_label == f"API token ci-deployer ({token.prefix})"
    assert event.organization == tenancy.org
    assert event.target_id == str(token.pk)
    assert plaintext not in all_stored_text()


# --------------------------------------------------------------------------------------------------- rotate


def test_rotation_gives_a_new_secret_and_the_old_one_stops_at_once(tenancy):
    token, old = create(tenancy.owner, OrgRole.OWNER, organization=tenancy.org)
    old_prefix = token.prefix
    new = tokens.token_rotate(actor=tenancy.owner, token=token)
    assert SHAPE.match(new) and new != old
    with pytest.raises(tokens.InvalidToken, match=r"^Invalid API token\.$"):
        tokens.authenticate(old)
    assert tokens.authenticate(new).pk == token.pk
    token.refresh_from_db()
    assert token.prefix != old_prefix and new.startswith(token.prefix + "_")
    assert token.rotated_at is not None
    event = AuditEvent.objects.get(action="token.rotate")
    assert event.actor == tenancy.owner
    assert event.changes == {"prefix": [old_prefix, token.prefix]}
    assert old not in all_stored_text() and new not in all_stored_text()


def test_an_expired_token_is_not_rotated(tenancy):
    token, _ = create(tenancy.owner, OrgRole.OWNER, organization=tenancy.org)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=1))
    token.refresh_from_db()
    with pytest.raises(ValidationError, match="expired"):
        tokens.token_rotate(actor=tenancy.owner, token=token)


# ------------------------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"name": ""}, "name", "Enter a name"),
        ({"name": "   "}, "name", "Enter a name"),
        ({"name": "x" * 101}, "name", "at most 100"),
        ({"role": "OPERATOR"}, "role", "not a role here"),  # a workspace role for an organisation token
        ({"role": "ADMIN"}, "role", "not a role here"),
        ({"expires_at": "tomorrow"}, "expires_at", "date and time"),
        ({"description": "d" * 501}, "description", "at most 500"),
    ],
)
def test_bad_input_is_refused_with_a_message(tenancy, fields, field, fragment):
    kwargs = {"role": OrgRole.MEMBER, "name": "ci", **fields}
    with pytest.raises(ValidationError) as refused:
        tokens.token_create(actor=tenancy.owner, organization=tenancy.org, **kwargs)
    assert fragment in " ".join(refused.value.message_dict[field])
    assert not ApiToken.objects.exists()


def test_expiry_must_be_in_the_future(tenancy):
    with pytest.raises(ValidationError) as refused:
        create(tenancy.owner, OrgRole.MEMBER, organization=tenancy.org, expires_at=timezone.now() - timedelta(1))
    assert "in the future" in refused.value.message_dict["expires_at"][0]


def test_workspace_and_deployment_tokens_take_workspace_roles(tenancy, deployment):
    with pytest.raises(ValidationError, match="not a role here"):
        create(tenancy.owner, "ADMIN", workspace=tenancy.workspace)
    for role in WorkspaceRole.values:
        token, _ = create(tenancy.owner, role, name=f"d-{role}", deployment=deployment)
        assert (token.scope, token.workspace, token.organization) == ("DEPLOYMENT", tenancy.workspace, tenancy.org)


def test_exactly_one_scope_is_given(tenancy):
    with pytest.raises(ValueError, match="exactly one"):
        tokens.token_create(actor=tenancy.owner, role="MEMBER", name="x")
    with pytest.raises(ValueError, match="exactly one"):
        tokens.token_create(
            actor=tenancy.owner, organization=tenancy.org, workspace=tenancy.workspace, role="MEMBER", name="x"
        )


def test_role_may_not_exceed_the_creators(tenancy, monkeypatch):
    # With today's table only owners manage tokens, so the ceiling bites once a lower role may manage them.
    monkeypatch.setitem(permissions.PERMISSIONS, "token.manage_workspace", WorkspaceRole.OPERATOR)
    operator = UserFactory()
    MembershipFactory(organization=tenancy.org, user=operator)
    BindingFactory(workspace=tenancy.workspace, user=operator, role=WorkspaceRole.OPERATOR)
    with pytest.raises(ValidationError) as refused:
        create(operator, WorkspaceRole.OWNER, workspace=tenancy.workspace)
    assert "higher role than yours" in refused.value.message_dict["role"][0]
    token, _ = create(operator, WorkspaceRole.OPERATOR, workspace=tenancy.workspace)
    assert token.role == WorkspaceRole.OPERATOR


def test_a_token_creating_a_token_is_capped_by_its_own_role(tenancy, monkeypatch):
    monkeypatch.setitem(permissions.PERMISSIONS, "token.manage_workspace", WorkspaceRole.OPERATOR)
    operator_token, _ = create(tenancy.owner, WorkspaceRole.OPERATOR, workspace=tenancy.workspace)
    with pytest.raises(ValidationError, match="higher role than yours"):
        create(operator_token, WorkspaceRole.OWNER, workspace=tenancy.workspace)


# ----------------------------------------------------------------------------------------------- who manages


def test_members_and_outsiders_cannot_manage_tokens(tenancy, deployment):
    for actor in (tenancy.member, tenancy.outsider):
        for target in ({"organization": tenancy.org}, {"workspace": tenancy.workspace}, {"deployment": deployment}):
            with pytest.raises(PermissionDenied):
                create(actor, "MEMBER", **target)
    token, _ = create(tenancy.owner, OrgRole.MEMBER, organization=tenancy.org)
    for actor in (tenancy.member, tenancy.outsider):
        with pytest.raises(PermissionDenied):
            tokens.token_rotate(actor=actor, token=token)
        with pytest.raises(PermissionDenied):
            tokens.token_delete(actor=actor, token=token)
    assert ApiToken.objects.count() == 1
    assert AuditEvent.objects.filter(action__startswith="token.").count() == 1


def test_workspace_owners_manage_workspace_and_deployment_tokens_only(tenancy, deployment, workspace_owner):
    create(workspace_owner, WorkspaceRole.OWNER, workspace=tenancy.workspace)
    create(workspace_owner, WorkspaceRole.OPERATOR, deployment=deployment)
    with pytest.raises(PermissionDenied):
        create(workspace_owner, OrgRole.MEMBER, organization=tenancy.org)
    other = WorkspaceFactory(organization=tenancy.org)
    with pytest.raises(PermissionDenied):
        create(workspace_owner, WorkspaceRole.MEMBER, workspace=other)


def test_audit_entries_for_create_rotate_delete_never_hold_the_secret(tenancy, deployment):
    token, first = create(tenancy.owner, WorkspaceRole.OPERATOR, name="deployer", deployment=deployment)
    second = tokens.token_rotate(actor=tenancy.owner, token=token)
    tokens.token_delete(actor=tenancy.owner, token=token)
    events = list(AuditEvent.objects.filter(action__startswith="token.").order_by("id"))
    assert [e.action for e in events] == ["token.create", "token.rotate", "token.delete"]
    assert all(e.actor == tenancy.owner and e.organization == tenancy.org for e in events)
    assert events[0].changes["role"] == "OPERATOR"
    assert events[0].changes["scope"] == "Deployment Sales pipelines"
    assert first not in all_stored_text() and second not in all_stored_text()


def test_deployment_being_deleted_gets_no_tokens(tenancy, deployment):
    deployment_services.deployment_delete(actor=tenancy.owner, deployment=deployment, confirm_name=deployment.name)
    with pytest.raises(ValidationError, match="being deleted"):
        create(tenancy.owner, WorkspaceRole.MEMBER, deployment=Deployment.objects.get(pk=deployment.pk))


# ------------------------------------------------------------------------------------------ tokens as actors


def test_token_actions_are_audited_under_the_tokens_name_and_user_columns_get_its_creator(tenancy):
    token, _ = create(tenancy.owner, WorkspaceRole.OPERATOR, name="ci-deployer", workspace=tenancy.workspace)
    created = make_deployment(actor=token, workspace=tenancy.workspace, name="From CI")
    assert created.created_by == tenancy.owner
    event = AuditEvent.objects.get(action="deployment.create")
    assert event.actor is None
    assert event.actor_label == f"API token ci-deployer ({token.prefix})"
    assert created.events.get(reason="Created").actor_label == event.actor_label


def test_a_token_whose_creator_is_gone_still_acts_and_leaves_user_columns_empty(tenancy):
    creator = UserFactory()
    MembershipFactory(organization=tenancy.org, user=creator, role=OrgRole.OWNER)
    token, _ = create(creator, WorkspaceRole.OPERATOR, workspace=tenancy.workspace)
    creator.delete()
    token.refresh_from_db()
    assert make_deployment(actor=token, workspace=tenancy.workspace).created_by is None


def test_organisation_owner_token_owns_every_workspace_of_its_organisation_only(tenancy, deployment):
    token, _ = create(tenancy.owner, OrgRole.OWNER, organization=tenancy.org)
    assert org_role(token, tenancy.org) == OrgRole.OWNER
    assert workspace_role(token, tenancy.workspace) == WorkspaceRole.OWNER
    assert deployment_role(token, deployment) == WorkspaceRole.OWNER
    assert can(token, "token.manage_organization", tenancy.org)
    assert org_role(token, tenancy.other_org) is None
    assert not can(token, "workspace.view", tenancy.other_workspace)
    assert not Organization.objects.for_actor(token).filter(pk=tenancy.other_org.pk).exists()
    assert set(Workspace.objects.for_actor(token)) == {tenancy.workspace}


def test_organisation_member_token_reads_the_organisation_but_no_workspace(tenancy, deployment):
    token, _ = create(tenancy.owner, OrgRole.MEMBER, organization=tenancy.org)
    assert can(token, "organization.view", tenancy.org)
    assert can(token, "team.view", tenancy.org)
    assert not can(token, "team.manage", tenancy.org)
    assert workspace_role(token, tenancy.workspace) is None
    assert not Workspace.objects.for_actor(token).exists()
    assert not Deployment.objects.for_actor(token).exists()


def test_workspace_token_acts_on_its_workspace_only(tenancy, deployment):
    sibling = WorkspaceFactory(organization=tenancy.org, name="Marketing")
    elsewhere = make_deployment(actor=tenancy.owner, workspace=sibling, name="Elsewhere")
    TeamFactory(organization=tenancy.org)
    token, _ = create(tenancy.owner, WorkspaceRole.OPERATOR, workspace=tenancy.workspace)
    assert workspace_role(token, tenancy.workspace) == WorkspaceRole.OPERATOR
    assert workspace_role(token, sibling) is None
    assert can(token, "deployment.create", tenancy.workspace)
    assert not can(token, "deployment.create", sibling)
    assert not can(token, "workspace.manage_members", tenancy.workspace)
    assert set(Deployment.objects.for_actor(token)) == {deployment}
    assert not Deployment.objects.for_actor(token).filter(pk=elsewhere.pk).exists()
    # Its organisation and clusters it may see (to create Deployments), nothing else of the organisation.
    assert can(token, "organization.view", tenancy.org) and can(token, "cluster.view", tenancy.org)
    assert not can(token, "team.view", tenancy.org)
    assert not can(token, "organization.view_members", tenancy.org)
    assert not Team.objects.for_actor(token).exists()
    assert list(Organization.objects.for_actor(token)) == [tenancy.org]


def test_deployment_token_reaches_its_deployment_only(tenancy, deployment):
    other = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Other")
    token, _ = create(tenancy.owner, WorkspaceRole.OPERATOR, deployment=deployment)
    assert deployment_role(token, deployment) == WorkspaceRole.OPERATOR
    assert deployment_role(token, other) is None
    assert can(token, "deployment.update", deployment)
    assert can(token, "deployment.update", deployment.queues.get())  # its queues and variables too
    assert not can(token, "deployment.view", other)
    assert not can(token, "deployment.create", tenancy.workspace)
    assert not can(token, "workspace.view", tenancy.workspace)
    assert list(Deployment.objects.for_actor(token)) == [deployment]
    assert list(Deployment.objects.for_actor(token, "deployment.update")) == [deployment]
    assert not Workspace.objects.for_actor(token).exists()


def test_deployment_owner_token_still_cannot_manage_tokens(tenancy, deployment):
    token, _ = create(tenancy.owner, WorkspaceRole.OWNER, deployment=deployment)
    assert not can(token, "token.manage_workspace", tenancy.workspace)
    assert not can(token, "token.manage_workspace", deployment)
    assert not ApiToken.objects.for_actor(token).exists()
    with pytest.raises(PermissionDenied):
        create(token, WorkspaceRole.MEMBER, deployment=deployment)


def test_workspace_member_token_is_read_only(tenancy, deployment):
    token, _ = create(tenancy.owner, WorkspaceRole.MEMBER, workspace=tenancy.workspace)
    assert can(token, "deployment.view", deployment)
    assert not can(token, "deployment.update", deployment)
    assert not Deployment.objects.for_actor(token, "deployment.update").exists()


def test_an_expired_token_can_do_nothing(tenancy):
    token, _ = create(tenancy.owner, OrgRole.OWNER, organization=tenancy.org)
    token.expires_at = timezone.now() - timedelta(seconds=1)
    assert not can(token, "organization.view", tenancy.org)
    assert not Organization.objects.for_actor(token).exists()


def test_tokens_cannot_leave_or_create_organisations(tenancy):
    from accounts import services as account_services

    token, _ = create(tenancy.owner, OrgRole.OWNER, organization=tenancy.org)
    assert not can(token, "organization.leave", tenancy.org)
    with pytest.raises(PermissionDenied):
        account_services.organization_create(actor=token, name="Token Corp")
    assert not Organization.objects.filter(name="Token Corp").exists()


def test_tokens_see_their_clusters_and_the_platforms(tenancy):
    own = make_cluster(organization=tenancy.org, name="acme-prod")
    platform = make_cluster(organization=None, name="shared")
    make_cluster(organization=tenancy.other_org, name="globex-prod")
    token, _ = create(tenancy.owner, WorkspaceRole.MEMBER, workspace=tenancy.workspace)
    assert set(Cluster.objects.for_actor(token)) == {own, platform}
    assert not Cluster.objects.for_actor(token, "cluster.manage").exists()


def test_token_lists_show_what_the_actor_manages(tenancy, deployment, workspace_owner):
    org_token, _ = create(tenancy.owner, OrgRole.MEMBER, name="org", organization=tenancy.org)
    ws_token, _ = create(tenancy.owner, WorkspaceRole.MEMBER, name="ws", workspace=tenancy.workspace)
    dep_token, _ = create(tenancy.owner, WorkspaceRole.MEMBER, name="dep", deployment=deployment)
    assert set(tokens.tokens_for(actor=tenancy.owner)) == {org_token, ws_token, dep_token}
    assert set(tokens.tokens_for(actor=workspace_owner)) == {ws_token, dep_token}
    assert not tokens.tokens_for(actor=tenancy.member).exists()
    assert not tokens.tokens_for(actor=tenancy.outsider).exists()
    assert set(tokens.tokens_for(actor=tenancy.owner, workspace=tenancy.workspace)) == {ws_token, dep_token}
    assert list(tokens.tokens_for(actor=tenancy.owner, deployment=deployment)) == [dep_token]
    with pytest.raises(ValueError):
        ApiToken.objects.for_actor(tenancy.owner, "workspace.view")


def test_an_expiring_token_cannot_make_a_token_that_outlives_it(tenancy):
    expires = timezone.now() + timedelta(days=1)
    parent, _ = tokens.token_create(
        actor=tenancy.owner, organization=tenancy.org, role=OrgRole.OWNER, name="parent", expires_at=expires
    )

    for later in (None, expires + timedelta(days=30)):
        with pytest.raises(ValidationError) as caught:
            tokens.token_create(
                actor=parent, organization=tenancy.org, role=OrgRole.OWNER, name="child", expires_at=later
            )
        assert "cannot outlive it" in caught.value.message_dict["expires_at"][0]

    child, _ = tokens.token_create(
        actor=parent,
        organization=tenancy.org,
        role=OrgRole.OWNER,
        name="child",
        expires_at=expires - timedelta(hours=1),
    )
    assert child.expires_at < parent.expires_at


def test_a_workspace_owner_token_can_give_a_team_a_role_on_its_workspace(tenancy):
    from rest_framework.test import APIClient

    team = Team.objects.create(organization=tenancy.org, name="Analysts")
    foreign = Team.objects.create(organization=tenancy.other_org, name="Spies")
    _, plaintext = tokens.token_create(
        actor=tenancy.owner, workspace=tenancy.workspace, role=WorkspaceRole.OWNER, name="ws-admin"
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    url = f"/api/v1/workspaces/{tenancy.workspace.pk}/bindings/"

    assert client.post(url, {"team": foreign.pk, "role": "AUTHOR"}, format="json").status_code == 400
    response = client.post(url, {"team": team.pk, "role": "AUTHOR"}, format="json")

    assert response.status_code == 201, response.content
    assert tenancy.workspace.bindings.get(team=team).role == "AUTHOR"
