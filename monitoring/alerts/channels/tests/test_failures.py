"""How a send fails decides whether it is tried again: a slow service (timeout) and an unreachable mail server are
transient, a mail server refusing the addresses is final, an address the outbound policy refuses is final and never
contacted."""

import pytest

from monitoring.alerts import delivery
from monitoring.alerts.channels import services
from monitoring.alerts.channels.tests.helpers import notice

pytestmark = pytest.mark.django_db


def deliver(tenancy, channel, capture):
    with capture(execute=True):
        notification = delivery.notify(workspace=tenancy.workspace, channels=[channel], notice=notice())
    return notification.deliveries.get()


def test_a_service_slower_than_the_timeout_is_retried(
    tenancy, receiver, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_TIMEOUT_SECONDS, settings.NOTIFICATION_MAX_ATTEMPTS = 1, 2
    receiver.delays["/slow"] = 1.5
    channel = services.channel_create(
        actor=tenancy.owner, workspace=tenancy.workspace, name="slow", kind="TEAMS", url=receiver.url("/slow")
    )
    outcome = deliver(tenancy, channel, django_capture_on_commit_callbacks)
    assert outcome.status == "FAILED"
    assert [(a.outcome, a.response_status) for a in outcome.attempts.all()] == [("RETRYING", None), ("FAILED", None)]
    assert outcome.reason == "No answer within 1 s. Gave up after 2 attempts."


def test_an_unreachable_mail_server_is_retried(tenancy, settings, eager_celery, django_capture_on_commit_callbacks):
    from aerodrome.tests.servers import free_port

    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }
    channel = services.channel_create(
        actor=tenancy.owner, workspace=tenancy.workspace, name="mail", kind="EMAIL", addresses="a@acme.test"
    )
    outcome = deliver(tenancy, channel, django_capture_on_commit_callbacks)
    assert [a.outcome for a in outcome.attempts.all()] == ["RETRYING", "FAILED"]
    assert outcome.reason.startswith("Could not reach the mail server")


def test_a_mail_server_refusing_the_recipients_is_final(
    tenancy, settings, eager_celery, django_capture_on_commit_callbacks
):
    from aiosmtpd.controller import Controller

    from aerodrome.tests.servers import free_port

    class Refuse:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            return "550 5.1.1 No such mailbox"

    port = free_port()
    refusing = Controller(Refuse(), hostname="127.0.0.1", port=port)
    refusing.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    try:
        channel = services.channel_create(
            actor=tenancy.owner, workspace=tenancy.workspace, name="mail", kind="EMAIL", addresses="ghost@acme.test"
        )
        outcome = deliver(tenancy, channel, django_capture_on_commit_callbacks)
    finally:
        refusing.stop()
    assert outcome.status == "FAILED" and outcome.attempt_count == 1
    assert outcome.reason == "The mail server refused ghost@acme.test."


def test_an_address_the_policy_refuses_at_send_time_is_final_and_never_contacted(
    tenancy, receiver, settings, eager_celery, fake_dns, django_capture_on_commit_callbacks
):
    import ipaddress

    fake_dns["hooks.tenant.test"] = ["203.0.113.10"]  # allowed when it is saved...
    settings.OUTBOUND_ALLOWED_NETWORKS = [ipaddress.ip_network("203.0.113.0/24")]
    settings.OUTBOUND_DENIED_NETWORKS = []
    channel = services.channel_create(
        actor=tenancy.owner, workspace=tenancy.workspace, name="hook", kind="SLACK",
        url="http://hooks.tenant.test/services/x",
    )  # fmt: skip
    fake_dns["hooks.tenant.test"] = ["169.254.169.254"]  # ...then it points at the cloud metadata service
    outcome = deliver(tenancy, channel, django_capture_on_commit_callbacks)
    assert outcome.status == "FAILED" and outcome.attempt_count == 1
    assert "169.254.169.254" in outcome.reason and "link-local" in outcome.reason
    assert receiver.requests == []
