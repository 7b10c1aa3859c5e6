"""End to end with the real engines: the rule groups a Deployment's PrometheusRule carries, loaded by a real
Prometheus scraping a test exporter, sending to a real Alertmanager whose receivers are Aerodrome's webhook on the
live test server (each with its cluster's token).

A DAG failure series increments -> Prometheus fires -> Alertmanager posts -> Aerodrome records the alert -> the rule's
channels get it (Slack, PagerDuty and a signed webhook at local HTTP receivers; a Teams channel answering 500 is
retried and recorded as failed while the others succeed); the series stops increasing -> one resolved notice; a
silence created from the Deployment's page suppresses the next notification; another tenant's alert (even from a
DAG that labels its series with the first tenant's Deployment) lands on its own Deployment and channels only.
"""

import hashlib
import hmac
import time

import pytest

from deployments import selectors as deployment_selectors
from deployments.kube import render
from deployments.models import Deployment
from deployments.tests.processes import wait_for
from monitoring.alerts import receiver as alert_receiver
from monitoring.alerts import services
from monitoring.alerts.channels import services as channel_services
from monitoring.alerts.channels.models import Delivery
from monitoring.alerts.models import Alert, AlertEvent
from monitoring.tests.alerts.factories import monitored_cluster
from monitoring.tests.alerts.test_receiver import URL as RECEIVER_URL
from monitoring.tests.engines.alertmanager import AlertmanagerServer, Receiver, RulePrometheus
from monitoring.tests.engines.prometheus import Exporter

pytestmark = pytest.mark.django_db(transaction=True)
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
def engines(tmp_path, settings, tenancy, live_server, receiver, saas, eager_celery):
    """Two tenants, each with a Deployment on its own cluster and a DAG failure rule; one Prometheus evaluating
    both Deployments' rendered rules; one Alertmanager routing each Deployment's alerts to Aerodrome with its
    cluster's token."""
    settings.ALERT_RULE_INTERVAL_SECONDS = 1
    settings.ALERT_EVENT_WINDOW_SECONDS = 6
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    # Tasks run eagerly here (delivery), reconcile too: its cluster is no cluster, so fail at once.
    settings.KUBE_RETRIES, settings.KUBE_BACKOFF_MS, settings.KUBE_REQUEST_TIMEOUT = 0, 5, 1
    settings.SITE_URL = live_server.url
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
        token = alert_receiver.receiver_token_rotate(actor=owner, cluster=cluster)
        prefix = workspace.organization.slug
        make = lambda name, kind, owner=owner, workspace=workspace, **fields: channel_services.channel_create(  # noqa: E731
            actor=owner, workspace=workspace, name=name, kind=kind, **fields
        )
        channels = [
            make("Slack", "SLACK", url=receiver.url(f"/{prefix}/slack")),
            make("PagerDuty", "PAGERDUTY", routing_key=f"{prefix:x<32}"),
            make("Webhook", "WEBHOOK", url=receiver.url(f"/{prefix}/hook"), signing_secret=f"{prefix}-secret-0123456"),
            make("Teams", "TEAMS", url=receiver.url(f"/{prefix}/teams")),
        ]
        receiver.answer(f"/{prefix}/teams", 500)
        services.rule_update(actor=owner, rule=rule, channels=channels)
        worlds.append((deployment, rule, token))
        failures(exporter, deployment, 0)
    url = live_server.url + RECEIVER_URL
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
    yield worlds, exporter, prometheus, manager, receiver
    prometheus.stop()
    manager.stop()
    exporter.stop()


