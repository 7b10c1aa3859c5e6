"""Stored addresses in the one form Aerodrome now compares them in (`aerodrome.validation.normalize_email`): lower
case, the domain in Unicode. An address saved in punycode (`jurgen@xn--exmple-cua.de`, as a browser's email box
sends it) becomes `jurgen@exämple.de`. A row whose new form is already taken by another row (the same person twice)
is left as it is, for staff to merge; the migration says how many."""

from django.db import IntegrityError, migrations, transaction

from aerodrome.validation import normalize_email


def _normalize(model, field="email") -> int:
    skipped = 0
    for row in model.objects.all().only("pk", field).iterator():
        value = getattr(row, field)
        normalized = normalize_email(value)
        if normalized == value:
            continue
        try:
            with transaction.atomic():
                model.objects.filter(pk=row.pk).update(**{field: normalized})
        except IntegrityError:
            skipped += 1
    return skipped


def forwards(apps, schema_editor):
    skipped = 0
    for label in ("accounts.User", "accounts.Invitation", "account.EmailAddress"):
        skipped += _normalize(apps.get_model(label))
    if skipped:
        print(f"\n  {skipped} address(es) left as they were: their normalised form belongs to another row.")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_session_salt"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
