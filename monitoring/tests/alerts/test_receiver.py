"""POST /api/v1/alerts/alertmanager/: a cluster's Alertmanager files alerts on that cluster's Deployments only,
deduplicated by fingerprint; each firing notification and the one resolve call the delivery seam once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from monitoring.alerts import receiver, services
from monitoring.alerts.models import Alert, AlertEvent
from monitoring.tests.alerts.factories import alert_payload, monitored_deployment

pytestmark = pytest.mark.django_db
URL = "/api/v1/alerts/alertmanager/"


@pytest.fixture
def notified(monkeypatch):
    """The alert event ids handed to the channels (delivery itself: test_delivery_end_to_end.py)."""
    calls = []
    monkeypatch.setattr(receiver.notices, "alert_event_notify", lambda event: calls.append(event.pk))
    return calls


@pytest.fixture
def acme(tenancy):
    deployment = monitored_deployment(tenancy.owner, tenancy.workspace)
    rule = services.rule_create(
        actor=tenancy.owner, workspace=tenancy.workspace, deployment=deployment, name="ETL failed", type="DAG_FAILURE"
    )
    token = receiver.receiver_token_rotate(actor=tenancy.owner, cluster=deployment.cluster)
    return deployment, rule, token


def post(client, token, payload):
    return client.post(URL, payload, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_firing_alert_is_recorded_against_its_deployment_and_rule(
    client, acme, notified, django_capture_on_commit_callbacks
):
    deployment, rule, token = acme
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(client, token, alert_payload(deployment, rule_key=rule.key))
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"recorded": 1, "ignored": 0}
    alert = Alert.objects.get()
    assert (alert.deployment, alert.rule, alert.rule_name) == (deployment, rule, "ETL failed")
    assert alert.state == Alert.State.FIRING and alert.severity == "CRITICAL"
    assert alert.summary == "DAG etl_orders failed"
    assert notified == [AlertEvent.objects.get().pk]


def test_repeats_are_one_alert_notified_each_time_and_the_resolve_exactly_once(
    client, acme, notified, django_capture_on_commit_callbacks
):
    deployment, rule, token = acme
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            post(client, token, alert_payload(deployment, rule_key=rule.key, fingerprint="abc"))
        for _ in range(2):
            post(client, token, alert_payload(deployment, rule_key=rule.key, fingerprint="abc", status="resolved"))
    alert = Alert.objects.get()
    assert alert.state == Alert.State.RESOLVED and alert.notification_count == 2
    assert alert.ends_at.isoformat() == "2026-11-29T10:05:00+00:00"
    kinds = list(AlertEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["FIRING", "FIRING", "RESOLVED"]
    assert len(notified) == 3


def test_the_same_fingerprint_firing_again_later_is_a_new_alert(client, acme, notified):
    deployment, rule, token = acme
    post(client, token, alert_payload(deployment, rule_key=rule.key, fingerprint="abc"))
    post(
        client, token, alert_payload(deployment, rule_key=rule.key, fingerprint="abc", starts_at="2026-11-30T08:00:00Z")
    )
    assert Alert.objects.count() == 2


def test_a_built_in_rule_alert_is_recorded_with_its_title(client, acme, notified):
    deployment, _, token = acme
    post(
        client, token, alert_payload(deployment, rule_key="scheduler_heartbeat", alertname="AirflowSchedulerUnhealthy")
    )
    alert = Alert.objects.get()
    assert alert.rule is None and alert.rule_name == "Scheduler heartbeat missing"


def test_another_clusters_token_cannot_file_alerts_on_this_deployment(client, tenancy, acme, notified):
    deployment, rule, _ = acme
    globex = monitored_deployment(tenancy.outsider, tenancy.other_workspace, name="Globex ETL")
    globex_token = receiver.receiver_token_rotate(actor=tenancy.outsider, cluster=globex.cluster)
    answer = post(client, globex_token, alert_payload(deployment, rule_key=rule.key))
    assert answer.json() == {"recorded": 0, "ignored": 1}
    assert not Alert.objects.exists() and notified == []


def test_a_forged_namespace_or_a_rule_of_another_deployment_is_ignored(client, tenancy, acme, notified):
    deployment, rule, token = acme
    other = monitored_deployment(tenancy.owner, tenancy.workspace, cluster=deployment.cluster, name="Other")
    assert (
        post(client, token, alert_payload(deployment, rule_key=rule.key, namespace="aerodrome-x")).json()["ignored"]
        == 1
    )
    assert post(client, token, alert_payload(other, rule_key=rule.key)).json()["ignored"] == 1  # rule is not other's
    assert post(client, token, alert_payload(deployment, rule_key="rule-999999")).json()["ignored"] == 1
    assert not Alert.objects.exists()


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer aeram_wrong", "Basic abc", "Bearer aero_abc_def"])
def test_a_missing_or_wrong_token_is_a_401_in_the_error_format(client, acme, header):
    deployment, rule, _ = acme
    answer = client.post(
        URL, alert_payload(deployment, rule_key=rule.key), content_type="application/json", HTTP_AUTHORIZATION=header
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] in ("not_authenticated", "authentication_failed")
    assert not Alert.objects.exists()


def test_a_rotated_token_stops_working_and_the_token_is_stored_hashed(client, tenancy, acme, notified):
    deployment, rule, token = acme
    new = receiver.receiver_token_rotate(actor=tenancy.owner, cluster=deployment.cluster)
    assert post(client, token, alert_payload(deployment, rule_key=rule.key)).status_code == 401
    assert post(client, new, alert_payload(deployment, rule_key=rule.key)).status_code == 200
    deployment.cluster.refresh_from_db()
    assert new not in deployment.cluster.alert_receiver_token_hash
    assert AuditEvent.objects.filter(action="cluster.alert_receiver_token").order_by("pk").last().changes == {
        "token": "replaced"
    }


def test_only_cluster_managers_rotate_the_token(tenancy, acme):
    from django.core.exceptions import PermissionDenied

    deployment, _, _ = acme
    with pytest.raises(PermissionDenied):
        receiver.receiver_token_rotate(actor=tenancy.member, cluster=deployment.cluster)


@pytest.mark.parametrize("body", [[], {"alerts": "x"}, {"nothing": 1}])
def test_a_body_that_is_not_a_notification_is_a_400(client, acme, body):
    _, _, token = acme
    answer = post(client, token, body)
    assert answer.status_code == 400 and answer.json()["error"]["fields"]


def test_a_notification_of_many_alerts_costs_a_bounded_number_of_queries_each(client, acme, notified):
    deployment, rule, token = acme
    payload = alert_payload(deployment, rule_key=rule.key)
    payload["alerts"] = [
        {
            **payload["alerts"][0],
            "fingerprint": f"f{n}",
            "labels": {**payload["alerts"][0]["labels"], "dag_id": f"d{n}"},
        }
        for n in range(20)
    ]
    with CaptureQueriesContext(connection) as queries:
        assert post(client, token, payload).json()["recorded"] == 20
    assert len(queries) <= 20 * 8 + 10  # savepoints and writes; the Deployment and rule are read once


def test_staff_make_a_platform_clusters_token_with_a_command(client, tenancy, notified):
    from io import StringIO

    from django.core.management import call_command

    from deployments.tests.factories import make_cluster

    platform = make_cluster(name="platform-eu", prometheus_url="http://prometheus:9090")
    deployment = monitored_deployment(tenancy.owner, tenancy.workspace, cluster=platform)
    out = StringIO()
    call_command("alert_receiver_token", str(platform.pk), stdout=out)
    token = out.getvalue().strip()
    assert post(client, token, alert_payload(deployment, rule_key="pod_quota")).json() == {"recorded": 1, "ignored": 0}
    assert AuditEvent.objects.filter(action="cluster.alert_receiver_token", actor_label="system").exists()
