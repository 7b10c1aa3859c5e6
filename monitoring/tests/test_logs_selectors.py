"""Reading a Deployment's logs through the gateway from the fake cluster over real HTTP: merged by time across pods,
filtered, bounded with notices, polled from a cursor; restarts, starting and vanishing pods, no pods, no cluster."""

import datetime

import pytest
from django.http import QueryDict

from deployments import services
from deployments.tests.factories import make_cluster, make_deployment
from monitoring.logs.query import parse_query
from monitoring.logs.selectors import LogsUnavailable, components, read_logs
from monitoring.tests.logs_world import add_pod, ago, airflow3_line

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployment(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url, name="acme-prod")
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    services.queue_create(actor=tenancy.owner, deployment=deployment, name="ml")
    return deployment


def query(deployment, **params):
    data = QueryDict(mutable=True)
    for key, value in params.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return parse_query(data, components(deployment), deployment.pk)


def read(deployment, **params):
    return read_logs(deployment, query(deployment, **params))


def texts(page):
    return [line.message for line in page.lines]


def test_lines_of_every_pod_are_merged_by_time_and_labelled(deployment, kube):
    t = ago(60)
    at = lambda s: t + datetime.timedelta(seconds=s)  # noqa: E731
    scheduler = add_pod(kube, deployment, "scheduler", "a", [(at(0), "s0"), (at(2), "s2"), (at(4), "s4")])
    worker = add_pod(kube, deployment, "worker", "b", [(at(1), "w1"), (at(3), "w3")], queue="default")
    ml = add_pod(kube, deployment, "worker", "c", [(at(2.5), "ml")], queue="ml")

    page = read(deployment)

    assert texts(page) == ["s0", "w1", "s2", "ml", "w3", "s4"]
    assert [(line.component, line.pod, line.container) for line in page.lines[:2]] == [
        ("scheduler", scheduler, "scheduler"),
        ("worker-default", worker, "worker"),
    ]
    assert page.lines[3].pod == ml
    assert page.pods == 3


def test_components_choose_the_pods_read(deployment, kube):
    add_pod(kube, deployment, "scheduler", "a", [(ago(5), "from the scheduler")])
    add_pod(kube, deployment, "pgbouncer", "b", [(ago(4), "2026-05-01 12:00:00.1 UTC [1] LOG from pgbouncer")])
    add_pod(kube, deployment, "worker", "c", [(ago(3), "from the ml worker")], queue="ml")

    assert texts(read(deployment, components="pgbouncer,worker-ml")) == ["from pgbouncer", "from the ml worker"]
    assert texts(read(deployment)) == ["from the scheduler", "from the ml worker"]  # Airflow's, by default
    [request] = [r for r in kube.request_log if "/pods?" in r[1]][-1:]
    assert f"labelSelector=app.kubernetes.io/instance%3D{deployment.release_name}," in request[1]  # one list


def test_filters_combine_level_and_up_and_search_in_any_case(deployment, kube):
    lines = [
        (ago(10), airflow3_line(ago(10), "INFO", "Heartbeat ok")),
        (ago(9), airflow3_line(ago(9), "WARNING", "Slow HEARTBEAT")),
        (ago(8), airflow3_line(ago(8), "ERROR", "Heartbeat failed")),
        (ago(7), "Traceback (most recent call last):"),
        (ago(6), '  File "heartbeat.py", line 1'),
        (ago(5), airflow3_line(ago(5), "ERROR", "Database gone")),
        (ago(4), airflow3_line(ago(4), "DEBUG", "heartbeat details")),
    ]
    add_pod(kube, deployment, "scheduler", "a", lines)

    warnings_up = read(deployment, level="WARNING", search="heartbeat")
    errors = read(deployment, level="error")

    assert texts(warnings_up) == ["Slow HEARTBEAT", "Heartbeat failed", '  File "heartbeat.py", line 1']
    assert texts(errors) == [
        "Heartbeat failed",
        "Traceback (most recent call last):",  # a traceback keeps the level of the line that logged it
        '  File "heartbeat.py", line 1',
        "Database gone",
    ]
    assert [line.level for line in errors.lines] == ["ERROR"] * 4


