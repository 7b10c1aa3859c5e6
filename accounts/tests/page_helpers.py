"""Helpers shared by the page (view) tests."""

import html

from accounts.models import AuditEvent, Organization, OrganizationMembership, Team, TeamMembership
from workspaces.models import Workspace, WorkspaceRoleBinding

HTMX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    return html.unescape(response.content.decode())


def db_state() -> dict:
    """Every tenancy row and audit entry, to prove a refused request changed nothing."""
    models = (Organization, OrganizationMembership, Team, TeamMembership, Workspace, WorkspaceRoleBinding, AuditEvent)
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


def assert_audited(action, *, actor, organization) -> AuditEvent:
    event = AuditEvent.objects.get(action=action)
    assert event.actor == actor
    assert event.organization == organization
    return event


def browser_login(page, live_server, user) -> None:
    """Signs the browser in as `user` with a session cookie (the login form has tests of its own)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
