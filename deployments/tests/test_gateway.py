"""Contract tests of the kube gateway: the official client over real HTTP against kmock's emulator (the `kube`
fixture), with faults injected on the server side. No database."""

import ipaddress
import json
import socket
import time
from http import HTTPStatus

import pytest

from aerodrome.tests.http_stub import Answer, StubServer
from deployments.kube.gateway import KINDS, Gateway, ObjectRef, PermanentError, TransientError

NS = "aero-test"


@pytest.fixture
def gateway(kube):
    gateway = Gateway(kubeconfig=kube.kubeconfig(), request_timeout=2, retries=2, backoff=0.01, max_backoff=0.05)
    yield gateway
    gateway.close()


def configmap(name="settings", data=None, labels=None, namespace=NS):
    meta = {"name": name, "namespace": namespace, "labels": labels or {"app": "airflow"}}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data or {"a": "1"}}


def ref(obj):
    return ObjectRef.of(obj)


LABELS = {"app": "web"}
POD_TEMPLATE = {"metadata": {"labels": LABELS}, "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}
MINIMAL_SPECS = {
    "Namespace": {},
    "ResourceQuota": {"spec": {"hard": {"pods": "10"}}},
    "LimitRange": {"spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]}},
    "NetworkPolicy": {"spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
    "ServiceAccount": {},
    "Role": {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
    "RoleBinding": {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "web", "namespace": NS}],
    },
    "Secret": {"type": "Opaque", "data": {"password": "c2VjcmV0"}},
    "ConfigMap": {"data": {"a": "1"}},
    "Service": {"spec": {"selector": LABELS, "ports": [{"port": 80, "targetPort": 8080}]}},
    "Deployment": {"spec": {"replicas": 1, "selector": {"matchLabels": LABELS}, "template": POD_TEMPLATE}},
    "StatefulSet": {
        "spec": {"serviceName": "web", "replicas": 1, "selector": {"matchLabels": LABELS}, "template": POD_TEMPLATE}
    },
    "PodDisruptionBudget": {"spec": {"maxUnavailable": 1, "selector": {"matchLabels": LABELS}}},
    "Ingress": {
        "spec": {
            "rules": [
                {
                    "host": "web.example.test",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ]
        }
    },
    "HorizontalPodAutoscaler": {
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 1,
            "maxReplicas": 3,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
                }
            ],
        }
    },
    "Pod": {"spec": POD_TEMPLATE["spec"]},
    "PodMonitor": {"spec": {"selector": {"matchLabels": LABELS}, "podMetricsEndpoints": [{"port": "metrics"}]}},
    "PrometheusRule": {
        "spec": {"groups": [{"name": "web", "rules": [{"alert": "WebDown", "expr": "up == 0", "for": "5m"}]}]}
    },
}


def minimal(kind):
    resource = KINDS[kind]
    meta = {"name": "web", "labels": {"app": "web"}} | ({"namespace": NS} if resource.namespaced else {})
    return {"apiVersion": resource.api_version, "kind": kind, "metadata": meta, **MINIMAL_SPECS[kind]}


# --- the happy paths --------------------------------------------------------------------------------------------


def test_version_is_the_server_git_version(gateway):
    assert gateway.version().startswith("v1.")


def test_apply_creates_then_reapply_updates(gateway, kube):
    created = gateway.apply(configmap(data={"a": "1"}))
    assert created["data"] == {"a": "1"}
    assert created["metadata"]["uid"]

    updated = gateway.apply(configmap(data={"a": "2", "b": "3"}))

    assert updated["metadata"]["uid"] == created["metadata"]["uid"]
    assert gateway.get(ref(updated))["data"] == {"a": "2", "b": "3"}
    assert [obj["data"] for obj in kube.objects(kind="ConfigMap")] == [{"a": "2", "b": "3"}]
    assert gateway.requests == {"PATCH": 2, "GET": 1}


