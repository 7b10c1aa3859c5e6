"""Component logs: merge throughput, and the Logs tab's time to first screen with 8 pods x 5,000 lines (goal < 1 s).

1. Parse + filter + heap merge alone, in memory (no HTTP): lines per second over 8 containers' logs of 5,000
   timestamped lines each, in Airflow's formats (Airflow 3 console, Airflow 2 text, JSON), unfiltered and with a
   level and search filter; then `heapq.merge` alone.
2. Time to first screen against a fake cluster (kmock over real HTTP on 127.0.0.1) holding 8 pods of 5,000 lines:
   the Logs tab's page (its filters) plus the panel it loads at once (pod list, 8 log reads, parse, merge, render of
   the newest LOGS_PAGE_LINES lines), through Django's test client as a member; and the API's answer. Median of
   --runs, after one warm-up.

    .venv/bin/python bench/logs.py [--pods 8] [--lines 5000] [--runs 5]

Uses a throwaway test database of its own on the configured PostgreSQL (DJANGO_SETTINGS_MODULE=aerodrome.settings_test).
"""

import argparse
import datetime
import heapq
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aerodrome.settings_test")

import warnings  # noqa: E402

import django  # noqa: E402

warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic for a benchmark

django.setup()

from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from accounts.models import Organization, OrganizationMembership, User  # noqa: E402
from accounts.roles import OrgRole, WorkspaceRole  # noqa: E402
from deployments.kube.gateway import LogOptions  # noqa: E402
from deployments.tests.factories import make_cluster, make_deployment  # noqa: E402
from deployments.tests.kmock_harness import FakeCluster, rfc3339_nano  # noqa: E402
from monitoring.logs import selectors  # noqa: E402
from monitoring.logs.query import parse_query  # noqa: E402
from monitoring.tests.logs_world import add_pod  # noqa: E402
from workspaces.models import Workspace, WorkspaceRoleBinding  # noqa: E402

GOAL_SECONDS = 1.0
TEST_DATABASE = f"test_aerodrome_bench_logs_{os.getpid()}"
LEVELS = ["INFO", "INFO", "INFO", "INFO", "WARNING", "INFO", "DEBUG", "ERROR"]


def line_text(pod: int, i: int, moment: datetime.datetime) -> str:
    level = LEVELS[(i + pod) % len(LEVELS)]
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    match pod % 3:
        case 0:
            return (
                f"{stamp} [{level.lower():<9}] Scheduler loop {i}: 3 DAG runs checked, 12 task instances queued "
                "[airflow.jobs.scheduler_job_runner] loc=scheduler_job_runner.py:1203"
            )
        case 1:
            return f"[{stamp}] {{taskinstance.py:1234}} {level} - Running <TaskInstance: etl.extract_{i} scheduled__x>"
        case _:
            return (
                f'{{"timestamp": "{stamp}", "level": "{level.lower()}", "event": "Triggerer heartbeat {i}", '
                '"logger": "airflow.jobs.triggerer_job_runner"}'
            )


def streams(pods: int, lines: int) -> list[list[tuple[datetime.datetime, str]]]:
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=50)
    result = []
    for pod in range(pods):
        step = 2_900 / lines  # spread over ~48 minutes, interleaved between pods
        result.append(
            [
                (moment, line_text(pod, i, moment))
                for i in range(lines)
                if (moment := start + datetime.timedelta(seconds=i * step + pod * 0.013))
            ]
        )
    return result


