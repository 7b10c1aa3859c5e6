"""Rules are desired state: validated with clear messages, managed by AUTHOR and up, audited, and each change
gives the Deployments it applies to a new generation whose render carries it in a PrometheusRule."""

import subprocess

import pytest
import yaml
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent
from deployments import selectors as deployment_selectors
from deployments.kube import render
from deployments.models import Deployment
from monitoring.alerts import promql, services
from monitoring.alerts.models import AlertRule
from monitoring.tests.alerts.factories import author, monitored_deployment

pytestmark = pytest.mark.django_db


def rendered_rule(deployment) -> dict | None:
    deployment = Deployment.objects.get(pk=deployment.pk)
    objects = render.render(deployment_selectors.deployment_spec(deployment))
    return next((o for o in objects if o["kind"] == "PrometheusRule"), None)


def test_an_author_adds_a_rule_which_renders_for_the_deployment_and_bumps_its_generation(tenancy, tmp_path):
    deployment = monitored_deployment(tenancy.owner, tenancy.workspace)
    writer = author(tenancy.workspace)
    before = Deployment.objects.get(pk=deployment.pk).generation
    rule = services.rule_create(
        actor=writer,
        workspace=tenancy.workspace,
        deployment=deployment,
        name="Orders ETL failed",
        type=AlertRule.Type.DAG_FAILURE,
        severity="CRITICAL",
        dag_patterns="etl_*, orders",
    )
    assert rule.dag_patterns == ["etl_*", "orders"]
    assert Deployment.objects.get(pk=deployment.pk).generation == before + 1
    assert deployment.events.filter(message__contains="Added alert rule Orders ETL failed").exists()
    entry = AuditEvent.objects.get(action="alert_rule.create")
    assert entry.actor == writer and entry.changes["dag"] == "IS etl_*, orders"

    obj = rendered_rule(deployment)
    assert obj["metadata"]["namespace"] == deployment.namespace
    assert obj["metadata"]["labels"]["release"] == "kube-prometheus-stack"  # the cluster's rule selector
    people = [g for g in obj["spec"]["groups"] if g["name"] == promql.GROUP_RULES][0]["rules"]
    assert [r["labels"]["aerodrome_rule"] for r in people] == [f"rule-{rule.pk}"]
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": obj["spec"]["groups"]}))
    checked = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_workspace_rule_applies_to_every_deployment_of_the_workspace(tenancy):
    first = monitored_deployment(tenancy.owner, tenancy.workspace)
    second = monitored_deployment(tenancy.owner, tenancy.workspace, cluster=first.cluster, name="Marketing")
    generations = {d.pk: Deployment.objects.get(pk=d.pk).generation for d in (first, second)}
    rule = services.rule_create(
        actor=tenancy.owner, workspace=tenancy.workspace, name="Any task failed", type=AlertRule.Type.TASK_FAILURE
    )
    for deployment in (first, second):
        assert Deployment.objects.get(pk=deployment.pk).generation == generations[deployment.pk] + 1
        keys = [r["labels"]["aerodrome_rule"] for g in rendered_rule(deployment)["spec"]["groups"] for r in g["rules"]]
        assert rule.key in keys


def test_built_in_rules_are_on_by_default_and_can_be_turned_off_per_deployment(tenancy):
    deployment = monitored_deployment(tenancy.owner, tenancy.workspace)
    incidents = rendered_rule(deployment)["spec"]["groups"][0]
    assert {r["alert"] for r in incidents["rules"]} == {b.alertname for b in promql.BUILTINS.values()}
    services.builtin_rule_set(actor=tenancy.owner, deployment=deployment, key="pod_quota", enabled=False)
    incidents = rendered_rule(deployment)["spec"]["groups"][0]
    assert "AirflowPodQuota" not in {r["alert"] for r in incidents["rules"]}
    assert AuditEvent.objects.filter(action="alert_rule.builtin").count() == 1
    services.builtin_rule_set(actor=tenancy.owner, deployment=deployment, key="pod_quota", enabled=False)
    assert AuditEvent.objects.filter(action="alert_rule.builtin").count() == 1  # no change, no entry


