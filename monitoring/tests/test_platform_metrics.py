"""The platform's own /metrics: who may read it, and what it says, scraped over real HTTP from the live server:
requests by view and status, reconcile outcomes and durations, reconcile lag, and the Celery queue depth (which
answers fast when Redis is down)."""

import time
import urllib.error
import urllib.request
import uuid

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from deployments import tasks
from deployments.models import Deployment
from deployments.tests.factories import make_deployment
from deployments.tests.processes import wait_for
from monitoring.models import ReconcileTally
from monitoring.platform_metrics import tally

TOKEN = "metrics-token-0123456789-abcdefgh"


@pytest.fixture
def with_token(settings):
    settings.PLATFORM_METRICS_TOKEN = TOKEN
    settings.PLATFORM_METRICS_ALLOWED_NETWORKS = []
    return settings


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a scrape."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(scrape: dict, name: str, **labels) -> float | None:
    return scrape.get((name, tuple(sorted(labels.items()))))


def scrape_http(base_url: str, token: str | None = TOKEN) -> dict:
    request = urllib.request.Request(f"{base_url}/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        return samples(response.read().decode())


# ------------------------------------------------------------------------------------------------------- access


@pytest.mark.django_db
def test_off_without_a_token_or_networks(client, settings):
    settings.PLATFORM_METRICS_TOKEN = ""
    settings.PLATFORM_METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 404


@pytest.mark.django_db
def test_token_is_required_and_compared_exactly(client, with_token):
    refused = client.get("/metrics")
    assert refused.status_code == 403 and refused["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


@pytest.mark.django_db
def test_allowed_networks_by_client_address(client, settings):
    import ipaddress

    settings.PLATFORM_METRICS_TOKEN = ""
    settings.PLATFORM_METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.20.0.0/16")]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.3.4").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="::ffff:10.20.3.4").status_code == 200


@pytest.mark.django_db
def test_answers_prometheus_at_the_pods_address_whatever_allowed_hosts_says(client, with_token):
    """Prometheus scrapes a pod at its IP, which ALLOWED_HOSTS does not list; a page there is refused."""
    assert (
        client.get("/metrics", HTTP_HOST="10.1.2.3:8000", headers={"Authorization": f"Bearer {TOKEN}"}).status_code
        == 200
    )
    assert client.get("/accounts/login/", HTTP_HOST="10.1.2.3:8000").status_code == 400


@pytest.mark.django_db
def test_the_personas_sessions_open_nothing(client, tenancy, with_token):
    for person in (tenancy.owner, tenancy.member, tenancy.outsider):
        client.force_login(person)
        assert client.get("/metrics").status_code == 403


# ------------------------------------------------------------------------------------------------- the figures


@pytest.mark.django_db(transaction=True)
def test_requests_are_counted_by_view_and_status_over_real_http(live_server, with_token):
    before = scrape_http(live_server.url)
    login = ("aerodrome_http_requests_total", "account_login", "GET", "200")
    for _ in range(3):
        urllib.request.urlopen(f"{live_server.url}/accounts/login/", timeout=10).read()
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{live_server.url}/no/such/page/", timeout=10)
    after = scrape_http(live_server.url)

    def delta(name, **labels):
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert delta(login[0], view=login[1], method=login[2], status=login[3]) == 3
    assert delta("aerodrome_http_request_duration_seconds_count", view="account_login", status="200") == 3
    assert delta("aerodrome_http_request_duration_seconds_bucket", view="account_login", status="200", le="+Inf") == 3
    assert delta("aerodrome_http_requests_total", view="<unmatched>", method="GET", status="404") == 1
    # Scrapes themselves, and probes, are not counted as traffic.
    urllib.request.urlopen(f"{live_server.url}/healthz", timeout=10).read()
    assert not any(key[0] == "aerodrome_http_requests_total" and ("view", "healthz") in key[1] for key in after)


