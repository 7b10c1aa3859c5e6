"""The channels pages with the three personas: the owner manages channels (audited, secrets write-only and
encrypted), a read-only member sees them but may change nothing (403), an outsider learns nothing (404)."""

import pytest
from django.db import connection

from accounts.models import AuditEvent
from accounts.roles import WorkspaceRole
from accounts.tests.factories import BindingFactory, MembershipFactory, UserFactory
from accounts.tests.page_helpers import HTMX
from monitoring.alerts.channels import services
from monitoring.alerts.channels.models import Channel, Delivery
from monitoring.alerts.channels.tests.helpers import ROUTING_KEY, SIGNING_SECRET

pytestmark = pytest.mark.django_db
SLACK_TOKEN = "T0SECRET/B0SECRET/xoxsecretdonotleak"


def base(tenancy):
    return f"/orgs/acme/workspaces/{tenancy.workspace.pk}/channels/"


@pytest.fixture
def slack(tenancy, receiver):
    return services.channel_create(
        actor=tenancy.owner, workspace=tenancy.workspace, name="Data alerts", kind="SLACK",
        url=receiver.url(f"/services/{SLACK_TOKEN}"),
    )  # fmt: skip


def test_owner_adds_a_webhook_channel_whose_secrets_are_encrypted_and_never_shown(login, tenancy, receiver):
    client = login(tenancy.owner)
    url = receiver.url("/hooks/aerodrome?token=tok-do-not-leak")
    response = client.post(
        f"{base(tenancy)}new/",
        {"name": "Ops webhook", "kind": "WEBHOOK", "url": url, "signing_secret": SIGNING_SECRET, "enabled": "on"},
    )
    assert response.status_code == 302 and response["Location"] == base(tenancy)

    channel = Channel.objects.get(name="Ops webhook")
    assert channel.secrets == {"url": url, "signing_secret": SIGNING_SECRET}
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM monitoring_channel WHERE id = %s", [channel.pk])
        [stored] = cursor.fetchone()
    assert "tok-do-not-leak" not in stored and SIGNING_SECRET not in stored
    page = client.get(base(tenancy)).content.decode()
    edit = client.get(f"{base(tenancy)}{channel.pk}/").content.decode()
    for text in (page, edit):
        assert "Ops webhook" in text and "tok-do-not-leak" not in text and SIGNING_SECRET not in text
    assert "127.0.0.1" in page  # the host it sends to, nothing more
    assert "Leave blank to keep the current secret" in edit
    event = AuditEvent.objects.get(action="channel.create")
    assert event.actor == tenancy.owner and event.organization == tenancy.org
    assert "tok-do-not-leak" not in str(event.changes) and SIGNING_SECRET not in str(event.changes)
    assert event.changes["signing_secret"] == "set"


def test_leaving_a_secret_blank_keeps_it_and_a_new_one_replaces_it(login, tenancy, slack, receiver):
    client = login(tenancy.owner)
    old = slack.secrets["url"]
    response = client.post(f"{base(tenancy)}{slack.pk}/", {"name": "Data team", "url": "", "enabled": "on"})
    assert response.status_code == 302
    slack.refresh_from_db()
    assert (slack.name, slack.secrets["url"]) == ("Data team", old)
    assert AuditEvent.objects.get(action="channel.update").changes == {"name": ["Data alerts", "Data team"]}

    new = receiver.url("/services/NEW/TOKEN/abc")
    client.post(f"{base(tenancy)}{slack.pk}/", {"name": "Data team", "url": new, "enabled": "on"})
    slack.refresh_from_db()
    assert slack.secrets["url"] == new
    assert AuditEvent.objects.filter(action="channel.update").latest("id").changes == {"url": "changed"}


def test_invalid_input_is_shown_next_to_each_field_keeping_what_was_typed(login, tenancy):
    client = login(tenancy.owner)
    response = client.post(
        f"{base(tenancy)}new/",
        {"name": "Pager", "kind": "PAGERDUTY", "routing_key": "too-short", "addresses": "x"},
        **HTMX,
    )
    text = response.content.decode()
    assert response.status_code == 200 and 'id="channel-form"' in text
    assert "A PagerDuty integration (routing) key has 32 characters." in text
    assert 'value="Pager"' in text
    response = client.post(
        f"{base(tenancy)}new/", {"name": "Mail", "kind": "EMAIL", "addresses": "ok@acme.test, not-an-address"}
    )
    assert response.status_code == 400
    assert "Not an email address: not-an-address." in response.content.decode()
    assert not Channel.objects.exists()


def test_a_url_the_outbound_policy_refuses_is_refused_with_the_reason(login, tenancy, strict_outbound):
    client = login(tenancy.owner)
    response = client.post(
        f"{base(tenancy)}new/", {"name": "Sneaky", "kind": "SLACK", "url": "http://169.254.169.254/latest/meta-data"}
    )
    assert response.status_code == 400
    assert "169.254.169.254 is a link-local address" in response.content.decode()
    assert not Channel.objects.exists()


