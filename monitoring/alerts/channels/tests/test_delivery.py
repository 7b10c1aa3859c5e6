"""notify() -> one Celery task per channel -> the payload each service expects, every attempt recorded; a failing
channel is retried (5xx) or not (4xx) without holding up the others; one resolved notice per firing alert."""

import pytest
from django.core import mail  # noqa: F401 - the smtp_server fixture replaces the mailer

from monitoring.alerts import delivery
from monitoring.alerts.channels import webhook
from monitoring.alerts.channels.models import Delivery, DeliveryAttempt, Notification
from monitoring.alerts.channels.tests.helpers import OPSGENIE_KEY, ROUTING_KEY, SIGNING_SECRET, every_kind, notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels(tenancy, receiver, saas, smtp_server, eager_celery):
    return every_kind(actor=tenancy.owner, workspace=tenancy.workspace, receiver=receiver)


def send(tenancy, channels, django_capture_on_commit_callbacks, status="firing", **fields):
    with django_capture_on_commit_callbacks(execute=True):
        return delivery.notify(workspace=tenancy.workspace, channels=channels.values(), notice=notice(status, **fields))


def test_a_firing_alert_reaches_every_kind_of_channel_in_its_shape(
    tenancy, channels, receiver, smtp_server, django_capture_on_commit_callbacks
):
    notification = send(tenancy, channels, django_capture_on_commit_callbacks)

    assert {d.channel_kind: d.status for d in notification.deliveries.all()} == dict.fromkeys(channels, "SENT")
    [email] = smtp_server.messages
    assert smtp_server.recipients == [["oncall@acme.test", "data-team@acme.test"]]
    assert email["Subject"] == "[FIRING] DAG etl_daily failed · etl-prod"
    assert "Task load_orders failed in DAG etl_daily." in email.get_body(("plain",)).get_content()
    assert "View in Aerodrome" in email.get_body(("html",)).get_content()

    [slack] = receiver.at("/slack/services/T000/B000/XXXX")
    assert slack.json["text"] == ":rotating_light: [FIRING] DAG etl_daily failed · etl-prod"
    assert [block["type"] for block in slack.json["blocks"]] == ["header", "section", "section", "actions"]
    assert slack.json["blocks"][3]["elements"][0]["url"] == "http://testserver/orgs/acme/alerts/1/"

    [teams] = receiver.at("/teams/workflows/abc")
    assert teams.path.endswith("?sig=s3cr3t")
    [attachment] = teams.json["attachments"]
    assert teams.json["type"] == "message"
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["body"][0]["text"] == "[FIRING] DAG etl_daily failed · etl-prod"
    assert {"title": "Deployment", "value": "etl-prod"} in card["body"][1]["facts"]
    assert card["actions"][0] == {
        "type": "Action.OpenUrl",
        "title": "View in Aerodrome",
        "url": "http://testserver/orgs/acme/alerts/1/",
    }

    [pagerduty] = receiver.at("/pagerduty/v2/enqueue")
    event = pagerduty.json
    assert event["routing_key"] == ROUTING_KEY
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == "aerodrome-fp-3f2a9c"
    assert event["payload"]["summary"] == "[FIRING] DAG etl_daily failed · etl-prod"
    assert event["payload"]["severity"] == "critical"
    assert event["payload"]["source"] == "etl-prod"
    assert event["payload"]["timestamp"] == "2026-11-29T21:00:00+00:00"
    assert event["links"] == [{"href": "http://testserver/orgs/acme/alerts/1/", "text": "View in Aerodrome"}]

    [opsgenie] = receiver.at("/opsgenie/")
    assert opsgenie.path == "/opsgenie/v2/alerts"
    assert opsgenie.headers["Authorization"] == f"GenieKey {OPSGENIE_KEY}"
    assert opsgenie.json["alias"] == "aerodrome-fp-3f2a9c"
    assert opsgenie.json["priority"] == "P1"
    assert opsgenie.json["message"] == "[FIRING] DAG etl_daily failed · etl-prod"

    [hook] = receiver.at("/hook")
    timestamp = hook.headers["X-Aerodrome-Timestamp"]
    assert hook.headers["X-Aerodrome-Signature"] == webhook.signature(SIGNING_SECRET, timestamp, hook.body)
    assert hook.json["event"] == "alert.firing"
    assert hook.json["alert"]["dedup_key"] == "aerodrome-fp-3f2a9c"
    assert hook.json["delivery_id"] == int(hook.headers["X-Aerodrome-Delivery"])
    assert all(attempt.outcome == "SENT" for attempt in DeliveryAttempt.objects.all())