def test_no_prometheus_rule_without_a_cluster_prometheus(tenancy):
    from deployments.tests.factories import make_deployment

    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)  # manifests only
    assert rendered_rule(deployment) is None


def test_a_member_cannot_manage_rules_and_an_outsider_cannot_either(tenancy):
    deployment = monitored_deployment(tenancy.owner, tenancy.workspace)
    for actor in (tenancy.member, tenancy.outsider):
        with pytest.raises(PermissionDenied):
            services.rule_create(
                actor=actor, workspace=tenancy.workspace, deployment=deployment, name="x", type="DAG_FAILURE"
            )
    with pytest.raises(PermissionDenied):
        services.builtin_rule_set(actor=tenancy.member, deployment=deployment, key="pod_quota", enabled=False)


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"type": "DAG_TIMELINESS", "deadline": "09:30", "lookback_minutes": 60}, "deadline_days", "at least one day"),
        (
            {"type": "DAG_TIMELINESS", "deadline": "25:00", "deadline_days": [1], "lookback_minutes": 60},
            "deadline",
            "HH:MM",
        ),
        ({"type": "DAG_TIMELINESS", "deadline": "09:30", "deadline_days": [1]}, "lookback_minutes", "look-back"),
        ({"type": "DAG_DURATION"}, "threshold_seconds", "duration threshold"),
        ({"type": "TASK_DURATION", "threshold_seconds": "soon"}, "threshold_seconds", "whole number"),
        ({"type": "DAG_FAILURE", "dag_patterns": 'etl"}'}, "dag_patterns", "not a DAG or task id pattern"),
        ({"type": "NOPE"}, "type", "Choose a rule type"),
        ({"type": "DAG_FAILURE", "severity": "LOUD"}, "severity", "Choose a severity"),
        ({"type": "DAG_FAILURE", "name": " "}, "name", "Enter a rule name"),
    ],
)
def test_bad_rule_input_is_refused_with_a_clear_message(tenancy, fields, field, message):
    fields = {"name": "My rule", **fields}
    with pytest.raises(ValidationError) as refused:
        services.rule_create(actor=tenancy.owner, workspace=tenancy.workspace, **fields)
    assert field in refused.value.message_dict
    assert message in " ".join(refused.value.message_dict[field])


def test_a_pattern_that_matches_nothing_yet_is_allowed_and_unused_fields_are_cleared(tenancy):
    rule = services.rule_create(
        actor=tenancy.owner,
        workspace=tenancy.workspace,
        name="Future DAG",
        type="DAG_FAILURE",
        dag_patterns=["not_deployed_yet_*"],
        threshold_seconds=50,
        task_patterns=["t"],
    )
    assert rule.dag_patterns == ["not_deployed_yet_*"]
    assert rule.threshold_seconds is None and rule.task_patterns == []


def test_changing_and_removing_a_rule_is_audited_and_reconciled(tenancy):
    deployment = monitored_deployment(tenancy.owner, tenancy.workspace)
    rule = services.rule_create(
        actor=tenancy.owner,
        workspace=tenancy.workspace,
        deployment=deployment,
        name="Slow",
        type="DAG_DURATION",
        threshold_seconds=600,
    )
    generation = Deployment.objects.get(pk=deployment.pk).generation
    services.rule_update(actor=tenancy.owner, rule=rule, threshold_seconds=1200)
    assert AuditEvent.objects.get(action="alert_rule.update").changes == {"threshold_seconds": [600, 1200]}
    assert Deployment.objects.get(pk=deployment.pk).generation == generation + 1
    services.rule_update(actor=tenancy.owner, rule=rule, threshold_seconds=1200)  # nothing changes
    assert Deployment.objects.get(pk=deployment.pk).generation == generation + 1
    services.rule_delete(actor=tenancy.owner, rule=rule)
    assert Deployment.objects.get(pk=deployment.pk).generation == generation + 2
    assert not AlertRule.objects.exists()
    keys = [r["labels"]["aerodrome_rule"] for g in rendered_rule(deployment)["spec"]["groups"] for r in g["rules"]]
    assert rule.key not in keys
