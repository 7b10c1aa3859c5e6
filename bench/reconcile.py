"""Reconcile cost against fake Kubernetes API servers (kmock over real HTTP on 127.0.0.1), in one run:

1. render + apply of new Deployments: time per Deployment, Kubernetes requests per Deployment by method, and
   render() alone, so the apply/render ratio is visible;
2. a no-op pass (`reconcile.run` again) over Deployments already applied once: it must make zero write
   requests, or the script exits non-zero; its time, reads (GETs) and SQL queries per Deployment.

    .venv/bin/python bench/reconcile.py [--deployments 100] [--noop 1000]

Uses a throwaway test database of its own on the configured PostgreSQL (DJANGO_SETTINGS_MODULE=
aerodrome.settings_test). Deployments are created through the services; the reconcile they ask for on commit is
not sent to Celery: the benchmark calls `reconcile.run` itself, one Deployment at a time, for everything it times.

The fake cluster answers a list by scanning every object it holds (an API server reads one namespace), so one
fake holding 1,000 Deployments would make each list cost ~50x what it does here and measure kmock, not us. The
Deployments are spread over fake clusters (and Cluster rows) of at most PER_CLUSTER each instead.
The untimed first apply of the no-op set runs in WORKERS forked processes, through the same `reconcile.run`.
"""

import argparse
import collections
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aerodrome.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from accounts.models import Organization, OrganizationMembership, User  # noqa: E402
from accounts.roles import OrgRole  # noqa: E402
from deployments import selectors, tasks  # noqa: E402
from deployments.kube import reconcile, render  # noqa: E402
from deployments.tests.factories import make_cluster, make_deployment  # noqa: E402
from deployments.tests.kmock_harness import WRITE_METHODS, FakeCluster  # noqa: E402
from workspaces.models import Workspace  # noqa: E402

PER_CLUSTER = 10
GOAL_GETS, GOAL_QUERIES = 14, 7  # per no-op Deployment (issue 9)
WORKERS = 2
METHODS = ("GET", *WRITE_METHODS)
# Our own database: the default test database may be in use by a test run at the same time.
TEST_DATABASE = f"test_aerodrome_bench_reconcile_{os.getpid()}"


