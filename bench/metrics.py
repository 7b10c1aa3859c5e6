"""The Metrics tab's cost against a real Prometheus (Debian's, on a free port, with three hours of backfilled
history for two Deployments: monitoring/tests/metrics_world.py): for each window, the Prometheus queries the charts
make, their total and slowest time, the page's time with a cold cache and with a warm one, and points per chart.

    .venv/bin/python bench/metrics.py [--repeat 5]

Uses a throwaway test database of its own on the configured PostgreSQL (DJANGO_SETTINGS_MODULE=
aerodrome.settings_test) and the local-memory cache.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aerodrome.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from accounts.models import Organization, OrganizationMembership, User  # noqa: E402
from accounts.roles import OrgRole  # noqa: E402
from deployments.models import Deployment  # noqa: E402
from deployments.tests.factories import make_cluster, make_deployment  # noqa: E402
from monitoring.metrics import catalogue, prometheus, selectors  # noqa: E402
from monitoring.tests import metrics_world  # noqa: E402
from workspaces.models import Workspace  # noqa: E402

TEST_DATABASE = f"test_aerodrome_bench_metrics_{os.getpid()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="cold and warm loads per window (default 5)")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    connection.settings_dict["TEST"]["NAME"] = TEST_DATABASE
    old = setup_databases(verbosity=0, interactive=False)
    engines = None
    try:
        with tempfile.TemporaryDirectory() as directory:
            started = time.perf_counter()
            engines = metrics_world.start_engines(Path(directory))
            ready = time.perf_counter() - started
            print(f"Prometheus {engines.prometheus.url}: ready with 3 h of history in {ready:.1f} s")
            return bench(engines, args.repeat)
    finally:
        if engines:
            engines.stop()
        connections.close_all()
        teardown_databases(old, verbosity=0)


def bench(engines, repeat: int) -> int:
    organization = Organization.objects.create(name="Bench", slug="bench")
    owner = User.objects.create_user("owner@bench.test", "x")
    OrganizationMembership.objects.create(organization=organization, user=owner, role=OrgRole.OWNER)
    workspace = Workspace.objects.create(organization=organization, name="Bench")
    cluster = make_cluster(organization=None, name="bench", prometheus_url=engines.prometheus.url)
    deployment = make_deployment(actor=owner, workspace=workspace, name="Bench ETL", cluster=cluster)
    Deployment.objects.filter(pk=deployment.pk).update(release_name=metrics_world.RELEASE_A)
    deployment = Deployment.objects.get(pk=deployment.pk)
    client = Client()
    client.force_login(owner)
    url = f"/orgs/{organization.slug}/deployments/{deployment.pk}/metrics/charts/"

    print(f"{'window':>6} {'step':>6} {'queries':>7} {'query ms (sum)':>14} {'slowest':>8} "
          f"{'cold page ms':>12} {'warm page ms':>12} {'warm queries':>12} {'points/chart':>12}")  # fmt: skip
    for window in catalogue.WINDOWS:
        cold, warm, sums, slowest, counts, warm_counts = [], [], [], [], [], []
        for _ in range(repeat):
            cache.clear()
            with prometheus.recording() as calls:
                began = time.perf_counter()
                response = client.get(url, {"window": window})
                cold.append(time.perf_counter() - began)
            assert response.status_code == 200 and b"metrics-chart-card" in response.content, response.content[:500]
            counts.append(len(calls))
            sums.append(sum(call.seconds for call in calls))
            slowest.append(max(call.seconds for call in calls))
            with prometheus.recording() as calls:
                began = time.perf_counter()
                client.get(url, {"window": window})
                warm.append(time.perf_counter() - began)
            warm_counts.append(len(calls))
        metrics = selectors.deployment_metrics(deployment=deployment, window=window)
        points = max(len(s["points"]) for chart in metrics.charts for p in chart.panels for s in p.series)
        print(
            f"{window:>6} {catalogue.step_for(window):>5}s {statistics.median(counts):>7.0f} "
            f"{statistics.median(sums) * 1000:>14.1f} {statistics.median(slowest) * 1000:>7.1f} "
            f"{statistics.median(cold) * 1000:>12.1f} {statistics.median(warm) * 1000:>12.1f} "
            f"{statistics.median(warm_counts):>12.0f} {points:>12}"
        )
    parallel, cached = selectors.PARALLEL_QUERIES, settings.METRICS_CACHE_SECONDS
    print(f"(medians of {repeat}; queries run {parallel} at a time; answers cached {cached} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
