"""GET /api/v1/deployments/{id}/metrics/ against a real Prometheus holding two Deployments' series (A: Acme, B:
Globex, in two namespaces; monitoring/tests/metrics_world.py has their figures): the numbers, that one Deployment's
answer never holds the other's series, the personas, the empty states, the cache, the fixed scoped queries."""

import json
import time

import pytest
from rest_framework.test import APIClient

from accounts.tests.api_helpers import api_client, assert_error, assert_field_error, assert_not_found
from accounts.tokens import services as tokens
from deployments.models import DeploymentEvent
from deployments.tests.factories import make_cluster, make_deployment
from monitoring.metrics import prometheus
from monitoring.tests import metrics_world
from monitoring.tests.metrics_world import GIB

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def url(deployment, window="6h"):
    return f"/api/v1/deployments/{deployment.pk}/metrics/?window={window}"


def chart(body, key) -> dict:
    return next(c for c in body["charts"] if c["key"] == key)


def series(body, key, name, component=None) -> list:
    for panel in chart(body, key)["panels"]:
        if panel["component"] == component:
            for s in panel["series"]:
                if s["name"] == name:
                    return s["points"]
    raise AssertionError(f"no {name} in {key} ({component}): {chart(body, key)}")


def middle(points) -> list[float]:
    """The values once a rate has five minutes of history behind it, and before the newest two points."""
    return [value for _, value in points[5:-2]]


def test_owner_reads_the_figures_of_their_deployment(world, tenancy):
    response = api_client(tenancy.owner).get(url(world.a))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["window"] == "6h" and body["step_seconds"] == 90 and body["available"] is True
    heartbeats = series(body, "heartbeat", "heartbeats")  # three hours of history: the window's second half
    assert 118 <= len(heartbeats) <= 122
    assert middle(heartbeats) == pytest.approx([12.0] * (len(heartbeats) - 7), rel=0.01)
    assert middle(series(body, "dag_runs", "success"))[-1] == pytest.approx(30.0, rel=0.02)
    assert middle(series(body, "dag_runs", "failed"))[-1] == pytest.approx(6.0, rel=0.02)
    assert middle(series(body, "task_instances", "success"))[-1] == pytest.approx(120.0, rel=0.02)
    assert middle(series(body, "task_instances", "failed"))[-1] == pytest.approx(12.0, rel=0.02)
    assert series(body, "tasks", "running")[-1][1] == 4.0
    assert series(body, "tasks", "queued")[-1][1] == 2.0
    default = world.a.queues.get(name="default")
    assert series(body, "queues", "default")[-1][1] == 2.0
    assert series(body, "queues", "default capacity")[-1][1] == default.max_workers * default.concurrency
    assert {name: series(body, "pools", name)[-1][1] for name in ("open", "running", "queued", "starving")} == {
        "open": 124.0,
        "running": 4.0,
        "queued": 2.0,
        "starving": 1.0,
    }
    assert middle(series(body, "cpu", "used", "scheduler"))[-1] == pytest.approx(0.25, rel=0.02)
    assert series(body, "cpu", "requested", "scheduler")[-1][1] == 1.0
    assert series(body, "cpu", "limit", "worker")[-1][1] == 1.0
    assert series(body, "memory", "used", "scheduler")[-1][1] == 1 * GIB
    assert series(body, "memory", "requested", "scheduler")[-1][1] == 2 * GIB
    assert series(body, "restarts", metrics_world.pods(metrics_world.RELEASE_A)["worker"])[-1][1] == 3.0


def test_one_deployments_answer_never_holds_the_others_series(world, tenancy):
    a = api_client(tenancy.owner).get(url(world.a)).json()
    b = api_client(tenancy.outsider).get(url(world.b)).json()
    assert metrics_world.RELEASE_B not in json.dumps(a)
    assert metrics_world.RELEASE_A not in json.dumps(b)
    assert series(b, "tasks", "running")[-1][1] == 1.0 and series(b, "tasks", "queued")[-1][1] == 7.0
    assert middle(series(b, "heartbeat", "heartbeats"))[-1] == pytest.approx(6.0, rel=0.02)
    assert [s["name"] for s in chart(b, "dag_runs")["panels"][0]["series"]] == ["success"]
    assert [p["series"][0]["name"] for p in chart(b, "restarts")["panels"]] == [
        metrics_world.pods(metrics_world.RELEASE_B)["worker"]
    ]


