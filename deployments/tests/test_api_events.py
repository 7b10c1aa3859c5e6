"""/api/v1/deployments/{id}/events/: a Deployment's events, filterable and cursor-paginated, for whoever may see
the Deployment (its Deployment tokens too), like the Events tab."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.api_helpers import api_client, assert_error, assert_not_found
from accounts.tokens import services as tokens
from deployments import services
from deployments.models import DeploymentEvent
from deployments.tests.factories import make_deployment

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployment(tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    services.deployment_update(actor=tenancy.owner, deployment=deployment, scheduler_replicas=2)
    DeploymentEvent.objects.create(
        deployment=deployment, reason="Unreachable", message="Cluster unreachable.", level="ERROR", count=4
    )
    return deployment


def events_url(deployment):
    return f"/api/v1/deployments/{deployment.pk}/events/"


def bearer(plaintext):
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def test_a_member_reads_the_events_newest_first(tenancy, deployment):
    response = api_client(tenancy.member).get(events_url(deployment))
    assert response.status_code == 200, response.content
    events = response.json()["results"]
    assert [e["reason"] for e in events] == ["Unreachable", "Updated", "Created"]
    unreachable = events[0]
    assert (unreachable["level"], unreachable["count"], unreachable["message"]) == ("ERROR", 4, "Cluster unreachable.")
    assert events[1]["actor"] == str(tenancy.owner) and events[1]["generation"] == 2
    assert set(unreachable) == {
        "id",
        "created_at",
        "last_seen_at",
        "count",
        "level",
        "reason",
        "message",
        "generation",
        "actor",
    }


def test_a_deployment_token_reads_its_deployments_events(tenancy, deployment):
    _, plaintext = tokens.token_create(actor=tenancy.owner, deployment=deployment, role="MEMBER", name="CI")
    assert bearer(plaintext).get(events_url(deployment)).status_code == 200
    other = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Other")
    assert_not_found(bearer(plaintext).get(events_url(other)))


def test_outsiders_get_404(tenancy, deployment):
    assert_not_found(api_client(tenancy.outsider).get(events_url(deployment)))


def test_events_filter_by_level_reason_time_and_words(tenancy, deployment):
    client = api_client(tenancy.member)
    assert [e["reason"] for e in client.get(events_url(deployment), {"level": "ERROR"}).json()["results"]] == [
        "Unreachable"
    ]
    assert [e["reason"] for e in client.get(events_url(deployment), {"reason": "Created"}).json()["results"]] == [
        "Created"
    ]
    assert [e["reason"] for e in client.get(events_url(deployment), {"search": "unreachable"}).json()["results"]] == [
        "Unreachable"
    ]
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert client.get(events_url(deployment), {"since": future}).json()["results"] == []
    assert len(client.get(events_url(deployment), {"until": future}).json()["results"]) == 3
    today = timezone.now().date().isoformat()
    assert len(client.get(events_url(deployment), {"since": today}).json()["results"]) == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [({"level": "LOUD"}, "level"), ({"since": "yesterday"}, "since"), ({"until": "2026-13-45"}, "until")],
)
def test_bad_filters_are_a_400_naming_the_parameter(tenancy, deployment, params, field):
    error = assert_error(api_client(tenancy.member).get(events_url(deployment), params), 400, "invalid")
    assert field in error["fields"]


def test_events_are_cursor_paginated(tenancy, deployment):
    client = api_client(tenancy.member)
    first = client.get(events_url(deployment), {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"]).json()
    assert [e["reason"] for e in second["results"]] == ["Created"]
    assert_error(client.get(events_url(deployment), {"cursor": "not-a-cursor"}), 404, "not_found")
