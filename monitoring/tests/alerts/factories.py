"""Test data for alerts: people with a role, Deployments on a cluster with Prometheus, and Alertmanager payloads."""

import itertools

from django.utils import timezone

from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import BindingFactory, MembershipFactory, UserFactory
from deployments.tests.factories import make_cluster, make_deployment
from monitoring.alerts.models import Alert

_fingerprints = itertools.count(1)


def person(workspace, role: str, email: str):
    user = UserFactory(email=email)
    MembershipFactory(organization=workspace.organization, user=user, role=OrgRole.MEMBER)
    BindingFactory(workspace=workspace, user=user, role=role)
    return user


def author(workspace, email="author@acme.test"):
    return person(workspace, WorkspaceRole.AUTHOR, email)


def monitored_cluster(organization, **fields):
    fields.setdefault("prometheus_url", "http://prometheus.monitoring:9090")
    fields.setdefault("prometheus_rule_labels", "release=kube-prometheus-stack")
    return make_cluster(organization=organization, **fields)


def monitored_deployment(owner, workspace, *, cluster=None, name="Sales pipelines"):
    cluster = cluster or monitored_cluster(workspace.organization)
    return make_deployment(actor=owner, workspace=workspace, name=name, cluster=cluster)


def make_alert(deployment, **fields) -> Alert:
    """An alert as the receiver records it: by default the scheduler heartbeat built-in, critical, firing since now
    (a resolved one ends when it started)."""
    now = timezone.now()
    values = {
        "cluster": deployment.cluster,
        "rule_key": "scheduler_heartbeat",
        "rule_name": "Scheduler heartbeat missing",
        "fingerprint": f"{next(_fingerprints):016x}",
        "alertname": "AirflowSchedulerUnhealthy",
        "severity": "CRITICAL",
        "state": Alert.State.FIRING,
        "summary": "Scheduler heartbeat missing",
        "labels": {"namespace": deployment.namespace},
        "starts_at": now,
        "last_received_at": now,
    } | fields
    if values["state"] == Alert.State.RESOLVED:
        values.setdefault("ends_at", values["starts_at"])
    return Alert.objects.create(deployment=deployment, **values)


def alert_payload(deployment, *, rule_key="rule-1", status="firing", fingerprint=None, starts_at=None, **labels):
    """One Alertmanager webhook notification (version 4) holding one alert."""
    fingerprint = fingerprint or f"{next(_fingerprints):016x}"
    alert = {
        "status": status,
        "labels": {
            "alertname": "DagFailure",
            "aerodrome_deployment": str(deployment.pk),
            "aerodrome_rule": rule_key,
            "namespace": deployment.namespace,
            "severity": "critical",
            "dag_id": "etl_orders",
            **labels,
        },
        "annotations": {"summary": "DAG etl_orders failed"},
        "startsAt": starts_at or "2026-11-29T10:00:00Z",
        "endsAt": "2026-11-29T10:05:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": fingerprint,
    }
    return {
        "version": "4",
        "status": status,
        "receiver": "aerodrome",
        "groupKey": "{}:{}",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager",
        "alerts": [alert],
    }
