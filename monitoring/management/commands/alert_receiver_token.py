"""`manage.py alert_receiver_token <cluster id>`: a new Alertmanager receiver token for a cluster, printed once.

For platform clusters, which serve every organisation and are configured by staff (organisation owners rotate their
own clusters' tokens on the cluster's alerting page). The previous token stops working at once.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from deployments.models import Cluster
from monitoring.alerts import receiver


class Command(BaseCommand):
    help = "Create or rotate a cluster's Alertmanager receiver token and print it (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("cluster_id", type=int)

    def handle(self, *args, cluster_id, **options):
        cluster = Cluster.objects.filter(pk=cluster_id).first()
        if cluster is None:
            raise CommandError(f"No cluster with id {cluster_id}.")
        with transaction.atomic():
            token = receiver.issue_token(cluster)
        self.stdout.write(token)
