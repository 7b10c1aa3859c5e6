"""/api/v1/workspaces/{id}/channels/ with the personas: the owner manages channels (secrets never returned), a
read-only member may read them (403 on every change), an outsider gets 404; input errors in the one format."""

import pytest

from accounts.models import AuditEvent
from accounts.roles import WorkspaceRole
from accounts.tests.api_helpers import api_client, assert_field_error, assert_forbidden, assert_not_found
from accounts.tokens import services as tokens
from monitoring.alerts.channels.models import Channel, Delivery
from monitoring.alerts.channels.tests.helpers import OPSGENIE_KEY, ROUTING_KEY, SIGNING_SECRET

pytestmark = pytest.mark.django_db


def url(workspace, channel=None, suffix=""):
    base = f"/api/v1/workspaces/{workspace.pk}/channels/"
    return f"{base}{channel.pk}/{suffix}" if channel else base


@pytest.fixture
def pager(tenancy):
    response = api_client(tenancy.owner).post(
        url(tenancy.workspace), {"name": "Pager", "kind": "PAGERDUTY", "routing_key": ROUTING_KEY}, format="json"
    )
    assert response.status_code == 201, response.content
    return Channel.objects.get(pk=response.json()["id"])


def test_owner_creates_lists_changes_and_deletes_channels_and_secrets_never_come_back(tenancy, receiver, pager):
    client = api_client(tenancy.owner)
    hook_url = receiver.url("/hook?token=tok-do-not-leak")
    created = client.post(
        url(tenancy.workspace),
        {"name": "Hook", "kind": "WEBHOOK", "url": hook_url, "signing_secret": SIGNING_SECRET},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["kind"] == "WEBHOOK" and body["target"] == "127.0.0.1" and body["enabled"] is True
    assert body["secrets_set"] == ["url", "signing_secret"]
    listing = client.get(url(tenancy.workspace))
    assert [c["name"] for c in listing.json()["results"]] == ["Hook", "Pager"]
    for text in (created.content.decode(), listing.content.decode()):
        assert "tok-do-not-leak" not in text and SIGNING_SECRET not in text and ROUTING_KEY not in text
    assert listing.json()["results"][1]["target"] == f"Routing key …{ROUTING_KEY[-4:]}"

    hook = Channel.objects.get(name="Hook")
    changed = client.patch(url(tenancy.workspace, hook), {"name": "Ops hook", "signing_secret": ""}, format="json")
    assert changed.status_code == 200 and changed.json()["name"] == "Ops hook"
    hook.refresh_from_db()
    assert hook.secrets["signing_secret"] == SIGNING_SECRET  # blank kept it

    email = client.post(
        url(tenancy.workspace),
        {"name": "Mail", "kind": "EMAIL", "addresses": ["Oncall@Acme.test", "data@acme.test"]},
        format="json",
    )
    assert email.json()["addresses"] == ["oncall@acme.test", "data@acme.test"]

    assert client.delete(url(tenancy.workspace, hook)).status_code == 204
    assert not Channel.objects.filter(pk=hook.pk).exists()
    actions = list(AuditEvent.objects.filter(action__startswith="channel.").values_list("action", flat=True))
    assert sorted(actions) == ["channel.create", "channel.create", "channel.create", "channel.delete", "channel.update"]


def test_invalid_input_names_every_field(tenancy):
    client = api_client(tenancy.owner)
    response = client.post(
        url(tenancy.workspace), {"name": "", "kind": "OPSGENIE", "routing_key": ROUTING_KEY}, format="json"
    )
    assert_field_error(response, "name", "Enter a name.")
    assert_field_error(response, "api_key", "Enter the API key.")
    assert_field_error(response, "routing_key", "Opsgenie channels do not take this field.")
    response = client.post(url(tenancy.workspace), {"name": "x", "kind": "SMS"}, format="json")
    assert_field_error(response, "kind")
    response = client.post(url(tenancy.workspace), {"name": "x", "kind": "SLACK", "colour": "red"}, format="json")
    assert_field_error(response, "colour", "cannot be set here")


def test_kind_cannot_change(tenancy, pager):
    response = api_client(tenancy.owner).patch(
        url(tenancy.workspace, pager), {"kind": "OPSGENIE", "api_key": OPSGENIE_KEY}, format="json"
    )
    assert_field_error(response, "kind", "cannot change")


def test_the_test_action_reports_what_the_service_answered(tenancy, receiver, saas, pager):
    response = api_client(tenancy.owner).post(url(tenancy.workspace, pager, "test/"))
    body = response.json()
    assert response.status_code == 200
    assert body["ok"] is True and body["status"] == "SENT" and body["response_status"] == 202
    [event] = receiver.at("/pagerduty/")
    assert event.json["event_action"] == "trigger" and event.json["routing_key"] == ROUTING_KEY

    receiver.answer("/pagerduty/v2/enqueue", 503)
    body = api_client(tenancy.owner).post(url(tenancy.workspace, pager, "test/")).json()
    assert body["ok"] is False and body["response_status"] == 503
    assert body["message"].startswith("The service answered 503")
    assert Delivery.objects.get(pk=body["delivery"]).attempts.count() == 1  # a test is tried once


def test_read_only_member_may_read_but_not_change(tenancy, pager):
    client = api_client(tenancy.member)
    assert client.get(url(tenancy.workspace)).json()["results"][0]["name"] == "Pager"
    assert client.get(url(tenancy.workspace, pager)).status_code == 200
    assert_forbidden(client.post(url(tenancy.workspace), {"name": "x", "kind": "SLACK"}, format="json"))
    assert_forbidden(client.patch(url(tenancy.workspace, pager), {"name": "y"}, format="json"))
    assert_forbidden(client.post(url(tenancy.workspace, pager, "test/")))
    assert_forbidden(client.delete(url(tenancy.workspace, pager)))
    assert Channel.objects.get().name == "Pager" and not Delivery.objects.exists()


def test_a_workspace_member_token_reads_and_cannot_write(tenancy, pager):
    _, secret = tokens.token_create(
        actor=tenancy.owner, workspace=tenancy.workspace, role=WorkspaceRole.MEMBER, name="Reader"
    )
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(url(tenancy.workspace)).status_code == 200
    assert_forbidden(client.delete(url(tenancy.workspace, pager)))


def test_outsider_gets_404(tenancy, pager):
    client = api_client(tenancy.outsider)
    assert_not_found(client.get(url(tenancy.workspace)))
    assert_not_found(client.get(url(tenancy.workspace, pager)))
    assert_not_found(client.post(url(tenancy.workspace), {"name": "x", "kind": "SLACK"}, format="json"))
    assert_not_found(client.post(url(tenancy.workspace, pager, "test/")))
    assert_not_found(client.delete(url(tenancy.workspace, pager)))
    # Nor through a workspace of their own.
    assert_not_found(client.get(url(tenancy.other_workspace, pager)))
    assert Channel.objects.count() == 1
