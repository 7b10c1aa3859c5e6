"""Custom resources render produces, validated against the schema their operator publishes (deployments/tests/crds,
source and version in its README) with jsonschema, strictly: a field the schema does not name is an error, as the
API server's strict field validation would make it. Plus the scrape path they open: PodMonitor -> exporter port,
NetworkPolicy from the cluster's monitoring namespace."""

import copy
from pathlib import Path

import jsonschema
import pytest
import yaml

from deployments.kube import checks
from deployments.kube.render import CUSTOM_KINDS, render
from deployments.kube.render.base import STATSD_SCRAPE_PORT
from deployments.kube.spec import AlertRulesSpec
from deployments.tests.test_render import _RENDERED, RELEASE, find, make_spec

CRDS = Path(__file__).parent / "crds"


def _strict(schema: dict) -> dict:
    """Every object schema that lists its properties admits no others (the CRDs leave that open, and the API
    server then prunes or, with strict field validation, refuses unknown fields)."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def _validators() -> dict:
    found = {}
    for path in sorted(CRDS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version["served"]:
                schema = _strict(version["schema"]["openAPIV3Schema"])
                found[(f"{group}/{version['name']}", kind)] = jsonschema.Draft7Validator(schema)
    return found


VALIDATORS = _validators()


def _custom_objects() -> list[dict]:
    return [o for objects in _RENDERED.values() for o in objects if (o["apiVersion"], o["kind"]) in CUSTOM_KINDS]


def test_every_custom_kind_has_its_crd():
    assert set(CUSTOM_KINDS) <= set(VALIDATORS)


def test_rendered_custom_resources_match_their_crd_schema():
    objects = _custom_objects()
    assert objects, "no variant renders a custom resource"
    errors = [
        f"{obj['kind']}/{obj['metadata']['name']}: {'.'.join(map(str, error.path))}: {error.message}"
        for obj in objects
        for error in VALIDATORS[(obj["apiVersion"], obj["kind"])].iter_errors(obj)
    ]
    assert errors == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda spec: spec.pop("selector"), "'selector' is a required property"),
        (lambda spec: spec["podMetricsEndpoints"][0].update(interval="30 seconds"), "does not match"),
        (lambda spec: spec["podMetricsEndpoints"][0].update(prot="statsd-scrape"), "Additional properties"),
    ],
)
def test_the_crd_check_catches_mistakes(mutate, expected):
    pod_monitor = copy.deepcopy(find(_RENDERED["celery_airflow3"], "PodMonitor", f"{RELEASE}-statsd"))
    mutate(pod_monitor["spec"])
    messages = [e.message for e in VALIDATORS[("monitoring.coreos.com/v1", "PodMonitor")].iter_errors(pod_monitor)]
    assert any(expected in message for message in messages), messages


def test_pod_monitor_scrapes_the_exporters_named_port_in_its_own_namespace():
    objects = _RENDERED["celery_airflow3"]
    pod_monitor = find(objects, "PodMonitor", f"{RELEASE}-statsd")["spec"]
    exporter = find(objects, "Deployment", f"{RELEASE}-statsd")["spec"]["template"]
    labels = exporter["metadata"]["labels"]
    assert pod_monitor["selector"]["matchLabels"].items() <= labels.items()
    assert pod_monitor["namespaceSelector"] == {"matchNames": [f"aerodrome-{RELEASE}"]}
    ports = {p["name"]: p["containerPort"] for p in exporter["spec"]["containers"][0]["ports"]}
    endpoint = pod_monitor["podMetricsEndpoints"][0]
    assert ports[endpoint["port"]] == STATSD_SCRAPE_PORT and endpoint["path"] == "/metrics"


def test_the_monitoring_namespace_reaches_only_the_exporters_scrape_port():
    objects = render(make_spec(monitoring_namespace="observability"))
    policy = find(objects, "NetworkPolicy", f"{RELEASE}-allow-monitoring")["spec"]
    assert policy["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "statsd"
    assert policy["ingress"] == [
        {
            "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}],
            "ports": [{"protocol": "TCP", "port": STATSD_SCRAPE_PORT}],
        }
    ]
    assert checks.problems(objects) == []


def test_without_a_prometheus_nothing_is_scraped_or_opened():
    objects = render(make_spec(monitoring_namespace=""))
    assert not [o for o in objects if o["kind"] == "PodMonitor" or o["metadata"]["name"].endswith("allow-monitoring")]


def test_the_pod_monitor_carries_the_labels_the_clusters_prometheus_selects_by():
    # kube-prometheus-stack's Prometheus selects PodMonitors, like PrometheusRules, by its `release` label: without
    # it the exporter is never scraped and every chart stays empty.
    selected = AlertRulesSpec(labels=(("release", "kube-prometheus-stack"), ("team", "data")))
    objects = render(make_spec(monitoring_namespace="monitoring", alert_rules=selected))
    labels = find(objects, "PodMonitor", f"{RELEASE}-statsd")["metadata"]["labels"]
    assert labels["release"] == "kube-prometheus-stack" and labels["team"] == "data"
    assert labels["app.kubernetes.io/managed-by"] == "aerodrome"  # ownership labels stay
