"""/api/v1/organizations/{slug}/audit/: the organisation's audit log, for its owners (and owner tokens) as the
page is, filterable by actor, action, time and target, cursor-paginated."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import AuditEvent
from accounts.tests.api_helpers import api_client, assert_error, assert_forbidden, assert_not_found
from accounts.tokens import services as tokens
from workspaces import services as workspace_services

pytestmark = pytest.mark.django_db

AUDIT = "/api/v1/organizations/acme/audit/"


@pytest.fixture
def trail(tenancy):
    team = services.team_create(actor=tenancy.owner, organization=tenancy.org, name="Data")
    services.team_update(actor=tenancy.owner, team=team, name="Data team")
    workspace_services.workspace_create(actor=tenancy.owner, organization=tenancy.org, name="Marketing")
    services.team_create(actor=tenancy.outsider, organization=tenancy.other_org, name="Globex team")
    return team


def actions(response):
    assert response.status_code == 200, response.content
    return [event["action"] for event in response.json()["results"]]


def test_an_owner_reads_the_organisations_trail_newest_first(tenancy, trail):
    response = api_client(tenancy.owner).get(AUDIT)
    assert actions(response) == ["workspace.create", "team.update", "team.create"]
    update = response.json()["results"][1]
    assert update["actor"] == {"id": tenancy.owner.pk, "email": tenancy.owner.email, "full_name": "Olive Owner"}
    assert update["target_type"] == "team" and update["target_id"] == str(trail.pk)
    assert update["changes"] == {"name": ["Data", "Data team"]}


def test_a_member_gets_403_and_an_outsider_404(tenancy, trail):
    assert_forbidden(api_client(tenancy.member).get(AUDIT))
    assert_not_found(api_client(tenancy.outsider).get(AUDIT))


def test_an_owner_token_reads_it_and_a_member_token_does_not(tenancy, trail):
    for role, status in (("OWNER", 200), ("MEMBER", 403)):
        _, plaintext = tokens.token_create(actor=tenancy.owner, organization=tenancy.org, role=role, name=role)
        client = api_client()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        assert client.get(AUDIT).status_code == status


def test_the_trail_filters_by_actor_action_target_time_and_words(tenancy, trail):
    client = api_client(tenancy.owner)
    assert actions(client.get(AUDIT, {"action": "team.create"})) == ["team.create"]
    assert actions(client.get(AUDIT, {"target": f"team:{trail.pk}"})) == ["team.update", "team.create"]
    assert actions(client.get(AUDIT, {"target": "workspace"})) == ["workspace.create"]
    assert actions(client.get(AUDIT, {"actor": tenancy.owner.pk})) == ["workspace.create", "team.update", "team.create"]
    assert actions(client.get(AUDIT, {"actor": tenancy.owner.email})) == actions(client.get(AUDIT))
    assert actions(client.get(AUDIT, {"actor": tenancy.member.pk})) == []
    assert actions(client.get(AUDIT, {"search": "marketing"})) == ["workspace.create"]
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    assert actions(client.get(AUDIT, {"since": tomorrow})) == []
    assert len(actions(client.get(AUDIT, {"until": tomorrow}))) == 3
    AuditEvent.objects.filter(action="team.create").update(created_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    assert actions(client.get(AUDIT, {"since": since})) == ["workspace.create", "team.update"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"actor": "not an id"}, "actor"),
        ({"since": "last week"}, "since"),
        ({"target": "team:abc"}, "target"),
        ({"search": "nul\x00byte"}, "search"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(tenancy, trail, params, field):
    error = assert_error(api_client(tenancy.owner).get(AUDIT, params), 400, "invalid")
    assert field in error["fields"]


def test_the_trail_is_cursor_paginated(tenancy, trail):
    client = api_client(tenancy.owner)
    first = client.get(AUDIT, {"page_size": 2}).json()
    assert len(first["results"]) == 2
    assert actions(client.get(first["next"])) == ["team.create"]