def test_the_window_and_until_bound_the_time(deployment, kube):
    add_pod(kube, deployment, "scheduler", "a", [(ago(3 * 3600), "three hours ago"), (ago(1800), "half an hour ago")])

    assert texts(read(deployment, since="1h")) == ["half an hour ago"]
    assert texts(read(deployment, since="6h")) == ["three hours ago", "half an hour ago"]
    assert texts(read(deployment, since="started")) == ["three hours ago", "half an hour ago"]
    until = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)).isoformat()
    assert texts(read(deployment, since="24h", until=until)) == ["three hours ago"]
    since = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2)).isoformat()
    assert texts(read(deployment, since=since)) == ["half an hour ago"]
    assert kube.log_requests[0]["sinceSeconds"] == "3600"
    assert "sinceSeconds" not in kube.log_requests[2] and "sinceTime" not in kube.log_requests[2]


def test_a_cursor_gives_only_newer_lines_even_within_the_same_second(deployment, kube):
    moment = ago(10).replace(microsecond=0)
    pod = add_pod(kube, deployment, "scheduler", "a", [(moment, "first"), (moment, "twin")])
    first = read(deployment)
    assert texts(first) == ["first", "twin"]

    assert texts(read_logs(deployment, query(deployment, cursor=first.cursor.encode(deployment.pk)))) == []
    kube.append_log(deployment.namespace, pod, "scheduler", "twin too", at=moment)  # the same nanosecond
    kube.append_log(deployment.namespace, pod, "scheduler", "later")
    newer = read_logs(deployment, query(deployment, cursor=first.cursor.encode(deployment.pk)))

    assert texts(newer) == ["twin too", "later"]
    assert kube.log_requests[-1]["sinceTime"] == moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    again = read_logs(deployment, query(deployment, cursor=newer.cursor.encode(deployment.pk)))
    assert texts(again) == []


def test_a_cursor_from_another_deployment_is_refused(deployment, tenancy):
    other = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Other")
    cursor = read_logs(other, query(other)).cursor.encode(other.pk)

    with pytest.raises(Exception, match="cursor"):
        query(deployment, cursor=cursor)
    with pytest.raises(Exception, match="cursor"):
        query(deployment, cursor="forged")


def test_bounds_cut_the_result_and_say_so(deployment, kube, settings):
    settings.LOGS_MAX_PODS = 2
    settings.LOGS_LINES_PER_CONTAINER = 5
    settings.LOGS_BYTES_PER_CONTAINER = 300
    for n in range(3):
        add_pod(kube, deployment, "worker", f"w{n}", [(ago(100 - i), f"line {i}") for i in range(8)],
                queue="default", started=ago(1000 - n))  # fmt: skip
    add_pod(kube, deployment, "scheduler", "a", [(ago(50), "x" * 150), (ago(49), "y" * 150), (ago(48), "z")],
            started=ago(5000))  # fmt: skip

    page = read_logs(deployment, query(deployment), max_lines=4)

    assert page.pods == 2
    assert {line.pod.rsplit("-", 1)[1] for line in page.lines} == {"w1", "w2"}  # the most recently started
    assert [kube_query["tailLines"] for kube_query in kube.log_requests] == ["6", "6"]  # one more: was it cut?
    assert [kube_query["limitBytes"] for kube_query in kube.log_requests] == ["300", "300"]
    assert [line.message for line in page.lines] == ["line 6", "line 6", "line 7", "line 7"]
    assert page.cut
    notices = [n.text for n in page.notices if n.kind == "bound"]
    assert any("4 pods match; the logs of the 2 most recently started were read" in n for n in notices)
    assert any("Only the newest 5 lines of" in n for n in notices)
    assert any("Showing the newest 4 matching lines; older ones are left out" in n for n in notices)

    settings.LOGS_MAX_PODS = 10
    page = read_logs(deployment, query(deployment, components="scheduler"))
    assert texts(page) == ["x" * 150]  # the second line was cut by limitBytes: left out, not shown half
    assert any("Only the first 300 bytes of the log of" in n.text for n in page.notices)


