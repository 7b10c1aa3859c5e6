"""End to end with the real engines: the rule groups a Deployment's PrometheusRule carries, loaded by a real
Prometheus scraping a test exporter, sending to a real Alertmanager whose receivers are Aerodrome's webhook on the
live test server (each with its cluster's token).

A DAG failure series increments -> Prometheus fires -> Alertmanager posts -> Aerodrome records the alert; the series
stops increasing -> one resolved notice; a silence created from the Deployment's page suppresses the next firing;
another tenant's alert (even from a DAG that labels its series with the first tenant's Deployment) lands on its
own Deployment only.
"""

import time

import pytest

from deployments import selectors as deployment_selectors
from deployments.kube import render
from deployments.models import Deployment
from monitoring.alerts import receiver, services
from monitoring.alerts.models import Alert, AlertEvent
from monitoring.tests.alerts.factories import monitored_cluster
from monitoring.tests.engines.alertmanager import AlertmanagerServer, Receiver, RulePrometheus
from monitoring.tests.engines.prometheus import Exporter, _wait

pytestmark = pytest.mark.django_db(transaction=True)
RECEIVER_PATH = "/api/v1/alerts/alertmanager/"
FAILED = "airflow_dagrun_duration_count"


def rule_groups(deployment) -> list[dict]:
    deployment = Deployment.objects.get(pk=deployment.pk)
    objects = render.render(deployment_selectors.deployment_spec(deployment))
    [rule] = [o for o in objects if o["kind"] == "PrometheusRule"]
    return rule["spec"]["groups"]


def failures(exporter, deployment, value, dag_id="etl_orders", **extra):
    exporter.set(
        FAILED,
        value,
        namespace=deployment.namespace,
        pod=f"{deployment.release_name}-statsd-1",
        dag_id=dag_id,
        state="failed",
        **extra,
    )


def events(deployment, kind=None):
    rows = AlertEvent.objects.filter(alert__deployment=deployment)
    return list(rows.filter(kind=kind) if kind else rows)


@pytest.fixture
def engines(tmp_path, settings, tenancy, live_server):
    """Two tenants, each with a Deployment on its own cluster and a DAG failure rule; one Prometheus evaluating
    both Deployments' rendered rules; one Alertmanager routing each Deployment's alerts to Aerodrome with its
    cluster's token."""
    settings.ALERT_RULE_INTERVAL_SECONDS = 1
    settings.ALERT_EVENT_WINDOW_SECONDS = 6
    from deployments.tests.factories import make_deployment

    exporter = Exporter().start()
    worlds = []
    for owner, workspace, name in (
        (tenancy.owner, tenancy.workspace, "Sales pipelines"),
        (tenancy.outsider, tenancy.other_workspace, "Globex ETL"),
    ):
        cluster = monitored_cluster(workspace.organization, name=f"{name} cluster")
        deployment = make_deployment(actor=owner, workspace=workspace, name=name, cluster=cluster)
        for key in (
            "scheduler_heartbeat",
            "component_down",
            "oom_killed",
            "queue_at_capacity",
            "tasks_pending_increasing",
            "pod_quota",
            "metadata_connections",
        ):
            services.builtin_rule_set(actor=owner, deployment=deployment, key=key, enabled=False)  # quiet here
        rule = services.rule_create(
            actor=owner,
            workspace=workspace,
            deployment=deployment,
            name="ETL failed",
            type="DAG_FAILURE",
            severity="CRITICAL",
            dag_patterns=["etl_*"],
        )
        token = receiver.receiver_token_rotate(actor=owner, cluster=cluster)
        worlds.append((deployment, rule, token))
        failures(exporter, deployment, 0)
    url = live_server.url + RECEIVER_PATH
    manager = AlertmanagerServer(
        tmp_path / "alertmanager",
        [Receiver(f"tenant-{d.pk}", url, token, {"aerodrome_deployment": str(d.pk)}) for d, _, token in worlds],
    ).start()
    for deployment, _, _ in worlds:  # silences go to this Alertmanager
        deployment.cluster.alertmanager_url = manager.url
        deployment.cluster.save(update_fields=["alertmanager_url"])
    groups = [group | {"name": f"{group['name']}-{d.pk}"} for d, _, _ in worlds for group in rule_groups(d)]
    prometheus = RulePrometheus(tmp_path / "prometheus", [exporter], rule_groups=groups, alertmanager=manager)
    prometheus.start()
    prometheus.wait_for_series(f'{FAILED}{{namespace="{worlds[0][0].namespace}"}}')
    yield worlds, exporter, prometheus, manager
    prometheus.stop()
    manager.stop()
    exporter.stop()