def test_a_failure_fires_is_recorded_resolves_once_and_a_silence_from_the_page_suppresses(engines, client, tenancy):
    (acme, rule, _), (globex, _, _) = engines[0]
    exporter, prometheus, manager, receiver = engines[1:]

    # A DAG fails: the counter goes up, Prometheus fires, Alertmanager posts, Aerodrome records.
    prometheus.wait_for_scrape(exporter)
    failures(exporter, acme, 1)
    wait_for(lambda: events(acme, "FIRING"), timeout=30, message="the firing alert recorded")
    alert = Alert.objects.get(deployment=acme)
    assert (alert.rule, alert.severity, alert.labels["dag_id"]) == (rule, "CRITICAL", "etl_orders")
    assert alert.summary == "DAG etl_orders failed"

    # ... and its channels hear of it: Slack, PagerDuty (trigger), the signed webhook; Teams answers 500.
    wait_for(lambda: receiver.at("/acme/slack") and receiver.at("/acme/hook"), timeout=20, message="the deliveries")
    assert "DAG etl_orders failed" in str(receiver.at("/acme/slack")[0].json)
    [trigger] = receiver.at("/pagerduty/")
    assert trigger.json["event_action"] == "trigger" and trigger.json["routing_key"].startswith("acme")
    hook = receiver.at("/acme/hook")[0]
    timestamp, signature = hook.headers["X-Aerodrome-Timestamp"], hook.headers["X-Aerodrome-Signature"]
    expected = hmac.new(b"acme-secret-0123456", timestamp.encode() + b"." + hook.body, hashlib.sha256).hexdigest()
    assert signature == f"v1={expected}"
    assert hook.json["event"] == "alert.firing" and hook.json["alert"]["labels"]["dag_id"] == "etl_orders"
    deliveries = Delivery.objects.filter(channel__workspace=acme.workspace)
    wait_for(lambda: not deliveries.filter(status="PENDING").exists(), timeout=20, message="every delivery done")
    outcomes = dict(deliveries.values_list("channel_kind", "status"))
    assert outcomes == {"SLACK": "SENT", "PAGERDUTY": "SENT", "WEBHOOK": "SENT", "TEAMS": "FAILED"}
    assert len(receiver.at("/acme/teams")) == 2  # tried, retried, recorded as failed

    # No further failure: once the window passes the alert resolves, and Aerodrome records that exactly once.
    wait_for(lambda: events(acme, "RESOLVED"), timeout=40, message="the resolve recorded")
    time.sleep(3)  # Alertmanager would repeat a resolve within its 1 s group interval
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED and alert.ends_at is not None
    assert len(events(acme, "RESOLVED")) == 1
    wait_for(lambda: len(receiver.at("/pagerduty/")) == 2, timeout=20, message="the resolve delivered")
    resolve = receiver.at("/pagerduty/")[1].json
    assert resolve["event_action"] == "resolve" and resolve["dedup_key"] == trigger.json["dedup_key"]
    assert len(receiver.at("/acme/slack")) == 2 and len(receiver.at("/acme/hook")) == 2  # one firing, one resolved
    assert events(globex) == [] and receiver.at("/globex/") == []  # the other tenant saw nothing

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
    wait_for(
        lambda: [a for a in manager.alerts() if a["labels"].get("aerodrome_deployment") == str(acme.pk)],
        timeout=30,
        message="Alertmanager to receive the new alert",
    )
    [held] = [a for a in manager.alerts() if a["labels"].get("aerodrome_deployment") == str(acme.pk)]
    assert held["status"]["state"] == "suppressed" and held["status"]["silencedBy"] == [silence["id"]]
    time.sleep(3)
    assert len(events(acme)) == before  # nothing was posted for it
    assert len(receiver.at("/acme/slack")) == 2  # and nobody was notified


def test_another_tenants_alert_never_lands_on_the_first_tenants_deployment(engines):
    (acme, _, _), (globex, globex_rule, _) = engines[0]
    exporter, prometheus, _, receiver = engines[1:]
    prometheus.wait_for_scrape(exporter)
    # Globex's DAG emits its failure labelled with Acme's Deployment id: the rule's own labels win.
    failures(exporter, globex, 0, aerodrome_deployment=str(acme.pk))
    prometheus.wait_for_scrape(exporter)
    failures(exporter, globex, 1, aerodrome_deployment=str(acme.pk))
    wait_for(lambda: events(globex, "FIRING"), timeout=30, message="Globex's alert recorded")
    assert Alert.objects.get(deployment=globex).rule == globex_rule
    time.sleep(2)
    assert events(acme) == [] and not Alert.objects.filter(deployment=acme).exists()
    wait_for(lambda: receiver.at("/globex/slack"), timeout=20, message="Globex's Slack notified")
    assert receiver.at("/acme/") == []  # Acme's channels never hear of it