def test_apply_is_a_server_side_apply_under_our_field_manager(gateway, kube):
    gateway.apply(configmap())

    path = f"/api/v1/namespaces/{NS}/configmaps/settings"
    assert kube.request_log == [("PATCH", f"{path}?fieldManager=aerodrome&force=true")]


def test_reapplying_the_same_object_changes_nothing(gateway, kube):
    first = gateway.apply(configmap())
    second = gateway.apply(configmap())

    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert kube.changes == 1


def test_get_of_a_missing_object_is_none(gateway):
    assert gateway.get(ObjectRef("v1", "ConfigMap", NS, "nothing")) is None
    assert gateway.get(ObjectRef("v1", "Namespace", None, "nothing")) is None


def test_list_returns_only_objects_matching_the_label_selector(gateway):
    gateway.apply(configmap("a", labels={"app": "airflow", "deployment": "one"}))
    gateway.apply(configmap("b", labels={"app": "airflow", "deployment": "two"}))
    gateway.apply(configmap("c", labels={"app": "other"}))
    gateway.apply(configmap("d", labels={"app": "airflow", "deployment": "one"}, namespace="elsewhere"))

    found = gateway.list("v1", "ConfigMap", NS, "app=airflow,deployment=one")
    everywhere = gateway.list("v1", "ConfigMap", None, "deployment in (one,two)")

    assert [(o["apiVersion"], o["kind"], o["metadata"]["name"]) for o in found] == [("v1", "ConfigMap", "a")]
    assert sorted(o["metadata"]["name"] for o in everywhere) == ["a", "b", "d"]
    assert gateway.list("v1", "Secret", NS, "app=airflow") == []


def test_delete_returns_true_then_false_once_gone(gateway):
    obj = gateway.apply(configmap())

    assert gateway.delete(ref(obj)) is True
    assert gateway.delete(ref(obj)) is False
    assert gateway.get(ref(obj)) is None


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_round_trips(gateway, kind):
    obj = minimal(kind)

    applied = gateway.apply(obj)
    fetched = gateway.get(ObjectRef.of(obj))
    listed = gateway.list(obj["apiVersion"], kind, obj["metadata"].get("namespace"), "app=web")

    assert applied["kind"] == fetched["kind"] == kind
    assert {k: v for k, v in fetched.items() if k not in ("metadata", "status")} == {
        k: v for k, v in obj.items() if k != "metadata"
    }
    assert [item["metadata"]["name"] for item in listed] == ["web"]
    assert gateway.delete(ObjectRef.of(obj)) is True
    assert gateway.get(ObjectRef.of(obj)) is None


def test_unknown_kinds_and_versions_are_refused(gateway):
    with pytest.raises(ValueError, match="Unsupported kind"):
        gateway.apply({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "x", "namespace": NS}})
    with pytest.raises(ValueError, match="Unsupported kind"):
        gateway.list("autoscaling/v1", "HorizontalPodAutoscaler", NS, "")
    assert gateway.requests == {}


def test_workload_status_follows_the_fake_cluster(gateway, kube):
    deployment = gateway.apply(minimal("Deployment"))
    assert gateway.get(ref(deployment))["status"]["readyReplicas"] == 1

    kube.mark_workloads_unready()

    assert "readyReplicas" not in gateway.get(ref(deployment))["status"]


# --- retries ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_until_the_apply_converges(gateway, kube, status):
    kube.fail_next(2, status, method="PATCH")

    applied = gateway.apply(configmap())

    assert applied["data"] == {"a": "1"}
    assert gateway.requests == {"PATCH": 3}
    assert len(kube.objects(kind="ConfigMap")) == 1


def test_429_waits_as_long_as_retry_after_says(kube):
    gateway = Gateway(kubeconfig=kube.kubeconfig(), retries=2, backoff=0.01, max_backoff=5)
    kube.fail_next(1, 429, {"Retry-After": "0.3"})

    started = time.monotonic()
    gateway.version()

    assert time.monotonic() - started >= 0.3
    assert gateway.requests == {"GET": 2}


