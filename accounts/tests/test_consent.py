"""People join an organisation only with their consent (issue 8, section 2).

Owners cannot add an existing account directly, on the pages or in the API: they invite, and the person joins by
accepting. Only platform staff, in the admin, may still add a membership, and that is audited. And nothing an owner
sees tells whether an address has an Aerodrome account: inviting one that has and one that has not answers the same
way (pages and API), doing the same work (the same queries, one email each)."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.models import AuditEvent, Invitation, OrganizationMembership
from accounts.roles import OrgRole
from accounts.tests.api_helpers import api_client
from accounts.tests.factories import UserFactory
from accounts.tests.page_helpers import HTMX, db_state, text

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/organizations/acme/members/"
INVITATIONS = "/api/v1/organizations/acme/invitations/"


def is_member(org, user) -> bool:
    return OrganizationMembership.objects.filter(organization=org, user=user).exists()


# No direct adding


def test_owner_cannot_add_an_existing_account_from_the_members_page(login, tenancy):
    before = db_state()
    response = login(tenancy.owner).post(
        f"/orgs/{tenancy.org.slug}/members/add/", {"email": tenancy.outsider.email, "role": OrgRole.OWNER}
    )
    assert response.status_code == 404
    assert not is_member(tenancy.org, tenancy.outsider)
    assert db_state() == before


def test_members_page_offers_only_the_invitation_form(login, tenancy):
    body = text(login(tenancy.owner).get(reverse("organization_members", args=["acme"])))
    assert "Add someone with an account" not in body
    assert 'id="org-add-member-form"' not in body
    assert "/members/add/" not in body
    assert 'id="invite-form"' in body


def test_owner_cannot_add_an_existing_account_through_the_api(tenancy):
    before = db_state()
    response = api_client(tenancy.owner).post(
        MEMBERS, {"email": tenancy.outsider.email, "role": OrgRole.OWNER}, format="json"
    )
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert not is_member(tenancy.org, tenancy.outsider)
    assert db_state() == before


def test_the_api_schema_offers_no_way_to_add_members(tenancy):
    schema = api_client(tenancy.owner).get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    members = schema["paths"]["/api/v1/organizations/{organization_slug}/members/"]
    assert "post" not in members
    assert "post" in schema["paths"]["/api/v1/organizations/{organization_slug}/invitations/"]


def test_owner_cannot_add_memberships_through_the_service(tenancy):
    with pytest.raises(PermissionDenied):
        services.organization_member_add_by_staff(
            actor=tenancy.owner, organization=tenancy.org, user=tenancy.outsider, role=OrgRole.MEMBER
        )
    assert not is_member(tenancy.org, tenancy.outsider)


def test_platform_staff_may_add_a_membership_and_it_is_audited(tenancy):
    staff = UserFactory(email="staff@aerodrome.test", is_staff=True, is_superuser=True)
    membership = services.organization_member_add_by_staff(
        actor=staff, organization=tenancy.org, user=tenancy.outsider, role=OrgRole.MEMBER
    )
    assert membership.role == OrgRole.MEMBER and is_member(tenancy.org, tenancy.outsider)
    event = AuditEvent.objects.get(action="organization.member_add")
    assert event.actor == staff and event.organization == tenancy.org
    assert event.changes == {"role": [None, OrgRole.MEMBER], "added_by": "platform staff"}


def test_staff_without_the_admin_permission_cannot_add_a_membership(tenancy):
    staff = UserFactory(email="helpdesk@aerodrome.test", is_staff=True)  # no model permissions
    with pytest.raises(PermissionDenied):
        services.organization_member_add_by_staff(
            actor=staff, organization=tenancy.org, user=tenancy.outsider, role=OrgRole.MEMBER
        )


# Inviting an address with an account answers as inviting one without


def _without(body: str, address: str) -> str:
    """The body with the address and anything that differs per request (CSRF tokens, invitation ids) taken out."""
    body = body.replace(address, "ADDRESS")
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"', "CSRF", body)
    body = re.sub(r"/invitations/\d+/", "/invitations/ID/", body)
    return re.sub(r'id="invitation-\d+"', 'id="invitation-ID"', body)


def _headers(response) -> dict:
    varying = {"set-cookie", "content-length", "date", "x-request-id"}
    return {k.lower(): v for k, v in response.headers.items() if k.lower() not in varying}


def _invite_page(client, address, **extra):
    return client.post(reverse("invitation_create", args=["acme"]), {"emails": address, "org_role": "MEMBER"}, **extra)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_inviting_an_address_with_an_account_answers_like_one_without(login, tenancy, smtp_server, htmx):
    known, unknown = "known@elsewhere.test", "unknown@elsewhere.test"
    UserFactory(email=known)
    client = login(tenancy.owner)
    extra = HTMX if htmx else {}

    answers = {}
    for address in (known, unknown):
        response = _invite_page(client, address, **extra)
        if htmx:
            answers[address] = (response.status_code, _headers(response), _without(text(response), address))
        else:
            page = client.get(response["Location"])  # with the confirmation message
            answers[address] = (response.status_code, response["Location"], _without(text(page), address))
        Invitation.objects.all().delete()  # each request starts from the same pending list

    assert answers[known][0] == (200 if htmx else 302)
    assert "Invited ADDRESS." in answers[known][-1]
    assert answers[known] == answers[unknown]
    assert smtp_server.recipients == [[known], [unknown]]


def test_inviting_through_the_api_answers_the_same_whether_or_not_the_address_has_an_account(tenancy, smtp_server):
    known, unknown = "known@elsewhere.test", "unknown@elsewhere.test"
    UserFactory(email=known)
    client = api_client(tenancy.owner)
    answers = {}
    for address in (known, unknown):
        response = client.post(INVITATIONS, {"emails": [address], "org_role": "MEMBER"}, format="json")
        body = response.content.decode().replace(address, "ADDRESS")
        body = re.sub(r'"(id|expires_at|sent_at|created_at)":\s*("[^"]*"|\d+)', r'"\1":X', body)
        answers[address] = (response.status_code, _headers(response), body)
    assert answers[known][0] == 201
    assert answers[known] == answers[unknown]
    assert Invitation.objects.filter(email__in=[known, unknown]).count() == 2
    assert smtp_server.recipients == [[known], [unknown]]


def test_inviting_does_the_same_work_whether_or_not_the_address_has_an_account(tenancy, smtp_server):
    """What timing could tell comes from the work done: the same queries, and one email, on both paths."""
    from accounts.invitations import services as invitations

    known, unknown = "known@elsewhere.test", "unknown@elsewhere.test"
    UserFactory(email=known)
    work = {}
    for address in (known, unknown):
        sent_before = len(smtp_server.messages)
        with CaptureQueriesContext(connection) as queries:
            invitations.invitations_create(actor=tenancy.owner, organization=tenancy.org, emails=[address])
        statements = [re.sub(r"'[^']*'|\"s\w+\"|\b\d+\b", "?", q["sql"]) for q in queries.captured_queries]
        work[address] = (statements, len(smtp_server.messages) - sent_before)
    assert work[known] == work[unknown]
    assert work[known][1] == 1