def test_a_failure_fires_is_recorded_resolves_once_and_a_silence_from_the_page_suppresses(engines, client, tenancy):
    (
        (acme, rule, _),
        (globex, _, _),
    ) = engines[0]
    exporter, prometheus, manager = engines[1:]

    # A DAG fails: the counter goes up, Prometheus fires, Alertmanager posts, Aerodrome records.
    prometheus.wait_for_scrape(exporter)
    failures(exporter, acme, 1)
    _wait(lambda: events(acme, "FIRING"), timeout=30, message="the firing alert recorded")
    alert = Alert.objects.get(deployment=acme)
    assert (alert.rule, alert.severity, alert.labels["dag_id"]) == (rule, "CRITICAL", "etl_orders")
    assert alert.summary == "DAG etl_orders failed"

    # No further failure: once the window passes the alert resolves, and Aerodrome records that exactly once.
    _wait(lambda: events(acme, "RESOLVED"), timeout=40, message="the resolve recorded")
    time.sleep(3)  # Alertmanager would repeat a resolve within its 1 s group interval
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED and alert.ends_at is not None
    assert len(events(acme, "RESOLVED")) == 1
    assert events(globex) == []  # the other tenant saw nothing

    # A silence set from the Deployment's page: created in Alertmanager, and the next failure is suppressed.
    client.force_login(tenancy.owner)
    answer = client.post(
        f"/orgs/acme/deployments/{acme.pk}/alerts/silences/new/",
        {"comment": "Migrating the warehouse", "duration_minutes": "30"},
    )
    assert answer.status_code in (200, 302), answer.content
    [silence] = manager.silences()
    assert silence["status"]["state"] == "active" and silence["comment"] == "Migrating the warehouse"
    before = len(events(acme))
    failures(exporter, acme, 2)
    _wait(
        lambda: [a for a in manager.alerts() if a["labels"].get("aerodrome_deployment") == str(acme.pk)],
        timeout=30,
        message="Alertmanager to receive the new alert",
    )
    [held] = [a for a in manager.alerts() if a["labels"].get("aerodrome_deployment") == str(acme.pk)]
    assert held["status"]["state"] == "suppressed" and held["status"]["silencedBy"] == [silence["id"]]
    time.sleep(3)
    assert len(events(acme)) == before  # nothing was posted for it


def test_another_tenants_alert_never_lands_on_the_first_tenants_deployment(engines):
    (acme, _, _), (globex, globex_rule, _) = engines[0]
    exporter, prometheus, _ = engines[1:]
    prometheus.wait_for_scrape(exporter)
    # Globex's DAG emits its failure labelled with Acme's Deployment id: the rule's own labels win.
    failures(exporter, globex, 0, aerodrome_deployment=str(acme.pk))
    prometheus.wait_for_scrape(exporter)
    failures(exporter, globex, 1, aerodrome_deployment=str(acme.pk))
    _wait(lambda: events(globex, "FIRING"), timeout=30, message="Globex's alert recorded")
    assert Alert.objects.get(deployment=globex).rule == globex_rule
    time.sleep(2)
    assert events(acme) == [] and not Alert.objects.filter(deployment=acme).exists()