class Fleet:
    """Fake clusters, each with its Cluster row, handed out so none holds more than PER_CLUSTER Deployments."""

    def __init__(self, organization):
        self.organization = organization
        self.fakes: list[FakeCluster] = []
        self.clusters = []

    def cluster(self, index: int):
        while index // PER_CLUSTER >= len(self.fakes):
            fake = FakeCluster().start()
            self.fakes.append(fake)
            self.clusters.append(make_cluster(organization=self.organization, url=fake.url))
        return self.clusters[index // PER_CLUSTER]

    @property
    def requests(self) -> collections.Counter:
        return sum((collections.Counter(fake.requests) for fake in self.fakes), collections.Counter())

    def errors(self) -> list[Exception]:
        return [error for fake in self.fakes for error in fake.errors]

    def stop(self) -> None:
        for fake in reversed(self.fakes):  # kmock servers chain a resolver hook: unwind in reverse
            fake.stop()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def per(counter: collections.Counter, n: int) -> str:
    return "  ".join(f"{method} {counter[method] / n:.1f}" for method in METHODS if counter[method]) or "none"


def create(actor, workspace, fleet: Fleet, indexes: range) -> list[int]:
    return [
        make_deployment(actor=actor, workspace=workspace, cluster=fleet.cluster(i), name=f"bench {i:05d}").pk
        for i in indexes
    ]


def render_alone(ids: list[int]) -> tuple[list[float], list[float]]:
    """Seconds per render() (the spec built beforehand from the row as reconcile loads it), and per YAML manifest
    of the result (redact + to_yaml), which reconcile also builds on every run to store as applied_manifest."""
    render_times, manifest_times = [], []
    for pk in ids:
        deployment = reconcile._load(pk)
        queues, variables = deployment.queues.all(), deployment.variables.all()
        spec = selectors.deployment_spec(deployment, queues=queues, variables=variables)
        start = time.perf_counter()
        objects = render.render(spec)
        middle = time.perf_counter()
        render.to_yaml(render.redact(objects))
        render_times.append(middle - start)
        manifest_times.append(time.perf_counter() - middle)
    return render_times, manifest_times


class QueryCounter:
    """Counts the SQL statements this process's connection runs (the lease heartbeat's thread has its own)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def run_all(fleet: Fleet, ids: list[int]) -> tuple[list[float], collections.Counter, list, int]:
    """reconcile.run on each in turn: seconds per run, the requests the clusters saw, the outcomes, and the SQL
    statements run."""
    before = fleet.requests
    times, outcomes = [], []
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        for pk in ids:
            start = time.perf_counter()
            outcomes.append(reconcile.run(pk))
            times.append(time.perf_counter() - start)
    return times, fleet.requests - before, outcomes, counter.count


def _use_test_database() -> None:  # in each worker
    connection.settings_dict["NAME"] = TEST_DATABASE


def _run_chunk(ids: list[int]) -> list[str]:  # in a worker
    try:
        return [reconcile.run(pk).status for pk in ids]
    finally:
        connections.close_all()  # so the database can be dropped at the end


def run_parallel(pool, ids: list[int]) -> list[str]:
    chunks = [ids[i : i + PER_CLUSTER] for i in range(0, len(ids), PER_CLUSTER)]
    return [status for statuses in pool.map(_run_chunk, chunks) for status in statuses]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=100, help="Deployments to render and apply (default 100)")
    parser.add_argument("--noop", type=int, default=1000, help="Deployments in the no-op pass (default 1000)")
    args = parser.parse_args()
    if args.deployments < 1 or args.noop < 1:
        parser.error("--deployments and --noop must be at least 1")

    began = time.perf_counter()
    # Forked now, while this process has neither threads (the fake clusters' loops) nor database connections.
    pool = multiprocessing.get_context("fork").Pool(WORKERS, initializer=_use_test_database)
    connection.settings_dict["TEST"]["NAME"] = TEST_DATABASE
    old = setup_databases(verbosity=0, interactive=False)
    fleet = None
    try:
        organization = Organization.objects.create(name="Bench", slug="bench")
        fleet = Fleet(organization)
        with mock.patch.object(tasks.reconcile, "apply_async"):  # the benchmark reconciles, not a Celery worker
            return bench(fleet, pool, args.deployments, args.noop, began)
    finally:
        pool.close()
        pool.join()
        if fleet:
            fleet.stop()
        connections.close_all()
        teardown_databases(old, verbosity=0)


def bench(fleet: Fleet, pool, n_apply: int, n_noop: int, began: float) -> int:
    owner = User.objects.create_user("owner@bench.test", "x")
    OrganizationMembership.objects.create(organization=fleet.organization, user=owner, role=OrgRole.OWNER)
    workspace = Workspace.objects.create(organization=fleet.organization, name="Bench")

    # --- 1. render + apply -------------------------------------------------------------------------------------
    start = time.perf_counter()
    fresh = create(owner, workspace, fleet, range(n_apply))
    create_s = time.perf_counter() - start
    render_times, manifest_times = render_alone(fresh)
    times, requests, outcomes, _ = run_all(fleet, fresh)
    objects = statistics.mean(len(o.created) + len(o.updated) + o.unchanged for o in outcomes)
    healthy = sum(o.status == "HEALTHY" for o in outcomes)
    mean = statistics.mean(times)
    print(f"1. render + apply: {n_apply} new Deployments, {objects:.0f} objects each, {len(fleet.fakes)} fake clusters")
    print(f"   setup: created the rows through the services in {create_s:.1f} s")
    print(f"   reconcile.run total        {sum(times):.2f} s")
    print(f"   per Deployment             mean {ms(mean)}   p95 {ms(p95(times))}")
    print(f"   render() alone             mean {ms(statistics.mean(render_times))}   p95 {ms(p95(render_times))}")
    print(f"   manifest YAML alone        mean {ms(statistics.mean(manifest_times))}   p95 {ms(p95(manifest_times))}")
    print(f"   reconcile / render()       {mean / statistics.mean(render_times):.0f}x")
    print(f"   requests per Deployment    {per(requests, n_apply)}   (all {sum(requests.values()) / n_apply:.1f})")
    print(f"   healthy after the run      {healthy}/{n_apply}")

    # --- 2. no-op pass -----------------------------------------------------------------------------------------
    reused = fresh[:n_noop]  # already applied in part 1
    start = time.perf_counter()
    extra = create(owner, workspace, fleet, range(n_apply, n_apply + n_noop - len(reused)))
    create_s = time.perf_counter() - start
    start = time.perf_counter()
    first = run_parallel(pool, extra)
    apply_s = time.perf_counter() - start
    ids = reused + extra
    times, requests, outcomes, queries = run_all(fleet, ids)
    writes = sum(requests[method] for method in WRITE_METHODS)
    changed = sum(bool(o.created or o.updated or o.pruned) for o in outcomes)
    healthy = sum(o.status == "HEALTHY" for o in outcomes)
    print()
    print(f"2. no-op reconcile: {n_noop} Deployments ({len(reused)} of part 1), {len(fleet.fakes)} fake clusters")
    print(
        f"   setup: created {len(extra)} rows in {create_s:.1f} s, first apply in {apply_s:.1f} s "
        f"({WORKERS} processes; {first.count('HEALTHY')} healthy)"
    )
    print(f"   reconcile.run total        {sum(times):.2f} s")
    print(f"   per Deployment             mean {ms(statistics.mean(times))}   p95 {ms(p95(times))}")
    print(f"   reads per Deployment       {requests['GET'] / n_noop:.1f}   (goal <= {GOAL_GETS})")
    print(f"   SQL queries per Deployment {queries / n_noop:.1f}   (goal <= {GOAL_QUERIES})")
    print(f"   write requests             {writes}   ({', '.join(f'{m} {requests[m]}' for m in WRITE_METHODS)})")
    print(f"   outcomes with changes      {changed}")
    print(f"   healthy after the run      {healthy}/{n_noop}")
    errors = fleet.errors()
    if errors:
        print(f"   fake cluster errors        {len(errors)} (first: {errors[0]!r})")
    print()
    print(f"whole run {time.perf_counter() - began:.0f} s")
    if writes or changed:
        print(f"FAIL: the no-op pass made {writes} write request(s); {changed} outcome(s) reported changes")
        return 1
    print("no-op pass wrote nothing: yes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