def test_a_resolved_alert_sends_exactly_one_resolve_notice(
    tenancy, channels, receiver, smtp_server, django_capture_on_commit_callbacks
):
    send(tenancy, channels, django_capture_on_commit_callbacks, "firing")
    send(tenancy, channels, django_capture_on_commit_callbacks, "firing")  # Alertmanager's repeat: notified again
    first = send(tenancy, channels, django_capture_on_commit_callbacks, "resolved", ends_at="2026-11-29T21:20:00+00:00")
    again = send(tenancy, channels, django_capture_on_commit_callbacks, "resolved")  # its repeat: not sent

    assert first is not None and again is None
    events = [request.json for request in receiver.at("/pagerduty/")]
    assert [e["event_action"] for e in events] == ["trigger", "trigger", "resolve"]
    assert {e["dedup_key"] for e in events} == {"aerodrome-fp-3f2a9c"}
    assert events[2] == {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": "aerodrome-fp-3f2a9c"}
    assert [r.path for r in receiver.at("/opsgenie/")] == [
        "/opsgenie/v2/alerts",
        "/opsgenie/v2/alerts",
        "/opsgenie/v2/alerts/aerodrome-fp-3f2a9c/close?identifierType=alias",
    ]
    assert [r.json["event"] for r in receiver.at("/hook")] == ["alert.firing", "alert.firing", "alert.resolved"]
    assert [m["Subject"].split("]")[0] for m in smtp_server.messages] == ["[FIRING", "[FIRING", "[RESOLVED"]
    # The same alert firing again later is a new incident, resolved once more.
    send(tenancy, channels, django_capture_on_commit_callbacks, "firing")
    assert send(tenancy, channels, django_capture_on_commit_callbacks, "resolved") is not None
    assert [r.json["event_action"] for r in receiver.at("/pagerduty/")][-2:] == ["trigger", "resolve"]


def test_a_channel_answering_500_is_retried_then_failed_while_the_others_succeed(
    tenancy, channels, receiver, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_MAX_ATTEMPTS, settings.NOTIFICATION_RETRY_BACKOFF_SECONDS = 3, 30
    receiver.answer("/slack/services/T000/B000/XXXX", 500)
    notification = send(tenancy, channels, django_capture_on_commit_callbacks)

    slack = notification.deliveries.get(channel_kind="SLACK")
    assert slack.status == Delivery.Status.FAILED
    assert len(receiver.at("/slack/")) == 3
    assert [(a.outcome, a.response_status, a.retry_in) for a in slack.attempts.all()] == [
        ("RETRYING", 500, 30),
        ("RETRYING", 500, 60),
        ("FAILED", 500, None),
    ]
    assert slack.reason.startswith("The service answered 500")
    assert slack.reason.endswith("Gave up after 3 attempts.")
    others = notification.deliveries.exclude(channel_kind="SLACK")
    assert {d.status for d in others} == {"SENT"} and others.count() == 5


def test_a_transient_failure_then_success_is_sent_on_the_second_attempt(
    tenancy, channels, receiver, django_capture_on_commit_callbacks
):
    receiver.answer("/hook", [503, 200])
    notification = send(tenancy, channels, django_capture_on_commit_callbacks)

    hook = notification.deliveries.get(channel_kind="WEBHOOK")
    assert hook.status == "SENT" and hook.attempt_count == 2
    assert [a.outcome for a in hook.attempts.all()] == ["RETRYING", "SENT"]
    # Each attempt is signed afresh; the delivery id lets the receiver drop a duplicate.
    assert len({r.headers["X-Aerodrome-Delivery"] for r in receiver.at("/hook")}) == 1


def test_a_429_is_retried_no_sooner_than_the_service_asks(
    tenancy, channels, receiver, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_RETRY_BACKOFF_SECONDS = 1
    receiver.answer("/pagerduty/v2/enqueue", [429, 202])
    receiver.headers["/pagerduty/v2/enqueue"] = {"Retry-After": "20"}
    notification = send(tenancy, channels, django_capture_on_commit_callbacks)

    pagerduty = notification.deliveries.get(channel_kind="PAGERDUTY")
    assert [(a.outcome, a.response_status, a.retry_in) for a in pagerduty.attempts.all()] == [
        ("RETRYING", 429, 20),
        ("SENT", 202, None),
    ]


def test_a_4xx_is_not_retried(tenancy, channels, receiver, django_capture_on_commit_callbacks):
    receiver.answer("/pagerduty/v2/enqueue", 400)
    notification = send(tenancy, channels, django_capture_on_commit_callbacks)

    pagerduty = notification.deliveries.get(channel_kind="PAGERDUTY")
    assert pagerduty.status == "FAILED" and pagerduty.attempt_count == 1
    assert pagerduty.reason.startswith("The service refused the notification (400)")
    assert len(receiver.at("/pagerduty/")) == 1


def test_an_unreachable_channel_is_retried_as_a_connection_error(
    tenancy, receiver, saas, eager_celery, settings, django_capture_on_commit_callbacks
):
    from aerodrome.tests.servers import free_port
    from monitoring.alerts.channels import services

    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    dead = services.channel_create(
        actor=tenancy.owner, workspace=tenancy.workspace, name="dead", kind="SLACK",
        url=f"http://127.0.0.1:{free_port()}/hook",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        notification = delivery.notify(workspace=tenancy.workspace, channels=[dead], notice=notice())
    [outcome] = notification.deliveries.all()
    assert outcome.status == "FAILED"
    assert [a.outcome for a in outcome.attempts.all()] == ["RETRYING", "FAILED"]
    assert outcome.reason.startswith("Could not connect to 127.0.0.1")


def test_another_workspaces_channel_is_never_notified(
    tenancy, receiver, saas, eager_celery, django_capture_on_commit_callbacks
):
    theirs = every_kind(actor=tenancy.outsider, workspace=tenancy.other_workspace, receiver=receiver, prefix="g-")
    with django_capture_on_commit_callbacks(execute=True):
        notification = delivery.notify(workspace=tenancy.workspace, channels=theirs.values(), notice=notice())
    assert notification is None
    assert receiver.requests == [] and Notification.objects.count() == 0


def test_disabled_channels_are_skipped(tenancy, channels, receiver, django_capture_on_commit_callbacks):
    from monitoring.alerts.channels import services

    services.channel_update(actor=tenancy.owner, channel=channels["SLACK"], enabled=False)
    notification = send(tenancy, channels, django_capture_on_commit_callbacks)
    assert "SLACK" not in {d.channel_kind for d in notification.deliveries.all()}
    assert receiver.at("/slack/") == []


def test_backoff_doubles_from_the_setting_up_to_an_hour(settings):
    settings.NOTIFICATION_RETRY_BACKOFF_SECONDS = 30
    assert [delivery.backoff(n) for n in (1, 2, 3, 4, 8, 20)] == [30, 60, 120, 240, 3600, 3600]


def test_the_sweep_rings_again_for_a_delivery_whose_task_was_lost(
    tenancy, channels, receiver, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    notification = delivery.notify(workspace=tenancy.workspace, channels=[channels["SLACK"]], notice=notice())
    # The commit never rang (the broker was down): the delivery waits, PENDING.
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert delivery.sweep() == 1
    assert notification.deliveries.get().status == "SENT"
    assert delivery.sweep() == 0
