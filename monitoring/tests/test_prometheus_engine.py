"""The real-Prometheus fixture itself: it scrapes what the test exporter serves, and backfilled history is there
from the start."""

import time

from monitoring.tests.engines.prometheus import Sample


def test_prometheus_scrapes_the_values_the_test_sets(exporter, prometheus_factory):
    exporter.set("airflow_executor_running_tasks", 3, namespace="aerodrome-a", pod="a-statsd-1", executor="")
    server = prometheus_factory([exporter])
    result = server.wait_for_series('airflow_executor_running_tasks{namespace="aerodrome-a"}')
    assert [float(r["value"][1]) for r in result] == [3.0]
    assert "executor" not in result[0]["metric"]  # an empty label is no label

    exporter.set("airflow_executor_running_tasks", 7, namespace="aerodrome-a", pod="a-statsd-1", executor="")
    server.wait_for_scrape(exporter)
    assert float(server.query('airflow_executor_running_tasks{namespace="aerodrome-a"}')[0]["value"][1]) == 7.0


def test_backfilled_history_is_queryable_at_its_time(prometheus_factory):
    now = time.time()
    hours_ago = now - 5 * 3600
    history = [
        Sample(
            "kube_pod_container_status_restarts_total",
            {"namespace": "ns", "pod": "p", "container": "worker"},
            value,
            hours_ago + minute * 60,
            kind="counter",
        )
        for minute, value in enumerate([0, 0, 1, 1, 2])
    ]
    server = prometheus_factory(history=history)
    at = f"{hours_ago + 4 * 60 + 1:.0f}"
    result = server.query(f'kube_pod_container_status_restarts_total{{namespace="ns"}} @ {at}')
    assert [float(r["value"][1]) for r in result] == [2.0]
    stopped = server.process.pid
    server.stop()
    assert server.process is None and stopped
