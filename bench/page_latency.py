"""Page latency against the framework floor, measured in one run with a real server process:

- the floor: a trivial login-required view (bench/latency_urls.py: `login_required`, returns "ok"), served by the
  same gunicorn, settings, middleware, session and database as the rest;
- the workspace page of a workspace holding --deployments Deployments, in an organisation of --members people;
- the Deployment list API (`/api/v1/deployments/?workspace=`, one page of 50).

    .venv/bin/python bench/page_latency.py [--deployments 1000] [--members 1000] [--rounds 60] [--conn-max-age 0]

It seeds a throwaway PostgreSQL database of its own (DJANGO_SETTINGS_MODULE=aerodrome.settings_test names the
server), runs `collectstatic` with the production storage into a temporary STATIC_ROOT (pages link hashed names, as
in production), then starts gunicorn with platform/gunicorn.conf.py, DEBUG off, the README's production settings
(SSL redirect and secure cookies: the client speaks as the TLS proxy would), one process with one thread so the
timings are not shared with queueing, keeping its database connection between requests as the product does by
default (`--conn-max-age 0`: a new connection per request, as before that default). It logs in through the login
page and times the URLs in interleaved rounds (a round asks each URL once, so a noisy neighbour on the machine slows
all of them alike) and prints the medians and their ratios to the floor: on the clock, and in the server thread's
CPU time (a header the benchmark's settings add), which a loaded machine hardly changes. Exit status 1 when a goal
(workspace page <= 3x, API list <= 2x, on the clock) is missed.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aerodrome.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import PBKDF2PasswordHasher  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from accounts.models import Organization, OrganizationMembership, User  # noqa: E402
from accounts.roles import OrgRole, WorkspaceRole  # noqa: E402
from aerodrome.tests.servers import Server, clean_env, documented_production_env, free_port, manage  # noqa: E402
from deployments.models import Deployment, WorkerQueue  # noqa: E402
from workspaces.models import Workspace, WorkspaceRoleBinding  # noqa: E402

PASSWORD = "bench-password-0123456789"
TEST_DATABASE = f"test_aerodrome_bench_latency_{os.getpid()}"
GOALS = {"workspace page": 3.0, "API Deployment list": 2.0}


def seed(n_deployments: int, n_members: int):
    org = Organization.objects.create(name="Bench", slug="bench")
    hasher = PBKDF2PasswordHasher()  # as production hashes it: the server checks it at login
    owner = User.objects.create(email="owner@bench.test", password=hasher.encode(PASSWORD, hasher.salt()))
    OrganizationMembership.objects.create(organization=org, user=owner, role=OrgRole.OWNER)
    people = User.objects.bulk_create(User(email=f"person{i:05d}@bench.test") for i in range(n_members))
    OrganizationMembership.objects.bulk_create(OrganizationMembership(organization=org, user=u) for u in people)
    workspace = Workspace.objects.create(organization=org, name="Bench workspace")
    # A few direct members, as a real workspace has; the rest of the organisation are candidates for the picker.
    WorkspaceRoleBinding.objects.bulk_create(
        WorkspaceRoleBinding(workspace=workspace, user=u, role=WorkspaceRole.MEMBER) for u in people[:20]
    )
    deployments = Deployment.objects.bulk_create(
        Deployment(
            workspace=workspace,
            name=f"deployment {i:05d}",
            release_name=f"bench-{i:05d}",
            image_tag="3.1.3",
            generated_secrets={"fernet_key": "x"},
            status=Deployment.Status.HEALTHY,
        )
        for i in range(n_deployments)
    )
    WorkerQueue.objects.bulk_create(WorkerQueue(deployment=d, name="default") for d in deployments)
    return org, owner, workspace


def server_env(var_dir: Path, static_manifest: bool, conn_max_age: int | None = None) -> dict[str, str]:
    from aerodrome.oidc_keys import new_key_pem

    database = settings.DATABASES["default"]
    key_file = var_dir / "aerodrome-oidc.pem"  # production reads the OIDC signing key from a file like this one
    if not key_file.exists():
        key_file.write_text(new_key_pem())
    here = dict(
        DJANGO_SETTINGS_MODULE="bench.latency_settings",
        SECRET_KEY=settings.SECRET_KEY,  # the seeded rows' secrets are encrypted with it
        DATABASE_URL=f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{TEST_DATABASE}",
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CACHE_URL="locmemcache://",
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="https://127.0.0.1",
        EMAIL_URL=f"smtp://127.0.0.1:{free_port()}",
        VAR_DIR=str(var_dir),
        OIDC_RSA_PRIVATE_KEY_FILE=str(key_file),
        WEB_CONCURRENCY="1",
        WEB_THREADS="1",
        STATIC_MANIFEST="true" if static_manifest else "false",
        API_RATE_LIMIT="100000/minute",  # the benchmark is one client asking fast; not what is measured
        LOG_LEVEL="WARNING",
    )
    if conn_max_age is not None:
        here["DATABASE_CONN_MAX_AGE"] = str(conn_max_age)
    return clean_env(**{**documented_production_env(), **here})


def log_in(client, email: str) -> None:
    assert client.get("/accounts/login/").status == 200
    answer = client.post(
        "/accounts/login/", {"login": email, "password": PASSWORD, "csrfmiddlewaretoken": client.csrf_token()}
    )
    assert answer.status == 302, (answer.status, answer.text[:500])


def timed(client, path: str, accept: str) -> tuple[float, float, float]:
    """Seconds on the clock for one request, the server's CPU seconds for it, and its seconds inside Django (the
    rest of the clock is gunicorn and HTTP; Django's seconds beyond its CPU are mostly waits on the database)."""
    start = time.perf_counter()
    answer = client.get(path, headers={"Accept": accept})
    elapsed = time.perf_counter() - start
    if answer.status != 200:
        raise RuntimeError(f"{path} answered {answer.status}: {answer.text[:500]}")
    return elapsed, float(answer.header("X-Bench-Cpu-Ms")) / 1000, float(answer.header("X-Bench-Wall-Ms")) / 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--members", type=int, default=1000, help="people in the organisation (default 1000)")
    parser.add_argument("--rounds", type=int, default=60, help="timed requests per URL (default 60)")
    parser.add_argument(
        "--no-collectstatic", action="store_true", help="STATIC_MANIFEST=false instead of collectstatic (faster)"
    )
    parser.add_argument(
        "--conn-max-age", type=int, help="DATABASE_CONN_MAX_AGE for the server (default: the product's default)"
    )
    args = parser.parse_args()

    connection.settings_dict["TEST"]["NAME"] = TEST_DATABASE
    old = setup_databases(verbosity=0, interactive=False)
    server = None
    try:
        start = time.perf_counter()
        org, owner, workspace = seed(args.deployments, args.members)
        with connection.cursor() as cursor:  # statistics, as autovacuum keeps for a production database
            cursor.execute("ANALYZE")
        connections.close_all()
        print(f"seeded {args.deployments} Deployments, {args.members} members in {time.perf_counter() - start:.1f} s")
        with tempfile.TemporaryDirectory(prefix="aerodrome-bench-") as var_dir:
            env = server_env(Path(var_dir), static_manifest=not args.no_collectstatic, conn_max_age=args.conn_max_age)
            if not args.no_collectstatic:
                start = time.perf_counter()
                result = manage("collectstatic", "--noinput", env=env, timeout=600)
                if result.returncode:
                    raise RuntimeError(result.stdout + result.stderr)
                took = time.perf_counter() - start
                print(f"collectstatic (production storage) into a temporary STATIC_ROOT: {took:.0f} s")
            server = Server(env, Path(var_dir) / "gunicorn.log")
            client = server.client()
            log_in(client, owner.email)
            urls = [
                ("trivial view", "/bench/trivial/", "text/html"),
                ("workspace page", f"/orgs/{org.slug}/workspaces/{workspace.pk}/", "text/html"),
                ("API Deployment list", f"/api/v1/deployments/?workspace={workspace.pk}", "application/json"),
            ]
            try:
                for _ in range(5):  # warm up: imports, template loading, connections
                    for _, path, accept in urls:
                        timed(client, path, accept)
                samples = {name: [] for name, _, _ in urls}
                cpu = {name: [] for name, _, _ in urls}
                inside = {name: [] for name, _, _ in urls}
                for _ in range(args.rounds):
                    for name, path, accept in urls:
                        wall, used, in_django = timed(client, path, accept)
                        samples[name].append(wall)
                        cpu[name].append(used)
                        inside[name].append(in_django)
            except RuntimeError:
                print(server.log.read_text()[-5000:], file=sys.stderr)
                raise
            server.stop()
            server = None
    finally:
        if server:
            server.stop()
        connections.close_all()
        teardown_databases(old, verbosity=0)

    floor = statistics.median(samples["trivial view"])
    cpu_floor = statistics.median(cpu["trivial view"])
    print(
        f"gunicorn 1 process x 1 thread, DEBUG off, PostgreSQL, "
        f"{'hashed static (collectstatic)' if not args.no_collectstatic else 'STATIC_MANIFEST=false'}, "
        f"DATABASE_CONN_MAX_AGE={'default' if args.conn_max_age is None else args.conn_max_age}; "
        f"{args.rounds} interleaved rounds"
    )
    print(
        "wall: the client's clock, request to answer; django: its time inside Django (beyond its cpu: waits on the "
        "database); cpu: the server thread's CPU time for it (median each)"
    )
    print(f"{'':<22}{'wall ms':>9}{'p90 ms':>9}{'x floor':>9}{'django ms':>11}{'cpu ms':>9}{'x floor':>9}{'goal':>7}")
    missed = []
    for name, values in samples.items():
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        ratio = median / floor
        cpu_median = statistics.median(cpu[name])
        goal = GOALS.get(name)
        print(
            f"{name:<22}{median * 1000:>9.1f}{p90 * 1000:>9.1f}{ratio:>9.1f}"
            f"{statistics.median(inside[name]) * 1000:>11.1f}{cpu_median * 1000:>9.1f}{cpu_median / cpu_floor:>9.1f}"
            f"{f'<= {goal:g}' if goal else '':>7}"
        )
        if goal and ratio > goal:
            missed.append(name)
    print("goals met:", "yes" if not missed else f"NO ({', '.join(missed)})")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
