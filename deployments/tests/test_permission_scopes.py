"""Permission scopes within a request: pages filter on the ids the person's roles reach, read once per request."""

import pytest

from accounts.models import Organization, Team
from accounts.permissions import PERMISSIONS, remembering_roles
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import (
    BindingFactory,
    MembershipFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
    WorkspaceFactory,
)
from deployments.models import Deployment
from workspaces.models import Workspace, WorkspaceRoleBinding

pytestmark = pytest.mark.django_db


def test_within_a_request_every_actor_reaches_exactly_what_the_subqueries_reach(tenancy):
    """Pages filter on the ids a person's roles reach, read once per request (`remembering_roles`); the rows must be
    those the membership and binding subqueries (used outside requests) give, for every kind of person and role."""
    second = WorkspaceFactory(organization=tenancy.org, name="Second")
    third = WorkspaceFactory(organization=tenancy.other_org, name="Third")
    for workspace in (tenancy.workspace, second, tenancy.other_workspace, third):
        Deployment.objects.create(
            workspace=workspace,
            name=workspace.name,
            release_name=f"r{workspace.pk}",
            generated_secrets={"fernet_key": "x"},
        )
    author = UserFactory()  # a member of both organisations: an author through a team here, owner there
    MembershipFactory(organization=tenancy.org, user=author, role=OrgRole.MEMBER)
    MembershipFactory(organization=tenancy.other_org, user=author, role=OrgRole.OWNER)
    team = TeamFactory(organization=tenancy.org)
    TeamMembershipFactory(team=team, user=author)
    WorkspaceRoleBinding.objects.create(workspace=second, team=team, role=WorkspaceRole.AUTHOR)
    BindingFactory(workspace=tenancy.workspace, user=author, role=WorkspaceRole.MEMBER)
    stray = UserFactory()  # bound, but in no organisation
    BindingFactory(workspace=second, user=stray, role=WorkspaceRole.OWNER)
    models = {"organization": Organization, "team": Team, "workspace": Workspace, "deployment": Deployment}

    for actor in (tenancy.owner, tenancy.member, tenancy.outsider, author, stray, UserFactory()):
        for permission in PERMISSIONS:
            model = models.get(permission.split(".")[0])
            if model is None:
                continue
            outside = set(model.objects.for_actor(actor, permission).values_list("pk", flat=True))
            with remembering_roles():
                inside = set(model.objects.for_actor(actor, permission).values_list("pk", flat=True))
            assert inside == outside, (actor.email, permission)
    with remembering_roles():  # and the mix is what the roles say
        reached = set(Deployment.objects.for_actor(author, "deployment.deploy").values_list("workspace", flat=True))
    assert reached == {second.pk, tenancy.other_workspace.pk, third.pk}