def test_send_test_shows_the_result_on_the_row(login, tenancy, slack, receiver):
    client = login(tenancy.owner)
    response = client.post(f"{base(tenancy)}{slack.pk}/test/", **HTMX)
    text = response.content.decode()
    assert response.status_code == 200 and text.lstrip().startswith(f'<tr id="channel-{slack.pk}"')
    assert "Accepted (202)" in text
    [request] = receiver.at("/services/")
    assert request.json["text"].startswith(":wave: [TEST] Test notification for “Data alerts”")

    receiver.answer(f"/services/{SLACK_TOKEN}", 404)
    text = client.post(f"{base(tenancy)}{slack.pk}/test/", **HTMX).content.decode()
    assert "The service refused the notification (404)" in text
    assert [d.status for d in Delivery.objects.order_by("id")] == ["SENT", "FAILED"]
    page = client.get(base(tenancy)).content.decode()
    assert "Recent deliveries" in page and "HTTP 404" in page
    assert AuditEvent.objects.filter(action="channel.test").count() == 2


def test_owner_deletes_a_channel_and_its_delivery_history_stays(login, tenancy, slack):
    client = login(tenancy.owner)
    client.post(f"{base(tenancy)}{slack.pk}/test/", **HTMX)
    response = client.post(f"{base(tenancy)}{slack.pk}/delete/", **HTMX)
    assert response.status_code == 204 and response["HX-Location"] == base(tenancy)
    assert not Channel.objects.exists()
    assert Delivery.objects.get().channel_name == "Data alerts"
    assert AuditEvent.objects.filter(action="channel.delete").count() == 1


def test_read_only_member_sees_channels_but_cannot_change_them(login, tenancy, slack):
    client = login(tenancy.member)
    page = client.get(base(tenancy))
    assert page.status_code == 200 and "Data alerts" in page.content.decode()
    assert "New channel" not in page.content.decode() and "Send test" not in page.content.decode()
    assert client.get(f"{base(tenancy)}new/").status_code == 403
    assert client.post(f"{base(tenancy)}new/", {"name": "x", "kind": "SLACK"}).status_code == 403
    assert client.get(f"{base(tenancy)}{slack.pk}/").status_code == 403
    assert client.post(f"{base(tenancy)}{slack.pk}/test/").status_code == 403
    assert client.post(f"{base(tenancy)}{slack.pk}/delete/").status_code == 403
    assert Channel.objects.count() == 1 and not Delivery.objects.exists()


def test_an_author_may_manage_channels(login, tenancy):
    author = UserFactory(email="author@acme.test")
    MembershipFactory(organization=tenancy.org, user=author)
    BindingFactory(workspace=tenancy.workspace, user=author, role=WorkspaceRole.AUTHOR)
    response = login(author).post(
        f"{base(tenancy)}new/", {"name": "Pager", "kind": "PAGERDUTY", "routing_key": ROUTING_KEY, "enabled": "on"}
    )
    assert response.status_code == 302 and Channel.objects.get().created_by == author


def test_outsider_gets_404_everywhere(login, tenancy, slack):
    client = login(tenancy.outsider)
    for url in ("", "new/", f"{slack.pk}/"):
        assert client.get(f"{base(tenancy)}{url}").status_code == 404
    for url in (f"{slack.pk}/test/", f"{slack.pk}/delete/", "new/"):
        assert client.post(f"{base(tenancy)}{url}").status_code == 404
    # Nor through their own workspace's address.
    theirs = f"/orgs/globex/workspaces/{tenancy.other_workspace.pk}/channels/{slack.pk}/"
    assert client.get(theirs).status_code == 404
    assert Channel.objects.count() == 1


def test_the_workspace_page_links_to_its_channels(login, tenancy, slack):
    text = login(tenancy.member).get(f"/orgs/acme/workspaces/{tenancy.workspace.pk}/").content.decode()
    assert "1 channel for this workspace" in text and base(tenancy) in text


def test_the_channels_page_costs_the_same_queries_for_2_or_12_channels(login, tenancy, receiver):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from monitoring.alerts import delivery
    from monitoring.alerts.channels.tests.helpers import notice

    client = login(tenancy.owner)

    def cost():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(base(tenancy)).status_code == 200
        return len(queries)

    def add(count, start):
        made = [
            services.channel_create(
                actor=tenancy.owner,
                workspace=tenancy.workspace,
                name=f"c{start + i}",
                kind="SLACK",
                url=receiver.url("/s"),
            )  # fmt: skip
            for i in range(count)
        ]
        for made_channel in made:
            services.channel_test(actor=tenancy.owner, channel=made_channel)
        delivery.notify(workspace=tenancy.workspace, channels=made, notice=notice(key=f"k{start}"))

    add(2, 0)
    cost()  # the first visit also writes the session
    few = cost()
    add(10, 2)
    assert cost() == few
