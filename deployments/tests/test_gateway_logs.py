"""Contract tests of the gateway's pod list and pod log reads: the official client over real HTTP against the fake
cluster, whose `log` subresource behaves as the kubelet's (timestamps, since, tail, byte limit, previous)."""

import datetime

import pytest

from deployments.kube.gateway import (
    ContainerWaiting,
    Gateway,
    LogOptions,
    NoPreviousInstance,
    PermanentError,
    PodGone,
    TransientError,
)
from deployments.tests.kmock_harness import FakeContainer

NS = "aero-logs"
T0 = datetime.datetime(2026, 5, 1, 12, 0, 0, tzinfo=datetime.UTC)


@pytest.fixture
def gateway(kube):
    gateway = Gateway(kubeconfig=kube.kubeconfig(), request_timeout=2, retries=2, backoff=0.01, max_backoff=0.05)
    yield gateway
    gateway.close()


def lines(n, start=T0, step=1.0, text="line"):
    return [(start + datetime.timedelta(seconds=i * step), f"{text} {i}") for i in range(n)]


def scheduler_pod(kube, name="web-scheduler-1", **container):
    container.setdefault("lines", lines(10))
    kube.add_pod(NS, name, {"app.kubernetes.io/component": "scheduler"}, [FakeContainer("scheduler", **container)])


def test_pods_are_listed_by_label_with_their_container_statuses(gateway, kube):
    scheduler_pod(kube, restart_count=2)
    kube.add_pod(NS, "web-redis-0", {"app.kubernetes.io/component": "redis"}, [FakeContainer("redis")])
    kube.add_pod("elsewhere", "web-scheduler-9", {"app.kubernetes.io/component": "scheduler"}, [FakeContainer("s")])

    pods = gateway.pods(NS, "app.kubernetes.io/component in (scheduler)")

    assert [p["metadata"]["name"] for p in pods] == ["web-scheduler-1"]
    [status] = pods[0]["status"]["containerStatuses"]
    assert (status["name"], status["restartCount"], list(status["state"])) == ("scheduler", 2, ["running"])


def test_a_log_read_has_the_kubelet_timestamp_on_every_line(gateway, kube):
    scheduler_pod(kube, lines=[(T0.replace(microsecond=500000), "hello"), (T0.replace(second=1), "world")])

    text = gateway.pod_log(NS, "web-scheduler-1", "scheduler", LogOptions(limit_bytes=10_000))

    assert text == "2026-05-01T12:00:00.5Z hello\n2026-05-01T12:00:01Z world\n"
    [query] = kube.log_requests
    assert query | {"namespace": NS, "pod": "web-scheduler-1"} == {
        "namespace": NS,
        "pod": "web-scheduler-1",
        "container": "scheduler",
        "limitBytes": "10000",
        "timestamps": "true",
    }


def test_tail_lines_and_since_time_bound_what_is_read(gateway, kube):
    scheduler_pod(kube, lines=lines(10))

    tail = gateway.pod_log(NS, "web-scheduler-1", "scheduler", LogOptions(limit_bytes=10_000, tail_lines=2))
    since = gateway.pod_log(
        NS, "web-scheduler-1", "scheduler", LogOptions(limit_bytes=10_000, since_time="2026-05-01T12:00:07Z")
    )

    assert [line.split(" ", 1)[1] for line in tail.splitlines()] == ["line 8", "line 9"]
    assert [line.split(" ", 1)[1] for line in since.splitlines()] == ["line 7", "line 8", "line 9"]
    assert kube.log_requests[1]["sinceTime"] == "2026-05-01T12:00:07Z"


def test_since_seconds_reads_only_the_recent_lines(gateway, kube):
    now = datetime.datetime.now(datetime.UTC)
    scheduler_pod(kube, lines=[(now - datetime.timedelta(minutes=30), "old"), (now, "new")])

    text = gateway.pod_log(
        NS, "web-scheduler-1", "scheduler", LogOptions(limit_bytes=10_000, since_seconds=60, timestamps=False)
    )

    assert text == "new\n"
    assert kube.log_requests[0]["sinceSeconds"] == "60"


def test_limit_bytes_cuts_the_answer(gateway, kube):
    scheduler_pod(kube, lines=lines(100))

    text = gateway.pod_log(NS, "web-scheduler-1", "scheduler", LogOptions(limit_bytes=50, timestamps=False))

    assert len(text.encode()) == 50
    assert text.startswith("line 0\nline 1\n")