def test_a_restarted_container_offers_its_previous_instance(deployment, kube):
    pod = add_pod(kube, deployment, "scheduler", "a", [(ago(5), "started again")], restart_count=4,
                  previous_lines=[(ago(60), airflow3_line(ago(60), "ERROR", "Scheduler crashed"))])  # fmt: skip

    current = read(deployment)
    previous = read(deployment, previous="true")

    assert texts(current) == ["started again"]
    [restart] = current.restarts
    assert (restart.pod, restart.container, restart.count) == (pod, "scheduler", 4)
    assert any("restarted 4 times" in n.text for n in current.notices)
    assert texts(previous) == ["Scheduler crashed"]
    assert kube.log_requests[-1]["previous"] == "true"


def test_previous_without_any_restart_says_there_is_none(deployment, kube):
    add_pod(kube, deployment, "scheduler", "a", [(ago(5), "fine")])

    page = read(deployment, previous="true")

    assert page.lines == [] and kube.log_requests == []
    assert any("No container of the chosen components has restarted" in n.text for n in page.notices)


def test_a_starting_pod_is_a_notice_and_the_others_are_read(deployment, kube):
    starting = add_pod(kube, deployment, "scheduler", "new", state="waiting", reason="ContainerCreating")
    add_pod(kube, deployment, "scheduler", "old", [(ago(5), "still here")])

    page = read(deployment)

    assert texts(page) == ["still here"]
    assert [n.text for n in page.notices if n.kind == "starting"] == [
        f"Pod {starting}: container scheduler is still starting (ContainerCreating); its log appears once it runs."
    ]


def test_a_pod_vanishing_mid_read_is_left_out_with_a_notice(deployment, kube):
    gone = add_pod(kube, deployment, "scheduler", "gone", [(ago(10 - i / 100), f"doomed {i}") for i in range(300)])
    add_pod(kube, deployment, "worker", "w", [(ago(3), "survivor")], queue="default")
    kube.vanish_mid_read(deployment.namespace, gone)

    page = read(deployment)

    assert texts(page) == ["survivor"]
    assert [n.text for n in page.notices if n.kind == "gone"] == [
        f"Pod {gone} went away while its log was read (replaced or deleted); its lines are left out."
    ]


def test_no_pods_and_no_cluster_are_empty_states(deployment, tenancy, kube):
    page = read(deployment, components="flower,redis")
    assert page.no_pods and page.lines == []
    assert page.notices[0].text == "No pods of flower and redis are running in the cluster right now."

    manifests_only = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Paper")
    page = read(manifests_only)
    assert page.no_cluster and "manifests-only cluster" in page.notices[0].text


def test_an_unreachable_cluster_raises_a_readable_reason(deployment, tenancy, settings):
    settings.KUBE_BACKOFF_MS = 10
    deployment.cluster = make_cluster(organization=tenancy.org, name="gone")
    deployment.save()

    with pytest.raises(LogsUnavailable, match="The cluster gone cannot be reached: .*cannot connect"):
        read(deployment)


def test_components_follow_what_the_deployment_runs(deployment, tenancy):
    keys = [c.key for c in components(deployment)]
    assert keys == ["scheduler", "api-server", "triggerer", "dag-processor", "worker-default", "worker-ml",
                    "pgbouncer", "redis", "statsd", "flower"]  # fmt: skip
    old = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Old", airflow_version="2.11.0",
                          executor="KubernetesExecutor", scaling={"triggerer_replicas": 0})  # fmt: skip
    assert [c.key for c in components(old)] == ["scheduler", "webserver", "pgbouncer", "statsd"]
