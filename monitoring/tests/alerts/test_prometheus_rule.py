"""The PrometheusRule a Deployment's alert rules render into: valid against the PrometheusRule CRD schema (strict),
passing our own render checks, labelled for the cluster's Prometheus, and applied by reconcile into the Deployment's
namespace on a (fake) cluster; removing the last rule group prunes it."""

import copy
import datetime

import pytest

from deployments import selectors as deployment_selectors
from deployments.kube import checks, reconcile, render, scheduling
from deployments.models import Deployment
from deployments.tests.factories import make_deployment
from deployments.tests.test_render_custom_resources import VALIDATORS
from monitoring.alerts import promql, services
from monitoring.tests.alerts.factories import monitored_cluster

pytestmark = pytest.mark.django_db
KEY = ("monitoring.coreos.com/v1", "PrometheusRule")


def errors(obj) -> list[str]:
    return [f"{'.'.join(map(str, e.path))}: {e.message}" for e in VALIDATORS[KEY].iter_errors(obj)]


def rendered(deployment) -> list[dict]:
    return render.render(deployment_selectors.deployment_spec(Deployment.objects.get(pk=deployment.pk)))


@pytest.fixture
def deployment(tenancy, kube):
    cluster = monitored_cluster(tenancy.org, url=kube.url)
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    for type, fields in [
        ("DAG_FAILURE", {"dag_patterns": ["etl_*"]}),
        ("DAG_SUCCESS", {"dag_match": "EXCLUDES", "dag_patterns": ["test_*"]}),
        ("DAG_DURATION", {"threshold_seconds": 3600}),
        ("DAG_TIMELINESS", {"deadline": datetime.time(7, 0), "deadline_days": [1, 5], "lookback_minutes": 90}),
        ("TASK_FAILURE", {"task_patterns": ["load_*"]}),
        ("TASK_DURATION", {"threshold_seconds": 60}),
    ]:
        services.rule_create(
            actor=tenancy.owner, workspace=tenancy.workspace, deployment=deployment, name=type, type=type, **fields
        )
    return deployment


def test_the_prometheus_rule_is_valid_against_its_crd_and_our_checks(deployment):
    objects = rendered(deployment)
    [rule] = [o for o in objects if o["kind"] == "PrometheusRule"]
    assert errors(rule) == []
    assert checks.problems(objects) == []
    assert rule["metadata"]["name"] == f"{deployment.release_name}-alerts"
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert len(rule["spec"]["groups"][1]["rules"]) == 6 and rule["spec"]["groups"][0]["interval"] == "30s"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r["spec"]["groups"][0].update(interval="thirty seconds"),
        lambda r: r["spec"]["groups"][0]["rules"][0].pop("expr"),
        lambda r: r["spec"]["groups"][0]["rules"][0].update(severity="high"),
        lambda r: r["spec"]["groups"][0]["rules"][0]["labels"].update(count=3),
    ],
)
def test_the_schema_check_catches_a_broken_rule(deployment, mutate):
    [rule] = [o for o in rendered(deployment) if o["kind"] == "PrometheusRule"]
    broken = copy.deepcopy(rule)
    mutate(broken)
    assert errors(broken)


def test_reconcile_applies_it_into_the_namespace_and_prunes_it_when_no_rule_is_left(
    tenancy, kube, deployment, settings, monkeypatch
):
    settings.KUBE_BACKOFF_MS, settings.KUBE_REQUEST_TIMEOUT, settings.KUBE_RETRIES = 5, 1, 2
    monkeypatch.setattr(scheduling, "_publish", lambda *args: 1)
    reconcile.run(deployment.pk)
    [applied] = kube.objects(kind="PrometheusRule", namespace=deployment.namespace)
    assert applied["metadata"]["name"] == f"{deployment.release_name}-alerts"
    assert {g["name"] for g in applied["spec"]["groups"]} == {promql.GROUP_INCIDENTS, promql.GROUP_RULES}

    for key in promql.BUILTINS:
        services.builtin_rule_set(actor=tenancy.owner, deployment=deployment, key=key, enabled=False)
    for rule in deployment.alert_rules.all():
        services.rule_delete(actor=tenancy.owner, rule=rule)
    outcome = reconcile.run(deployment.pk)
    assert kube.objects(kind="PrometheusRule", namespace=deployment.namespace) == []
    assert any("PrometheusRule" in pruned for pruned in outcome.pruned)
