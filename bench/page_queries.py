"""SQL queries per dashboard page at N=10, 100 and 1000 rows (members, workspaces, audit entries, Deployments and
events), the page's size, and its time against a trivial view, in one run.

    DJANGO_SETTINGS_MODULE=aerodrome.settings_test .venv/bin/python bench/page_queries.py

Uses a throwaway test database on the configured PostgreSQL. The query count of a page must not grow with N; at
N=10 a page may ask fewer (a list that fits on its first page is not counted, aerodrome.views.paginate).
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aerodrome.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402

from accounts.models import AuditEvent, Organization, OrganizationMembership, Team, User  # noqa: E402
from accounts.roles import OrgRole, WorkspaceRole  # noqa: E402
from deployments.models import Deployment, DeploymentEvent, WorkerQueue  # noqa: E402
from workspaces.models import Workspace, WorkspaceRoleBinding  # noqa: E402


def populate(n: int):
    org = Organization.objects.create(name=f"Bench {n}", slug=f"bench-{n}")
    owner = User.objects.create_user(f"owner-{n}@bench.test", "x")
    OrganizationMembership.objects.create(organization=org, user=owner, role=OrgRole.OWNER)
    users = User.objects.bulk_create(User(email=f"u{i}-{n}@bench.test") for i in range(n))
    OrganizationMembership.objects.bulk_create(OrganizationMembership(organization=org, user=u) for u in users)
    workspaces = Workspace.objects.bulk_create(Workspace(organization=org, name=f"ws {i}") for i in range(n))
    WorkspaceRoleBinding.objects.bulk_create(
        WorkspaceRoleBinding(workspace=workspaces[0], user=u, role=WorkspaceRole.MEMBER) for u in users
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(
            organization=org,
            actor=owner,
            actor_label=owner.email,
            action="bench",
            target_type="x",
            target_id="1",
            target_label="x",
        )
        for _ in range(n)
    )
    deployments = Deployment.objects.bulk_create(
        Deployment(
            workspace=workspaces[0],
            name=f"deployment {i}",
            release_name=f"bench-{n}-{i}",
            image_tag="3.1.3",
            generated_secrets={"fernet_key": "x"},
            status=Deployment.Status.HEALTHY if i % 2 else Deployment.Status.DEPLOYING,
        )
        for i in range(n)
    )
    WorkerQueue.objects.bulk_create(WorkerQueue(deployment=d, name="default") for d in deployments)
    DeploymentEvent.objects.bulk_create(
        DeploymentEvent(deployment=deployments[0], reason="Applied", message="bench") for _ in range(n)
    )
    team = Team.objects.create(organization=org, name="Bench team")  # everyone and every workspace may be added
    return org, owner, workspaces[0], deployments[0], team


def measure(client, url, repeat=5):
    reset_queries()  # the request_started signal clears the log too; start from empty so the count is right
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    count = len(queries)  # read now: later requests clear the log this slices
    assert response.status_code == 200, (url, response.status_code)
    size = len(response.content)
    client.get(url)  # warm up
    start = time.perf_counter()
    for _ in range(repeat):
        client.get(url)
    return count, (time.perf_counter() - start) / repeat * 1000, size


def main():
    old = setup_databases(verbosity=0, interactive=False)
    try:
        rows = []
        for n in (10, 100, 1000):
            org, owner, workspace, deployment, team = populate(n)
            with connection.cursor() as cursor:  # statistics, as autovacuum keeps them: no plans for empty tables
                cursor.execute("ANALYZE")
            client = Client()
            client.force_login(owner)
            _, trivial_ms, _ = measure(client, "/healthz")
            for name, url in [
                ("organisation home", f"/orgs/{org.slug}/"),
                ("workspace page", f"/orgs/{org.slug}/workspaces/{workspace.pk}/"),
                ("members page", f"/orgs/{org.slug}/members/"),
                ("team page", f"/orgs/{org.slug}/teams/{team.pk}/"),
                ("audit log", f"/orgs/{org.slug}/audit/"),
                ("API workspaces", f"/api/v1/workspaces/?organization={org.slug}"),
                ("deployment overview", f"/orgs/{org.slug}/deployments/{deployment.pk}/"),
                ("deployment events", f"/orgs/{org.slug}/deployments/{deployment.pk}/events/"),
                ("API deployments", f"/api/v1/deployments/?workspace={workspace.pk}"),
            ]:
                count, ms, size = measure(client, url)
                rows.append((name, n, count, size, ms, ms / trivial_ms))
        print(f"{'page':<20}{'N':>6}{'queries':>9}{'KB':>7}{'ms':>9}{'x trivial':>11}")
        for name, n, count, size, ms, ratio in sorted(rows):
            print(f"{name:<20}{n:>6}{count:>9}{size / 1024:>7.0f}{ms:>9.1f}{ratio:>11.1f}")
        by_page = {}
        for name, n, count, *_ in rows:
            by_page.setdefault(name, {})[n] = count
        grew = [name for name, c in by_page.items() if not c[10] <= c[100] == c[1000]]
        print("query counts constant in N:", "yes" if not grew else f"NO ({', '.join(grew)})")
        return 1 if grew else 0
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
