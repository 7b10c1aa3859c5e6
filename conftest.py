"""Shared fixtures. The personas follow DESIGN.md: an owner, a read-only member and an outsider."""

from dataclasses import dataclass

import pytest

from accounts.models import AuditEvent, Organization, User
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import (
    PASSWORD,
    BindingFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    WorkspaceFactory,
)
from workspaces.models import Workspace


@dataclass
class Tenancy:
    org: Organization
    workspace: Workspace
    owner: User  # organisation owner, so owner of every workspace
    member: User  # organisation member with the read-only workspace role
    outsider: User  # owner of another organisation
    other_org: Organization
    other_workspace: Workspace


@pytest.fixture
def tenancy(db) -> Tenancy:
    org = OrganizationFactory(name="Acme Data", slug="acme")
    workspace = WorkspaceFactory(organization=org, name="Analytics")
    owner = UserFactory(email="owner@acme.test", full_name="Olive Owner")
    member = UserFactory(email="member@acme.test", full_name="Mo Member")
    MembershipFactory(organization=org, user=owner, role=OrgRole.OWNER)
    MembershipFactory(organization=org, user=member, role=OrgRole.MEMBER)
    BindingFactory(workspace=workspace, user=member, role=WorkspaceRole.MEMBER)

    other_org = OrganizationFactory(name="Globex", slug="globex")
    other_workspace = WorkspaceFactory(organization=other_org, name="Globex Ops")
    outsider = UserFactory(email="outsider@globex.test")
    MembershipFactory(organization=other_org, user=outsider, role=OrgRole.OWNER)
    return Tenancy(org, workspace, owner, member, outsider, other_org, other_workspace)


@pytest.fixture
def login(client):
    """Log the test client in as a user; returns the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def audit_count(db):
    return lambda action: AuditEvent.objects.filter(action=action).count()


__all__ = ["PASSWORD"]


@pytest.fixture(scope="session")
def celery_worker_queue(django_db_setup):
    """A real Celery worker (separate process) on Redis, using the test database.

    It consumes a queue of its own (yielded) and the run's default queue, so tasks the code under test enqueues
    on commit (reconcile, observe) run there too, with short Kubernetes timeouts and polls.
    """
    import os
    import socket
    import subprocess
    import sys
    import time
    import uuid

    from django.conf import settings

    from aerodrome.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    name = f"{queue}@{socket.gethostname()}"
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "aerodrome.settings_test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "KUBE_BACKOFF_MS": "10",
        "KUBE_REQUEST_TIMEOUT": "2",
        "READINESS_POLL_SECONDS": "1",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "aerodrome",
            "worker",
            "--pool=threads",
            "--concurrency=2",
            "-Q",
            f"{queue},{settings.CELERY_TASK_DEFAULT_QUEUE}",
            "-n",
            name,
            "--loglevel=WARNING",
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if app.control.ping(destination=[name], timeout=1):
                break
            if worker.poll() is not None:
                raise RuntimeError(f"The Celery worker exited with {worker.returncode}")
        else:
            raise RuntimeError("The Celery worker did not answer within 60 seconds")
        yield queue
    finally:
        worker.terminate()
        worker.wait(timeout=30)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (no browser download)."""
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM is used synchronously around it.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # confirm() prompts: the user says yes
    yield page
    context.close()


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list  # email.message.EmailMessage, in the order the server accepted them
    recipients: list  # the envelope recipients of each message

    def to(self, address: str) -> list:
        return [m for m, rcpts in zip(self.messages, self.recipients, strict=True) if address.lower() in rcpts]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on a free localhost port; Django's default mailer sends through it over SMTP."""
    import email
    import email.policy
    import logging
    import socket

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO

    server = SmtpServer("127.0.0.1", 0, [], [])

    class Capture:
        async def handle_DATA(self, smtp, session, envelope):
            server.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            server.recipients.append([r.lower() for r in envelope.rcpt_tos])
            return "250 Message accepted for delivery"

    with socket.socket() as probe:  # a free port (the controller cannot report one it picked itself)
        probe.bind((server.host, 0))
        server.port = probe.getsockname()[1]
    controller = Controller(Capture(), hostname=server.host, port=server.port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": server.host, "port": server.port, "timeout": 10},
        }
    }
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def _test_idp_for_client():
    from accounts.tests.sso.oidc_harness import TestIdP

    idp = TestIdP(base_urls=["http://testserver"]).start()
    yield idp
    idp.close()


@pytest.fixture(scope="session")
def _test_idp_for_browser(live_server):
    from accounts.tests.sso.oidc_harness import TestIdP

    idp = TestIdP(base_urls=[live_server.url]).start()
    yield idp
    idp.close()


@pytest.fixture
def idp(_test_idp_for_client):
    """A real OpenID Connect provider (npm `oidc-provider`, accounts/tests/oidc/) that accepts the test client's
    callbacks; default users and behaviour restored for each test."""
    _test_idp_for_client.ensure_running().reset()
    return _test_idp_for_client


@pytest.fixture
def browser_idp(_test_idp_for_browser):
    """The same provider for browser tests: it accepts the live server's callbacks."""
    _test_idp_for_browser.ensure_running().reset()
    return _test_idp_for_browser


@pytest.fixture
def strict_outbound(settings):
    """The outbound policy as a fresh install has it: the suite's own servers on loopback are refused too (the test
    settings allow loopback so that the fake cluster, the test IdP and the like can be reached)."""
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    settings.OUTBOUND_DENIED_NETWORKS = []
    return settings


class FakeDns(dict):
    """Names for the outbound policy's resolver: `fake_dns["metadata.tenant.test"] = ["169.254.169.254"]`."""

    def __init__(self):
        super().__init__()
        self.lookups: list[str] = []  # every name the policy resolved, in order


@pytest.fixture
def fake_dns(monkeypatch):
    """Gives names addresses for the outbound policy's resolver; other names resolve as usual. Only the policy
    consults it: clients must connect to the addresses it checked, so a name the machine itself cannot resolve
    also proves that no client looked it up a second time."""
    from aerodrome import outbound

    names = FakeDns()
    real = outbound.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        names.lookups.append(host)
        addresses = names.get(host, [host])
        return [info for address in addresses for info in real(address, port, *args, **kwargs)]

    monkeypatch.setattr(outbound, "getaddrinfo", getaddrinfo)
    return names


@pytest.fixture
def worker_paused(settings):
    """The session's Celery worker (if a test started it) stops taking the run's tasks during the test, so what the
    code enqueues on commit (reconcile) waits, as it would with no worker: the test sees the state before it."""
    from aerodrome.celery import app

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    app.control.cancel_consumer(queue, reply=True, timeout=1)
    yield
    app.control.add_consumer(queue, reply=True, timeout=1)
