"""Creates a demo organisation, workspace, Deployment and owner for `make run`, and prints how to log in.

Safe to run again: it creates what is missing and leaves the rest alone. It lives at the project level, above the
apps, because it builds with all of them (through their services).
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Organization, OrganizationMembership, User
from accounts.roles import OrgRole
from accounts.services import organization_create
from deployments.models import Deployment
from deployments.services import deployment_create
from workspaces.models import Workspace
from workspaces.services import workspace_create

DEMO_EMAIL = "owner@aerodrome.local"
DEMO_PASSWORD = "aerodrome-demo"
COLLEAGUE_EMAIL = "analyst@aerodrome.local"


class Command(BaseCommand):
    help = "Create a demo organisation, workspace and owner account (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        owner = User.objects.filter(email=DEMO_EMAIL).first()
        if owner is None:
            owner = User.objects.create_user(DEMO_EMAIL, DEMO_PASSWORD, full_name="Demo Owner")
        org = Organization.objects.filter(memberships__user=owner, memberships__role=OrgRole.OWNER).first()
        if org is None:
            org = organization_create(actor=owner, name="Demo Organisation")
        workspace = Workspace.objects.filter(organization=org).first()
        if workspace is None:
            workspace = workspace_create(
                actor=owner, organization=org, name="Data Platform", description="Demo workspace"
            )
        if not Deployment.objects.filter(workspace__organization=org).exists():
            # On the built-in "manifests only" cluster: the worker renders it, no Kubernetes needed.
            deployment_create(
                actor=owner,
                workspace=workspace,
                name="Marketing analytics",
                description="Demo Deployment: nightly marketing ETL",
                contact_emails=[DEMO_EMAIL],
            )
        colleague = User.objects.filter(email=COLLEAGUE_EMAIL).first()
        if colleague is None:
            colleague = User.objects.create_user(COLLEAGUE_EMAIL, DEMO_PASSWORD, full_name="Ada Analyst")
        OrganizationMembership.objects.get_or_create(organization=org, user=colleague)
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Demo organisation: {org.name}\n"
                f"  Log in as {DEMO_EMAIL} with the password {DEMO_PASSWORD}\n"
                f"  (a second member, {COLLEAGUE_EMAIL}, has the same password)\n"
            )
        )
