"""Shared fixtures. The personas follow DESIGN.md: an owner, a read-only member and an outsider."""

from dataclasses import dataclass

import pytest

from accounts.models import AuditEvent, Organization, User
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import (
    PASSWORD,
    BindingFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    WorkspaceFactory,
)
from workspaces.models import Workspace


@dataclass
class Tenancy:
    org: Organization
    workspace: Workspace
    owner: User  # organisation owner, so owner of every workspace
    member: User  # organisation member with the read-only workspace role
    outsider: User  # owner of another organisation
    other_org: Organization
    other_workspace: Workspace


@pytest.fixture
def tenancy(db) -> Tenancy:
    org = OrganizationFactory(name="Acme Data", slug="acme")
    workspace = WorkspaceFactory(organization=org, name="Analytics")
    owner = UserFactory(email="owner@acme.test", full_name="Olive Owner")
    member = UserFactory(email="member@acme.test", full_name="Mo Member")
    MembershipFactory(organization=org, user=owner, role=OrgRole.OWNER)
    MembershipFactory(organization=org, user=member, role=OrgRole.MEMBER)
    BindingFactory(workspace=workspace, user=member, role=WorkspaceRole.MEMBER)

    other_org = OrganizationFactory(name="Globex", slug="globex")
    other_workspace = WorkspaceFactory(organization=other_org, name="Globex Ops")
    outsider = UserFactory(email="outsider@globex.test")
    MembershipFactory(organization=other_org, user=outsider, role=OrgRole.OWNER)
    return Tenancy(org, workspace, owner, member, outsider, other_org, other_workspace)


@pytest.fixture
def login(client):
    """Log the test client in as a user; returns the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def audit_count(db):
    return lambda action: AuditEvent.objects.filter(action=action).count()


__all__ = ["PASSWORD"]
