"""A variable's value never stays in history: a plain variable may be marked secret later, so the audit trail (its
page, the admin and the `changes` column) and the events say that a value changed, never what it was."""

import importlib
import json

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from accounts import audit
from accounts.models import AuditEvent, User
from accounts.tests.admin_helpers import admin_url
from accounts.tests.factories import PASSWORD
from accounts.tests.page_helpers import text
from deployments.models import DeploymentEvent
from deployments.tests.factories import make_deployment

pytestmark = pytest.mark.django_db

PLAIN_THEN_SECRET = "eu-west-1-later-secret-4f2a"
ROTATED = "rotated-9c1d-not-for-history"


def url(name, *args):
    return reverse(name, args=["acme", *args])


def raw_changes_column() -> str:
    """The `changes` column exactly as PostgreSQL holds it, every row."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT changes::text FROM accounts_auditevent")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_plain_variable_made_secret_leaves_no_value_in_the_audit_page_admin_or_column(client, tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    client.force_login(tenancy.owner)
    client.post(url("variable_add", deployment.pk), {"key": "REGION", "value": PLAIN_THEN_SECRET})
    variable = deployment.variables.get(key="REGION")
    client.post(url("variable_edit", deployment.pk, variable.pk), {"value": PLAIN_THEN_SECRET, "is_secret": "on"})
    client.post(url("variable_edit", deployment.pk, variable.pk), {"value": ROTATED})
    variable.refresh_from_db()
    assert variable.is_secret and variable.value == ROTATED

    audit_page = text(client.get(reverse("audit_log", args=["acme"])))
    staff = User.objects.create_superuser(email="staff@aerodrome.test", password=PASSWORD)
    client.force_login(staff)
    admin_pages = text(client.get(admin_url(AuditEvent))) + "".join(
        text(client.get(admin_url(AuditEvent, "change", event.pk))) for event in AuditEvent.objects.all()
    )
    events = " ".join(DeploymentEvent.objects.values_list("message", flat=True))
    for history in (audit_page, admin_pages, raw_changes_column(), events):
        assert PLAIN_THEN_SECRET not in history and ROTATED not in history
    # What the trail does say: which variable, that its value was set or changed, and when it became secret.
    actions = list(AuditEvent.objects.filter(action__startswith="deployment.variable").values_list("action", "changes"))
    assert actions == [
        ("deployment.variable_update", {"key": "REGION", "value": "changed", "secret": True}),
        ("deployment.variable_update", {"key": "REGION", "secret": [False, True]}),
        ("deployment.variable_create", {"key": "REGION", "value": "set", "secret": False}),
    ]
    assert "REGION" in audit_page and "False → True" in audit_page


def test_the_audit_trail_never_stores_a_value_under_a_field_that_may_be_secret(tenancy):
    """The mechanism, not each caller: whatever a service hands `record`, a secret-prone field says only that it
    changed."""
    event = audit.record(
        actor=tenancy.owner,
        action="test.secret_fields",
        target=tenancy.org,
        changes={
            "value": ["old-plain", "new-plain"],
            "password": "hunter2",
            "client_secret": "replaced",
            "key": "REGION",
        },
    )
    event.refresh_from_db()
    assert event.changes == {"value": "changed", "password": "changed", "client_secret": "replaced", "key": "REGION"}


def _migration():
    return importlib.import_module("deployments.migrations.0004_audit_drop_variable_values")


def test_the_data_migration_drops_values_from_existing_variable_audit_rows(tenancy):
    def old_row(action, changes):
        return AuditEvent.objects.create(
            organization=tenancy.org,
            actor_label="owner@acme.test",
            action=action,
            target_type="deployment",
            target_id="1",
            target_label="Sales pipelines",
            changes=changes,
        )

    created = old_row("deployment.variable_create", {"key": "REGION", "value": PLAIN_THEN_SECRET, "secret": False})
    updated = old_row("deployment.variable_update", {"key": "REGION", "value": "(secret)", "secret": True})
    deleted = old_row("deployment.variable_delete", {"key": "REGION"})
    other = old_row("deployment.update", {"description": ["", "value: kept"]})

    _migration().drop_variable_values(apps, None)

    rows = {event.pk: event.changes for event in AuditEvent.objects.all()}
    assert rows[created.pk] == {"key": "REGION", "value": "(hidden)", "secret": False}
    assert rows[updated.pk] == {"key": "REGION", "value": "(hidden)", "secret": True}
    assert rows[deleted.pk] == {"key": "REGION"}
    assert rows[other.pk] == {"description": ["", "value: kept"]}
    assert PLAIN_THEN_SECRET not in json.dumps(list(rows.values())) and PLAIN_THEN_SECRET not in raw_changes_column()
