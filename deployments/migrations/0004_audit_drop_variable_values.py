"""Audit entries of variable changes used to keep a plain variable's value, which stayed readable after the
variable was marked secret. The trail now never holds a value; this removes the ones already written."""

from django.db import migrations

VARIABLE_ACTIONS = ("deployment.variable_create", "deployment.variable_update")
HIDDEN = "(hidden)"  # whether an old entry changed the value is not known any more, only that it may have


def drop_variable_values(apps, schema_editor):
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    entries = AuditEvent.objects.filter(action__in=VARIABLE_ACTIONS, changes__has_key="value")
    batch = []
    for entry in entries.only("pk", "changes").iterator(chunk_size=1000):
        entry.changes = {**entry.changes, "value": HIDDEN}
        batch.append(entry)
        if len(batch) == 1000:
            AuditEvent.objects.bulk_update(batch, ["changes"])
            batch = []
    AuditEvent.objects.bulk_update(batch, ["changes"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_session_salt"),
        ("deployments", "0003_provisioning_faults"),
    ]

    operations = [migrations.RunPython(drop_variable_values, migrations.RunPython.noop)]
