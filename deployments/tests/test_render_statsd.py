"""The statsd exporter's mapping: Airflow's dotted metric names become the labelled series that
monitoring/metrics/SERIES.md lists (and the Metrics tab, alert rules and overview query). The exporter is a Go
binary we cannot run here, so this applies the rendered mapping the way it does (glob: `*` is one dot-separated
component, first match wins; regex: the whole name) to the names Airflow sends."""

import re
from pathlib import Path

import pytest
import yaml

from deployments.kube.render import render
from deployments.tests.test_render import RELEASE, find, make_spec

SERIES_DOC = Path(__file__).resolve().parents[2] / "monitoring" / "metrics" / "SERIES.md"


def _mappings() -> list[dict]:
    config_map = find(render(make_spec()), "ConfigMap", f"{RELEASE}-statsd")
    return yaml.safe_load(config_map["data"]["mappings.yml"])["mappings"]


def _map(name: str) -> tuple[str, dict] | None:
    for mapping in _mappings():
        if mapping.get("match_type") == "regex":
            pattern = mapping["match"]
        else:
            pattern = "\\.".join("([^.]+)" if part == "*" else re.escape(part) for part in mapping["match"].split("."))
        found = re.fullmatch(pattern, name)
        if found:
            labels = {
                key: re.sub(r"\$(\d+)", lambda m, found=found: found.group(int(m.group(1))), value)
                for key, value in (mapping.get("labels") or {}).items()
            }
            return mapping["name"], labels
    return None


@pytest.mark.parametrize(
    ("airflow_metric", "series", "labels"),
    [
        ("airflow.scheduler_heartbeat", "airflow_scheduler_heartbeat", {}),
        (
            "airflow.dagrun.duration.success.etl_daily",
            "airflow_dagrun_duration",
            {"dag_id": "etl_daily", "state": "success"},
        ),
        (
            "airflow.dagrun.duration.failed.etl_daily",
            "airflow_dagrun_duration",
            {"dag_id": "etl_daily", "state": "failed"},
        ),
        (
            "airflow.ti.finish.etl_daily.load.up_for_retry",
            "airflow_ti_finish",
            {"dag_id": "etl_daily", "task_id": "load", "state": "up_for_retry"},
        ),
        (
            "airflow.ti.queued.ml.train.fit",
            "airflow_task_instances",
            {"state": "queued", "queue": "ml", "dag_id": "train", "task_id": "fit"},
        ),
        ("airflow.executor.running_tasks", "airflow_executor_running_tasks", {"executor": ""}),
        (
            "airflow.executor.queued_tasks.CeleryExecutor",
            "airflow_executor_queued_tasks",
            {"executor": "CeleryExecutor"},
        ),
        ("airflow.pool.open_slots.default_pool", "airflow_pool_slots", {"pool": "default_pool", "state": "open"}),
        ("airflow.pool.running_slots.default_pool", "airflow_pool_slots", {"pool": "default_pool", "state": "running"}),
        ("airflow.pool.starving_tasks.default_pool", "airflow_pool_starving_tasks", {"pool": "default_pool"}),
        ("airflow.dag.etl_daily.load.duration", "airflow_task_duration", {"dag_id": "etl_daily", "task_id": "load"}),
        ("airflow.operator_failures_BashOperator", "airflow_operator_failures", {"operator": "BashOperator"}),
    ],
)
def test_airflow_metrics_become_labelled_series(airflow_metric, series, labels):
    assert _map(airflow_metric) == (series, labels)


def test_unmapped_metrics_fall_through_to_the_default_name():
    assert _map("airflow.dag_processing.import_errors") is None


def test_each_series_has_one_label_set_as_the_exporter_requires():
    label_sets: dict[str, set] = {}
    for mapping in _mappings():
        label_sets.setdefault(mapping["name"], set()).add(frozenset(mapping.get("labels") or {}))
    assert {name: sets for name, sets in label_sets.items() if len(sets) > 1} == {}


def test_every_mapped_series_is_documented():
    documented = SERIES_DOC.read_text()
    missing = {m["name"] for m in _mappings() if f"`{m['name']}" not in documented}
    assert missing == set()
