"""Fixtures for every monitoring test: local HTTP receivers for notification channels, tasks run in-process."""

import pytest

from monitoring.tests.receivers import Receiver


@pytest.fixture
def receiver():
    """A local HTTP server that records what the channels post to it."""
    with Receiver() as server:
        yield server


@pytest.fixture
def eager_celery():
    """Tasks run in the test's own process when enqueued (retries too, at once), so they see its settings and its
    receivers; tasks the code enqueues on commit run as the test's transaction "commits"."""
    from aerodrome.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    # Not propagated: Celery runs an eager task's retries only then (a failure shows in what the test asserts).
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def saas(settings, receiver):
    """PagerDuty's and Opsgenie's APIs are the local receiver."""
    settings.PAGERDUTY_EVENTS_URL = receiver.url("/pagerduty/v2/enqueue")
    settings.OPSGENIE_API_URL = receiver.url("/opsgenie")
    settings.NOTIFICATION_TIMEOUT_SECONDS = 2
    return settings