def test_retry_after_is_capped_at_max_backoff(kube):
    gateway = Gateway(kubeconfig=kube.kubeconfig(), retries=2, backoff=0.01, max_backoff=0.1)
    kube.fail_next(1, 429, {"Retry-After": "30"})

    started = time.monotonic()
    gateway.version()

    assert time.monotonic() - started < 2
    assert gateway.requests == {"GET": 2}


def test_a_hanging_request_times_out_and_is_retried(kube):
    gateway = Gateway(kubeconfig=kube.kubeconfig(), request_timeout=0.3, retries=2, backoff=0.01)
    kube.hang_next(1, 30)

    started = time.monotonic()
    assert gateway.version().startswith("v1.")

    assert time.monotonic() - started >= 0.3  # the first attempt waited for its timeout
    assert gateway.requests == {"GET": 2}


def test_persistent_hangs_end_in_a_transient_error(kube):
    gateway = Gateway(kubeconfig=kube.kubeconfig(), request_timeout=0.2, retries=2, backoff=0.01)
    kube.hang_next(3, 30)

    with pytest.raises(TransientError) as caught:
        gateway.get(ref(configmap()))

    assert caught.value.reason == "Kubernetes API unavailable after 3 attempts: no answer within 0.2s"
    assert gateway.requests == {"GET": 3}


def test_persistent_503_ends_in_a_transient_error_and_stores_nothing(gateway, kube):
    kube.fail_next(10, 503)

    with pytest.raises(TransientError) as caught:
        gateway.apply(configmap())

    assert caught.value.reason == "Kubernetes API unavailable after 3 attempts: 503 Service Unavailable"
    assert gateway.requests == {"PATCH": 3}
    assert kube.objects() == []


def test_a_single_attempt_is_said_in_the_singular(kube):
    gateway = Gateway(kubeconfig=kube.kubeconfig(), retries=0, backoff=0.01)
    kube.fail_next(1, 503)

    with pytest.raises(TransientError) as caught:
        gateway.get(ref(configmap()))

    assert caught.value.reason == "Kubernetes API unavailable after 1 attempt: 503 Service Unavailable"


def test_connection_refused_is_a_transient_error(kube):
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = kube.kubeconfig()
    config["clusters"][0]["cluster"]["server"] = server = f"http://127.0.0.1:{port}"
    gateway = Gateway(kubeconfig=config, retries=1, backoff=0.01)

    with pytest.raises(TransientError) as caught:
        gateway.version()

    assert caught.value.reason == f"Kubernetes API unavailable after 2 attempts: cannot connect to {server}"
    assert gateway.requests == {"GET": 2}


# --- rejections ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (422, 'Secret "x" is invalid: data[bad key]: Invalid value: "bad key": a valid config key must consist of ...'),
        (400, "the body of the request was in an unknown format"),
        (403, 'secrets "x" is forbidden: User "aerodrome" cannot patch resource "secrets" in the namespace "t"'),
    ],
)
def test_a_rejection_is_permanent_with_the_server_message_and_not_retried(gateway, kube, status, message):
    kube.fail_next(1, status, message=message)

    with pytest.raises(PermanentError) as caught:
        gateway.apply(configmap())

    assert caught.value.reason == message
    assert caught.value.status == status
    assert gateway.requests == {"PATCH": 1}
    assert kube.objects() == []


def test_a_conflict_on_apply_is_retried_once(gateway, kube):
    kube.fail_next(1, 409, method="PATCH")

    gateway.apply(configmap())

    assert gateway.requests == {"PATCH": 2}
    assert len(kube.objects()) == 1


def test_a_second_conflict_on_apply_is_permanent(gateway, kube):
    message = 'Operation cannot be fulfilled on configmaps "settings": the object has been modified'
    kube.fail_next(2, 409, method="PATCH", message=message)

    with pytest.raises(PermanentError) as caught:
        gateway.apply(configmap())

    assert caught.value.reason == message
    assert gateway.requests == {"PATCH": 2}


