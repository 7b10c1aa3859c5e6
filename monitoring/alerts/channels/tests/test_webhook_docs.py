"""The verification snippet the webhook documentation gives receivers accepts what Aerodrome sends, and refuses a
tampered body, another secret and an old timestamp."""

import re
import time
from pathlib import Path

import pytest

from monitoring.alerts.channels import services
from monitoring.alerts.channels.tests.helpers import SIGNING_SECRET

DOC = Path(__file__).resolve().parents[4] / "docs" / "notification-webhooks.md"

pytestmark = pytest.mark.django_db


def documented_verify():
    [snippet] = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    namespace: dict = {}
    exec(compile(snippet, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation's code
    return namespace["verify"]


def test_the_documented_snippet_verifies_a_real_test_notification(tenancy, receiver):
    channel = services.channel_create(
        actor=tenancy.owner, workspace=tenancy.workspace, name="hook", kind="WEBHOOK",
        url=receiver.url("/hook"), signing_secret=SIGNING_SECRET,
    )  # fmt: skip
    outcome = services.channel_test(actor=tenancy.owner, channel=channel)
    assert outcome.status == "SENT"
    [request] = receiver.at("/hook")
    verify = documented_verify()

    assert request.json["event"] == "test"
    assert verify(SIGNING_SECRET, request.headers, request.body)
    assert not verify(SIGNING_SECRET, request.headers, request.body.replace(b'"test"', b'"alert.firing"'))
    assert not verify("another-secret-0123456789", request.headers, request.body)
    old = {**request.headers, "X-Aerodrome-Timestamp": str(int(time.time()) - 600)}
    assert not verify(SIGNING_SECRET, old, request.body)
