"""Every invalid field is reported at once by the accounts and workspaces services too (aerodrome.validation's
ErrorCollector), whichever interface calls them."""

import pytest
from django.core.exceptions import ValidationError

from accounts.tests.api_helpers import api_client, assert_error
from accounts.tests.page_helpers import db_state
from workspaces import services as workspace_services

pytestmark = pytest.mark.django_db


def test_inviting_through_the_api_reports_a_bad_role_and_too_many_addresses_together(tenancy):
    before = db_state()
    response = api_client(tenancy.owner).post(
        "/api/v1/organizations/acme/invitations/",
        {"emails": [f"p{i}@acme.test" for i in range(60)], "org_role": "KING"},
        format="json",
    )
    fields = assert_error(response, 400, "invalid")["fields"]
    assert set(fields) == {"emails", "org_role"}
    assert db_state() == before


def test_giving_a_workspace_role_reports_a_bad_role_and_an_outsider_together(tenancy):
    with pytest.raises(ValidationError) as refused:
        workspace_services.workspace_member_add(
            actor=tenancy.owner, workspace=tenancy.workspace, user=tenancy.outsider, role="KING"
        )
    assert set(refused.value.message_dict) == {"role", "user"}


def test_inviting_reports_a_bad_role_and_too_many_addresses_together(tenancy):
    from accounts.invitations import services as invitations

    addresses = [f"person{i}@acme.test" for i in range(invitations.MAX_ADDRESSES + 1)]
    before = db_state()
    with pytest.raises(ValidationError) as refused:
        invitations.invitations_create(actor=tenancy.owner, organization=tenancy.org, emails=addresses, org_role="KING")
    assert set(refused.value.message_dict) == {"org_role", "emails"}
    assert db_state() == before