def test_object_refs_know_cluster_scoped_kinds():
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "namespace": "ignored"}}

    assert ObjectRef.of(namespace) == ObjectRef("v1", "Namespace", None, "x")
    assert str(ObjectRef.of(configmap())) == f"ConfigMap {NS}/settings"


def test_a_gateway_needs_credentials():
    with pytest.raises(ValueError):
        Gateway()


# --- answers from something other than Kubernetes -------------------------------------------------------------------
# A tenant's kubeconfig may name any server; what it answers must not reach pages, statuses or events.

SECRET = "internal-admin-token-d41d8cd9"


def stub_gateway(server, **options) -> Gateway:
    config = {
        "clusters": [{"name": "c", "cluster": {"server": server.url}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    return Gateway(kubeconfig=config, retries=1, backoff=0.01, **options)


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_a_rejection_by_something_other_than_kubernetes_never_shows_its_body(status):
    body = json.dumps({"message": f"database password is {SECRET}"}).encode()
    with (
        StubServer(lambda seen: Answer(status, body, {"Content-Type": "application/json"})) as server,
        pytest.raises(PermanentError) as caught,
    ):
        stub_gateway(server).apply(configmap())
    assert caught.value.reason == f"The API server answered HTTP {status} {HTTPStatus(status).phrase}."


def test_an_answer_that_is_not_json_is_not_shown():
    with (
        StubServer(lambda seen: Answer(200, f"<html>{SECRET}</html>".encode())) as server,
        pytest.raises(PermanentError) as caught,
    ):
        stub_gateway(server).version()
    assert caught.value.reason == "The API server answered with something other than JSON."


def test_listing_a_custom_kind_the_cluster_lacks_finds_nothing_when_allowed():
    # A cluster without the Prometheus operator's CRDs answers 404 for PodMonitors: reconcile lists them anyway.
    with StubServer(lambda seen: Answer(404, b'{"kind": "Status", "code": 404}')) as server:
        gateway = stub_gateway(server)
        assert gateway.list("monitoring.coreos.com/v1", "PodMonitor", NS, "app=web", missing_ok=True) == []
        with pytest.raises(PermanentError):
            gateway.list("monitoring.coreos.com/v1", "PodMonitor", NS, "app=web")


def test_a_made_up_status_phrase_is_not_shown():
    with StubServer(lambda seen: Answer(503, reason=SECRET)) as server, pytest.raises(TransientError) as caught:
        stub_gateway(server).version()
    assert caught.value.reason == "Kubernetes API unavailable after 2 attempts: 503 Service Unavailable"


@pytest.mark.parametrize("body", [{}, {"gitVersion": SECRET}, {"gitVersion": ["v1.31.0"]}])
def test_an_answer_without_a_kubernetes_version_fails_readably(body):
    with (
        StubServer(lambda seen: Answer(200, json.dumps(body).encode())) as server,
        pytest.raises(PermanentError) as caught,
    ):
        stub_gateway(server).version()
    assert caught.value.reason == "The server answered, but not like a Kubernetes API server (no version)."


def test_a_guarded_gateway_refuses_a_server_on_a_refused_address_before_connecting(strict_outbound):
    with StubServer() as server:
        gateway = stub_gateway(server, guarded=True)
        with pytest.raises(PermanentError) as caught:
            gateway.version()
    assert caught.value.reason == "Refused: 127.0.0.1 is a loopback address, which Aerodrome does not call."
    assert server.seen == []


def test_a_gateway_does_not_follow_redirects(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    redirect = Answer(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    with StubServer(lambda seen: redirect) as server, pytest.raises(PermanentError) as caught:
        stub_gateway(server, guarded=True).version()
    assert caught.value.reason == "The API server answered HTTP 302 Found."
    assert [seen.path for seen in server.seen] == ["/version"]