def test_every_query_is_from_the_catalogue_and_scoped_to_the_namespace(world, tenancy):
    with prometheus.recording() as calls:
        api_client(tenancy.owner).get(url(world.a, "24h"))
    assert len(calls) == 15
    for call in calls:
        assert f'namespace="{world.a.namespace}"' in call.promql
        assert call.promql.count("namespace") == 1, call.promql


def test_a_second_read_within_the_cache_time_asks_prometheus_nothing(world, tenancy):
    client = api_client(tenancy.owner)
    for _ in range(3):
        first = client.get(url(world.a, "1h")).json()
        with prometheus.recording() as calls:
            second = client.get(url(world.a, "1h")).json()
        if second["end"] == first["end"]:
            break  # else a new step of the window began between the reads: fresh points, rightly asked for; again
    assert second["end"] == first["end"]
    assert calls == [] and second["charts"] == first["charts"]


def test_events_in_the_window_are_markers(world, tenancy):
    DeploymentEvent.objects.create(deployment=world.a, reason="Updated", message="Scaled queue default: 1 → 3 workers.")
    DeploymentEvent.objects.create(deployment=world.a, reason="Unhealthy", message="The scheduler is not ready.")
    markers = api_client(tenancy.owner).get(url(world.a)).json()["markers"]
    kinds = {marker["label"].split(":")[0] + ":" + marker["kind"] for marker in markers}
    assert {"Updated:scaling", "Unhealthy:status"} <= kinds
    assert "Created:status" in kinds or "Created:deploy" in kinds  # the Deployment's own creation


def test_member_reads_outsider_gets_404_anonymous_gets_401(world, tenancy):
    assert api_client(tenancy.member).get(url(world.a)).status_code == 200
    assert_not_found(api_client(tenancy.outsider).get(url(world.a)))
    assert APIClient().get(url(world.a)).status_code in (401, 403)


def test_a_deployment_scoped_token_reads_its_own_metrics_only(world, tenancy):
    _token, plaintext = tokens.token_create(
        actor=tenancy.owner, deployment=world.a, role="MEMBER", name="grafana-like reader"
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert client.get(url(world.a)).status_code == 200
    other = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Other", cluster=world.cluster)
    assert_not_found(client.get(url(other)))


def test_an_unknown_window_is_a_400(world, tenancy):
    assert_field_error(api_client(tenancy.owner).get(url(world.a, "2w")), "window", "not one of")


def test_a_cluster_without_prometheus_answers_that_metrics_are_unavailable(tenancy):
    cluster = make_cluster(name="bare")
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Bare", cluster=cluster)
    body = api_client(tenancy.owner).get(url(deployment)).json()
    assert body["available"] is False and body["charts"] == []
    assert "no Prometheus" in body["message"]


def test_an_unreachable_prometheus_is_a_fast_503(tenancy, settings):
    settings.PROMETHEUS_TIMEOUT_MS = 500
    cluster = make_cluster(name="down", prometheus_url="http://127.0.0.1:1")
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Down", cluster=cluster)
    started = time.monotonic()
    response = api_client(tenancy.owner).get(url(deployment))
    assert time.monotonic() - started < 2
    error = assert_error(response, 503, "prometheus_unavailable")
    assert "cannot be reached" in error["message"]
    assert response["Retry-After"] == "30"


def test_an_organisations_prometheus_on_a_private_address_is_refused(tenancy, strict_outbound):
    cluster = make_cluster(organization=tenancy.org, name="own", prometheus_url="http://127.0.0.1:9")
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Own", cluster=cluster)
    error = assert_error(api_client(tenancy.owner).get(url(deployment)), 503, "prometheus_unavailable")
    assert "does not call" in error["message"] and "loopback" in error["message"]
