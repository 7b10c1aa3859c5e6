"""/api/v1/organizations/ and its members/ and invitations/ with the three personas."""

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Organization, OrganizationMembership
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.api_helpers import (
    api_client,
    assert_error,
    assert_field_error,
    assert_forbidden,
    assert_not_found,
)
from accounts.tests.factories import BindingFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

ORGS = "/api/v1/organizations/"


def org_url(slug="acme"):
    return f"{ORGS}{slug}/"


def members_url(slug="acme"):
    return f"{ORGS}{slug}/members/"


def member_url(membership, slug="acme"):
    return f"{ORGS}{slug}/members/{membership.pk}/"


def membership_of(user, org):
    return OrganizationMembership.objects.get(user=user, organization=org)


# Anonymous callers


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ORGS),
        ("post", ORGS),
        ("get", "/api/v1/organizations/acme/"),
        ("patch", "/api/v1/organizations/acme/"),
        ("post", "/api/v1/organizations/acme/leave/"),
        ("get", "/api/v1/organizations/acme/members/"),
        ("post", "/api/v1/organizations/acme/members/"),
    ],
)
def test_anonymous_caller_is_refused(tenancy, method, path):
    response = getattr(api_client(), method)(path, {"name": "X"}, format="json")
    assert response.status_code in (401, 403)
    assert_error(response, response.status_code, "not_authenticated")
    assert Organization.objects.count() == 2
    assert Organization.objects.get(slug="acme").name == "Acme Data"


# Listing and reading


def test_list_shows_only_the_callers_organisations_with_their_role(tenancy):
    response = api_client(tenancy.member).get(ORGS)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(o["slug"], o["name"], o["role"]) for o in results] == [("acme", "Acme Data", "MEMBER")]


def test_owner_sees_their_role_as_owner(tenancy):
    response = api_client(tenancy.owner).get(org_url())
    assert response.status_code == 200
    assert response.json()["role"] == "OWNER"


def test_member_can_retrieve_their_organisation(tenancy):
    response = api_client(tenancy.member).get(org_url())
    assert response.status_code == 200
    assert response.json()["name"] == "Acme Data"


def test_outsider_gets_404_for_another_organisation(tenancy):
    assert_not_found(api_client(tenancy.outsider).get(org_url()))


def test_unknown_organisation_is_404_like_another_tenants(tenancy):
    assert_not_found(api_client(tenancy.owner).get(org_url("nope")))


def test_organisation_list_is_cursor_paginated(tenancy):
    for n in range(3):
        MembershipFactory(organization=OrganizationFactory(name=f"Extra {n}"), user=tenancy.owner, role=OrgRole.OWNER)
    client = api_client(tenancy.owner)
    first = client.get(ORGS, {"page_size": 2}).json()
    assert len(first["results"]) == 2
    assert first["next"] and "cursor=" in first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2
    assert second["next"] is None
    assert second["previous"]
    slugs = [o["slug"] for page in (first, second) for o in page["results"]]
    assert len(slugs) == len(set(slugs)) == 4
    assert "globex" not in slugs


# Creating


def test_any_signed_in_user_creates_an_organisation_and_owns_it(tenancy):
    newcomer = UserFactory()
    response = api_client(newcomer).post(ORGS, {"name": "  Initech  "}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Initech"
    assert body["slug"] == "initech"
    assert body["role"] == "OWNER"
    organization = Organization.objects.get(slug="initech")
    assert membership_of(newcomer, organization).role == OrgRole.OWNER
    event = AuditEvent.objects.get(action="organization.create")
    assert (event.actor, event.organization) == (newcomer, organization)


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Enter a name."), ("   ", "Enter a name."), ("x" * 101, "at most 100 characters")],
)
def test_create_organisation_rejects_a_bad_name(tenancy, name, message):
    response = api_client(tenancy.owner).post(ORGS, {"name": name}, format="json")
    assert_field_error(response, "name", message)
    assert Organization.objects.count() == 2
    assert not AuditEvent.objects.exists()


def test_create_organisation_needs_a_name_field(tenancy):
    response = api_client(tenancy.owner).post(ORGS, {}, format="json")
    assert_field_error(response, "name", "required")
    assert Organization.objects.count() == 2


