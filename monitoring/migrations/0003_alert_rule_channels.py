# The channels a rule notifies (branch channels' Channel model, migration 0050); also joins the two leaves.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0002_alert_rules_alerts_silences"),
        ("monitoring", "0001_channels_and_deliveries"),
    ]

    operations = [
        migrations.AddField(
            model_name="alertrule",
            name="channels",
            field=models.ManyToManyField(blank=True, related_name="alert_rules", to="monitoring.channel"),
        ),
    ]