def merge_throughput(data, deployment) -> None:
    components = selectors.components(deployment)
    texts = ["".join(f"{rfc3339_nano(moment)} {text}\n" for moment, text in stream) for stream in data]
    total = sum(len(stream) for stream in data)
    options = LogOptions(limit_bytes=64 * 1024 * 1024, tail_lines=None, since_seconds=3600)
    for label, params in (("unfiltered", {}), ("level=WARNING&search=loop", {"level": "WARNING", "search": "loop"})):
        query = parse_query(QueryDict(urlencode(params)), components, deployment.pk)
        runs = []
        for _ in range(3):
            built = [selectors._Stream(components[0], f"pod-{n}", "airflow", text=text) for n, text in enumerate(texts)]
            start = time.perf_counter()
            page = selectors._assemble(built, query, options, 0, max_lines=total, notices=[])
            runs.append(time.perf_counter() - start)
        best = min(runs)
        print(f"  parse + filter + merge ({label}): {total:,} lines in {best * 1000:.0f} ms = "
              f"{total / best:,.0f} lines/s ({len(page.lines):,} matched)")  # fmt: skip
    keyed = [[(i * 7 + n, n) for i in range(len(stream))] for n, stream in enumerate(data)]
    start = time.perf_counter()
    merged = sum(1 for _ in heapq.merge(*keyed))
    elapsed = time.perf_counter() - start
    print(f"  heapq.merge alone: {merged:,} lines in {elapsed * 1000:.0f} ms = {merged / elapsed:,.0f} lines/s")


def seed(kube, pods: int, lines: int):
    org = Organization.objects.create(name="Bench", slug="bench")
    owner = User.objects.create_user(email="owner@bench.test", password="x")
    member = User.objects.create_user(email="member@bench.test", password="x")
    OrganizationMembership.objects.create(organization=org, user=owner, role=OrgRole.OWNER)
    OrganizationMembership.objects.create(organization=org, user=member, role=OrgRole.MEMBER)
    workspace = Workspace.objects.create(organization=org, name="Bench")
    WorkspaceRoleBinding.objects.create(workspace=workspace, user=member, role=WorkspaceRole.MEMBER)
    cluster = make_cluster(organization=org, url=kube.url, name="bench")
    deployment = make_deployment(actor=owner, workspace=workspace, cluster=cluster)
    data = streams(pods, lines)
    components = ["scheduler", "worker", "triggerer", "dag-processor"]
    for n, stream in enumerate(data):
        component = components[n % len(components)]
        queue = "default" if component == "worker" else None
        add_pod(kube, deployment, component, f"pod{n}", stream, queue=queue)
    return deployment, member, data


def first_screen(deployment, member, runs: int) -> None:
    client = Client()
    client.force_login(member)
    base = f"/orgs/{deployment.workspace.organization.slug}/deployments/{deployment.pk}/logs/"
    timings = {"page (filters)": [], "panel (read + merge + render)": [], "API": []}
    for run in range(runs + 1):
        start = time.perf_counter()
        page = client.get(base)
        mid = time.perf_counter()
        panel = client.get(base + "lines/", HTTP_HX_REQUEST="true")
        end = time.perf_counter()
        api = client.get(f"/api/v1/deployments/{deployment.pk}/logs/")
        api_end = time.perf_counter()
        assert page.status_code == panel.status_code == api.status_code == 200
        if run:  # the first is a warm-up
            timings["page (filters)"].append(mid - start)
            timings["panel (read + merge + render)"].append(end - mid)
            timings["API"].append(api_end - end)
    shown = panel.content.count(b'class="log-line')
    body = api.json()
    for label, values in timings.items():
        print(f"  {label}: median {statistics.median(values) * 1000:.0f} ms (min {min(values) * 1000:.0f} ms)")
    total = statistics.median(timings["page (filters)"]) + statistics.median(timings["panel (read + merge + render)"])
    verdict = "OK" if total < GOAL_SECONDS else "OVER GOAL"
    goal = GOAL_SECONDS * 1000
    print(f"  time to first screen (page + panel): {total * 1000:.0f} ms, goal < {goal:.0f} ms: {verdict}")
    print(f"  lines on the first screen: {shown:,}; API lines: {len(body['lines']):,}; notices: {body['notices']}")
    return total < GOAL_SECONDS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=8)
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    connection.settings_dict["TEST"]["NAME"] = TEST_DATABASE
    old = setup_databases(verbosity=0, interactive=False)
    kube = FakeCluster().start()
    try:
        deployment, member, data = seed(kube, args.pods, args.lines)
        print(f"{args.pods} pods x {args.lines:,} lines ({args.pods * args.lines:,} lines)")
        print("merge throughput (in memory):")
        merge_throughput(data, deployment)
        print("Logs tab against the fake cluster over HTTP:")
        ok = first_screen(deployment, member, args.runs)
    finally:
        kube.stop()
        teardown_databases(old, verbosity=0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