# Renaming


def test_owner_renames_organisation(tenancy):
    response = api_client(tenancy.owner).patch(org_url(), {"name": "Acme Analytics"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Acme Analytics"
    tenancy.org.refresh_from_db()
    assert tenancy.org.name == "Acme Analytics"
    event = AuditEvent.objects.get(action="organization.update")
    assert event.actor == tenancy.owner
    assert event.changes == {"name": ["Acme Data", "Acme Analytics"]}


def test_member_cannot_rename_organisation(tenancy):
    response = api_client(tenancy.member).patch(org_url(), {"name": "Hijacked"}, format="json")
    assert_forbidden(response)
    tenancy.org.refresh_from_db()
    assert tenancy.org.name == "Acme Data"
    assert not AuditEvent.objects.exists()


def test_member_is_refused_before_their_input_is_checked(tenancy):
    response = api_client(tenancy.member).patch(org_url(), {"name": ""}, format="json")
    assert_forbidden(response)


def test_outsider_cannot_rename_another_organisation(tenancy):
    assert_not_found(api_client(tenancy.outsider).patch(org_url(), {"name": "Mine"}, format="json"))
    tenancy.org.refresh_from_db()
    assert tenancy.org.name == "Acme Data"


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Enter a name."), ("x" * 101, "at most 100 characters long (it has 101)")],
)
def test_rename_organisation_rejects_a_bad_name(tenancy, name, message):
    response = api_client(tenancy.owner).patch(org_url(), {"name": name}, format="json")
    assert_field_error(response, "name", message)
    tenancy.org.refresh_from_db()
    assert tenancy.org.name == "Acme Data"
    assert not AuditEvent.objects.exists()


def test_organisation_cannot_be_replaced_with_put(tenancy):
    response = api_client(tenancy.owner).put(org_url(), {"name": "X"}, format="json")
    assert_error(response, 405)


# Leaving


def test_member_leaves_organisation_and_loses_their_workspace_roles(tenancy):
    response = api_client(tenancy.member).post(f"{org_url()}leave/")
    assert response.status_code == 204, response.content
    assert not OrganizationMembership.objects.filter(user=tenancy.member, organization=tenancy.org).exists()
    assert not tenancy.workspace.bindings.filter(user=tenancy.member).exists()
    assert AuditEvent.objects.get(action="organization.leave").actor == tenancy.member


def test_last_owner_cannot_leave_organisation(tenancy):
    response = api_client(tenancy.owner).post(f"{org_url()}leave/")
    assert_field_error(response, "role", "last owner")
    assert membership_of(tenancy.owner, tenancy.org).role == OrgRole.OWNER
    assert not AuditEvent.objects.exists()


def test_outsider_cannot_leave_another_organisation(tenancy):
    assert_not_found(api_client(tenancy.outsider).post(f"{org_url()}leave/"))


# Members: listing


def test_member_lists_the_organisations_members(tenancy):
    response = api_client(tenancy.member).get(members_url())
    assert response.status_code == 200
    rows = {(m["user"]["email"], m["role"]) for m in response.json()["results"]}
    assert rows == {("owner@acme.test", "OWNER"), ("member@acme.test", "MEMBER")}


def test_member_list_is_cursor_paginated(tenancy):
    for _ in range(3):
        MembershipFactory(organization=tenancy.org)
    client = api_client(tenancy.owner)
    first = client.get(members_url(), {"page_size": 2}).json()
    assert len(first["results"]) == 2
    assert first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2
    third = client.get(second["next"]).json()
    assert third["next"] is None
    emails = [m["user"]["email"] for page in (first, second, third) for m in page["results"]]
    assert len(emails) == len(set(emails)) == 5


def test_outsider_gets_404_for_another_organisations_members(tenancy):
    client = api_client(tenancy.outsider)
    membership = membership_of(tenancy.member, tenancy.org)
    assert_not_found(client.get(members_url()))
    assert_not_found(client.post(members_url(), {"email": "outsider@globex.test"}, format="json"))
    assert_not_found(client.patch(member_url(membership), {"role": "OWNER"}, format="json"))
    assert_not_found(client.delete(member_url(membership)))
    assert membership_of(tenancy.member, tenancy.org).role == OrgRole.MEMBER
    assert not OrganizationMembership.objects.filter(user=tenancy.outsider, organization=tenancy.org).exists()


def test_membership_of_another_organisation_is_404_under_your_own(tenancy):
    theirs = membership_of(tenancy.outsider, tenancy.other_org)
    client = api_client(tenancy.owner)
    assert_not_found(client.patch(member_url(theirs), {"role": "MEMBER"}, format="json"))
    assert_not_found(client.delete(member_url(theirs)))
    assert membership_of(tenancy.outsider, tenancy.other_org).role == OrgRole.OWNER


# Invitations (there is no adding members directly: accounts/tests/test_consent.py)


def invitations_url(slug="acme"):
    return f"/api/v1/organizations/{slug}/invitations/"


def test_owner_invites_and_the_invitation_is_listed(tenancy, smtp_server):
    response = api_client(tenancy.owner).post(
        invitations_url(), {"emails": ["New@Acme.test"], "org_role": "OWNER"}, format="json"
    )
    assert response.status_code == 201, response.content
    [result] = response.json()["results"]
    assert result["email"] == "new@acme.test" and result["result"] == "invited" and result["sent"]
    assert result["invitation"]["org_role"] == "OWNER" and result["invitation"]["status"] == "PENDING"
    assert smtp_server.recipients == [["new@acme.test"]]
    event = AuditEvent.objects.get(action="invitation.create")
    assert event.actor == tenancy.owner
    listed = api_client(tenancy.owner).get(invitations_url()).json()["results"]
    assert [i["email"] for i in listed] == ["new@acme.test"]
    assert not OrganizationMembership.objects.filter(user__email="new@acme.test").exists()  # joins on accepting


def test_inviting_a_member_or_a_bad_address_invites_no_one_and_answers_200(tenancy, smtp_server):
    response = api_client(tenancy.owner).post(
        invitations_url(), {"emails": ["member@acme.test", "not-an-address"]}, format="json"
    )
    assert response.status_code == 200
    assert [r["result"] for r in response.json()["results"]] == ["member", "malformed"]
    assert not smtp_server.messages


def test_member_cannot_invite_or_list_invitations(tenancy):
    client = api_client(tenancy.member)
    assert_forbidden(client.post(invitations_url(), {"emails": ["new@acme.test"]}, format="json"))
    assert_forbidden(client.get(invitations_url()))
    assert not AuditEvent.objects.exists()


def test_outsider_cannot_see_or_invite_to_another_organisation(tenancy):
    assert_not_found(api_client(tenancy.outsider).post(invitations_url(), {"emails": ["x@acme.test"]}, format="json"))


def test_inviting_rejects_an_unknown_role_and_a_workspace_of_another_organisation_together(tenancy):
    response = api_client(tenancy.owner).post(
        invitations_url(),
        {"emails": ["new@acme.test"], "org_role": "ADMIN", "workspace": tenancy.other_workspace.pk},
        format="json",
    )
    error = assert_field_error(response, "workspace", "Acme Data has no workspace with the id")
    assert not AuditEvent.objects.exists() and error


def test_inviting_rejects_an_unknown_role(tenancy):
    response = api_client(tenancy.owner).post(
        invitations_url(), {"emails": ["new@acme.test"], "org_role": "ADMIN"}, format="json"
    )
    assert_field_error(response, "org_role", "'ADMIN' is not a role here")
    assert not AuditEvent.objects.exists()


def test_owner_resends_and_revokes_an_invitation(tenancy, smtp_server):
    client = api_client(tenancy.owner)
    created = client.post(invitations_url(), {"emails": ["new@acme.test"]}, format="json").json()
    pk = created["results"][0]["invitation"]["id"]
    resent = client.post(f"{invitations_url()}{pk}/resend/")
    assert resent.status_code == 200 and resent.json()["send_count"] == 2
    assert client.delete(f"{invitations_url()}{pk}/").status_code == 204
    assert client.get(invitations_url()).json()["results"] == []
    assert_not_found(client.delete(f"{invitations_url()}{pk}/"))


# Members: changing roles


def test_owner_promotes_a_member(tenancy):
    membership = membership_of(tenancy.member, tenancy.org)
    response = api_client(tenancy.owner).patch(member_url(membership), {"role": "OWNER"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "OWNER"
    assert membership_of(tenancy.member, tenancy.org).role == OrgRole.OWNER
    event = AuditEvent.objects.get(action="organization.member_role_change")
    assert event.changes == {"role": ["MEMBER", "OWNER"]}


def test_member_cannot_change_roles(tenancy):
    membership = membership_of(tenancy.member, tenancy.org)
    response = api_client(tenancy.member).patch(member_url(membership), {"role": "OWNER"}, format="json")
    assert_forbidden(response)
    assert membership_of(tenancy.member, tenancy.org).role == OrgRole.MEMBER
    assert not AuditEvent.objects.exists()


def test_change_role_rejects_an_unknown_role(tenancy):
    membership = membership_of(tenancy.member, tenancy.org)
    response = api_client(tenancy.owner).patch(member_url(membership), {"role": "owner"}, format="json")
    assert_field_error(response, "role", "is not a role here")
    assert membership_of(tenancy.member, tenancy.org).role == OrgRole.MEMBER


def test_last_owner_cannot_be_demoted(tenancy):
    membership = membership_of(tenancy.owner, tenancy.org)
    response = api_client(tenancy.owner).patch(member_url(membership), {"role": "MEMBER"}, format="json")
    assert_field_error(response, "role", "last owner")
    assert membership_of(tenancy.owner, tenancy.org).role == OrgRole.OWNER
    assert not AuditEvent.objects.exists()


def test_an_owner_can_be_demoted_when_another_remains(tenancy):
    second = MembershipFactory(organization=tenancy.org, role=OrgRole.OWNER)
    response = api_client(tenancy.owner).patch(member_url(second), {"role": "MEMBER"}, format="json")
    assert response.status_code == 200
    second.refresh_from_db()
    assert second.role == OrgRole.MEMBER


# Members: removing


def test_owner_removes_a_member_and_their_workspace_roles(tenancy):
    membership = membership_of(tenancy.member, tenancy.org)
    response = api_client(tenancy.owner).delete(member_url(membership))
    assert response.status_code == 204, response.content
    assert not OrganizationMembership.objects.filter(pk=membership.pk).exists()
    assert not tenancy.workspace.bindings.filter(user=tenancy.member).exists()
    event = AuditEvent.objects.get(action="organization.member_remove")
    assert (event.actor, event.target_id) == (tenancy.owner, str(tenancy.member.pk))


def test_member_cannot_remove_members(tenancy):
    membership = membership_of(tenancy.owner, tenancy.org)
    response = api_client(tenancy.member).delete(member_url(membership))
    assert_forbidden(response)
    assert OrganizationMembership.objects.filter(pk=membership.pk).exists()
    assert not AuditEvent.objects.exists()


def test_last_owner_cannot_be_removed(tenancy):
    BindingFactory(workspace=tenancy.workspace, user=tenancy.owner, role=WorkspaceRole.OWNER)
    membership = membership_of(tenancy.owner, tenancy.org)
    response = api_client(tenancy.owner).delete(member_url(membership))
    assert_field_error(response, "role", "last owner")
    assert OrganizationMembership.objects.filter(pk=membership.pk).exists()
    assert tenancy.workspace.bindings.filter(user=tenancy.owner).exists()
    assert not AuditEvent.objects.exists()


# Documentation


def test_schema_endpoint_answers(tenancy):
    response = api_client().get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/organizations/{slug}/" in response.content


def test_docs_page_answers(tenancy):
    response = api_client().get("/api/v1/docs/")
    assert response.status_code == 200


def test_an_organisation_token_invites_on_behalf_of_its_creator(tenancy, smtp_server):
    from accounts.tokens import services as tokens

    _, plaintext = tokens.token_create(actor=tenancy.owner, organization=tenancy.org, role=OrgRole.OWNER, name="CI")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    response = client.post(invitations_url(), {"emails": ["robot-invited@acme.test"]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["results"][0]["invitation"]["invited_by"]["email"] == "owner@acme.test"
    assert smtp_server.recipients == [["robot-invited@acme.test"]]