def test_a_read_is_never_unbounded(gateway, kube):
    scheduler_pod(kube)

    with pytest.raises(ValueError, match="never unbounded"):
        gateway.pod_log(NS, "web-scheduler-1", "scheduler", LogOptions(limit_bytes=0))
    with pytest.raises(ValueError, match="not both"):
        gateway.pod_log(NS, "web-scheduler-1", "scheduler", LogOptions(limit_bytes=1, since_seconds=1, since_time="x"))
    assert kube.log_requests == []


def test_previous_reads_the_restarted_containers_last_instance(gateway, kube):
    scheduler_pod(kube, restart_count=3, previous_lines=[(T0, "Traceback (most recent call last):")])

    text = gateway.pod_log(NS, "web-scheduler-1", "scheduler", LogOptions(limit_bytes=10_000, previous=True))

    assert text == "2026-05-01T12:00:00Z Traceback (most recent call last):\n"
    assert kube.log_requests[0]["previous"] == "true"


def test_previous_of_a_container_that_never_restarted_is_a_typed_error(gateway, kube):
    scheduler_pod(kube)

    with pytest.raises(NoPreviousInstance, match="previous terminated container"):
        gateway.pod_log(NS, "web-scheduler-1", "scheduler", LogOptions(limit_bytes=10, previous=True))


def test_a_container_still_starting_is_a_typed_error_not_retried(gateway, kube):
    scheduler_pod(kube, state="waiting", reason="ContainerCreating", lines=[])

    with pytest.raises(ContainerWaiting, match="is waiting to start: ContainerCreating") as caught:
        gateway.pod_log(NS, "web-scheduler-1", "scheduler", LogOptions(limit_bytes=10))
    assert caught.value.status == 400
    assert len(kube.log_requests) == 1


def test_a_pod_that_is_gone_is_a_typed_error(gateway, kube):
    with pytest.raises(PodGone, match="web-scheduler-1 is gone"):
        gateway.pod_log(NS, "web-scheduler-1", "scheduler", LogOptions(limit_bytes=10))


def test_an_unknown_container_is_a_permanent_error_with_the_server_message(gateway, kube):
    scheduler_pod(kube)

    with pytest.raises(PermanentError, match="container nope is not valid for pod web-scheduler-1"):
        gateway.pod_log(NS, "web-scheduler-1", "nope", LogOptions(limit_bytes=10))


def test_a_pod_vanishing_mid_read_ends_in_pod_gone(gateway, kube):
    scheduler_pod(kube, lines=lines(200))
    kube.vanish_mid_read(NS, "web-scheduler-1")

    with pytest.raises(PodGone):
        gateway.pod_log(NS, "web-scheduler-1", "scheduler", LogOptions(limit_bytes=100_000))

    assert len(kube.log_requests) == 2  # the broken answer, then the retry that finds the pod gone
    assert gateway.pods(NS, "app.kubernetes.io/component=scheduler") == []


def test_a_log_read_is_retried_through_a_503(gateway, kube):
    scheduler_pod(kube, lines=lines(1))
    kube.fail_next(1, 503, path_contains="/log")

    assert gateway.pod_log(NS, "web-scheduler-1", "scheduler", LogOptions(limit_bytes=100, timestamps=False)) == (
        "line 0\n"
    )


def test_retries_can_be_fewer_for_one_call(gateway, kube):
    scheduler_pod(kube)
    kube.fail_next(5, 503, path_contains="/pods")

    with pytest.raises(TransientError, match="after 1 attempt: 503"):
        gateway.pods(NS, "app.kubernetes.io/component=scheduler", retries=0)


def test_an_unreachable_cluster_is_a_transient_error():
    gateway = Gateway(kubeconfig=_kubeconfig("http://127.0.0.1:1"), retries=1, backoff=0.01)

    with pytest.raises(TransientError, match="cannot connect"):
        gateway.pod_log(NS, "web-scheduler-1", "scheduler", LogOptions(limit_bytes=10))


def _kubeconfig(url):
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "x", "cluster": {"server": url}}],
        "users": [{"name": "x", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "x", "user": "x"}}],
        "current-context": "x",
    }