@pytest.mark.django_db(transaction=True)
def test_reconcile_outcomes_durations_and_lag(worker_paused, live_server, tenancy, with_token):
    ReconcileTally.objects.all().delete()
    first = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="One")
    second = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Two")
    scrape = scrape_http(live_server.url)
    assert value(scrape, "aerodrome_deployments_lagging") == 2  # nothing applied yet
    assert value(scrape, "aerodrome_reconcile_lag_generations") == 2
    assert value(scrape, "aerodrome_reconcile_lag_oldest_seconds") >= 0

    tasks.reconcile(first.pk)  # the manifests-only cluster: rendered and stored, in this process
    Deployment.objects.filter(pk=second.pk).update(generation=4)  # three changes behind
    scrape = scrape_http(live_server.url)
    assert value(scrape, "aerodrome_reconciles_total", outcome="applied") == 1
    assert value(scrape, "aerodrome_reconcile_duration_seconds_count", outcome="applied") == 1
    assert value(scrape, "aerodrome_reconcile_duration_seconds_bucket", outcome="applied", le="+Inf") == 1
    assert value(scrape, "aerodrome_reconcile_duration_seconds_sum", outcome="applied") > 0
    assert value(scrape, "aerodrome_deployments_lagging") == 1
    assert value(scrape, "aerodrome_reconcile_lag_generations") == 4
    assert value(scrape, "aerodrome_reconcile_lag_max_generations") == 4
    assert value(scrape, "aerodrome_deployments", status="RENDERED") == 1
    assert value(scrape, "aerodrome_source_up", source="database") == 1


def test_duration_buckets_are_cumulative():
    assert tally.bucket_label(0.01) == "0.05"
    assert tally.bucket_label(0.05) == "0.05"
    assert tally.bucket_label(0.051) == "0.1"
    assert tally.bucket_label(1000) == "+Inf"


@pytest.mark.django_db
def test_tally_adds_up_runs_from_any_process():
    for seconds in (0.02, 0.3, 0.3, 400):
        tally.record("applied", seconds)
    tally.record("retrying", 3.0)
    result = tally.histogram()
    applied = dict(result["applied"]["buckets"])
    assert (applied["0.05"], applied["0.25"], applied["0.5"], applied["300.0"], applied["+Inf"]) == (1, 1, 3, 3, 4)
    assert result["applied"]["sum"] == pytest.approx(400.62)
    assert result["retrying"]["count"] == 1


@pytest.mark.django_db
def test_queue_depth_is_the_length_of_the_redis_list(client, with_token):
    queue = f"metrics-test-{uuid.uuid4().hex[:8]}"
    with_token.CELERY_TASK_DEFAULT_QUEUE = queue
    broker = redis.Redis.from_url(with_token.CELERY_BROKER_URL)
    try:
        broker.lpush(queue, *[b"wake-up"] * 3)
        broker.lpush(queue + "\x06\x163", b"wake-up")  # kombu's list for priority 3
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        scrape = samples(response.content.decode())
        assert value(scrape, "aerodrome_celery_queue_depth", queue=queue) == 4
        assert value(scrape, "aerodrome_source_up", source="broker") == 1
    finally:
        broker.delete(queue, queue + "\x06\x163")
        broker.close()


@pytest.mark.django_db
def test_redis_down_answers_at_once_without_queue_depth(client, with_token):
    with_token.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    started = time.monotonic()
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    took = time.monotonic() - started
    assert response.status_code == 200 and took < 1.5
    scrape = samples(response.content.decode())
    assert value(scrape, "aerodrome_source_up", source="broker") == 0
    assert not any(name == "aerodrome_celery_queue_depth" for name, _ in scrape)
    assert value(scrape, "aerodrome_source_up", source="database") == 1


def test_a_short_metrics_token_stops_start_up(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "true", "VAR_DIR": str(tmp_path), "PLATFORM_METRICS_TOKEN": "too-short"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", "import aerodrome.settings"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "PLATFORM_METRICS_TOKEN must be at least 24 characters long." in result.stderr


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_runs_in_a_celery_worker_process_are_served_by_the_web_process(
    celery_worker_queue, client, tenancy, with_token
):
    """The reconcile runs in the real Celery worker (another process); /metrics here counts it."""
    ReconcileTally.objects.all().delete()
    make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Worked")  # enqueued on commit
    wait_for(lambda: ReconcileTally.objects.filter(outcome="applied").exists(), timeout=60, message="the run tallied")
    scrape = samples(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode())
    assert value(scrape, "aerodrome_reconciles_total", outcome="applied") >= 1
    assert value(scrape, "aerodrome_deployments", status="RENDERED") == 1
