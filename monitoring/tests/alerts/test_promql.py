"""The rule groups Prometheus loads: every type and built-in passes `promtool check rules`, scoped to the
Deployment's namespace, labelled for the receiver, patterns becoming anchored regular expressions."""

import datetime
import subprocess

import pytest
import yaml

from monitoring.alerts import promql
from monitoring.alerts.models import AlertRule

TARGET = promql.Target(deployment_id=42, namespace="aerodrome-calm-heron-0042", capacity=50)


def rule(pk, type, **fields):
    values = {"name": f"rule {pk}", "severity": "CRITICAL", "dag_patterns": [], "task_patterns": []} | fields
    return AlertRule(pk=pk, type=type, **values)


ALL_TYPES = [
    rule(1, AlertRule.Type.DAG_FAILURE, dag_patterns=["etl_*", "report"]),
    rule(2, AlertRule.Type.DAG_SUCCESS, dag_match=AlertRule.Match.EXCLUDES, dag_patterns=["test_*"]),
    rule(3, AlertRule.Type.DAG_DURATION, threshold_seconds=3600),
    rule(
        4,
        AlertRule.Type.DAG_TIMELINESS,
        dag_patterns=["daily_*"],
        deadline=datetime.time(9, 30),
        deadline_days=[1, 2, 3, 4, 5],
        lookback_minutes=720,
    ),
    rule(5, AlertRule.Type.TASK_FAILURE, dag_patterns=["etl"], task_patterns=["load_*"], task_match="EXCLUDES"),
    rule(6, AlertRule.Type.TASK_DURATION, task_patterns=["*transform*"], threshold_seconds=600),
]


def groups(**overrides):
    arguments = {
        "target": TARGET,
        "builtins": list(promql.BUILTINS),
        "rules": ALL_TYPES,
        "interval_seconds": 30,
        "window_seconds": 600,
    } | overrides
    return promql.rule_groups(**arguments)


def promtool(groups, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": groups}))
    return subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=60)


def test_every_builtin_and_every_rule_type_passes_promtool(tmp_path):
    rendered = groups()
    result = promtool(rendered, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 13 rules found" in result.stdout
    assert [g["name"] for g in rendered] == [promql.GROUP_INCIDENTS, promql.GROUP_RULES]


def test_promtool_rejects_a_broken_expression(tmp_path):
    broken = groups(builtins=[])
    broken[0]["rules"][0]["expr"] = "sum(rate(x[5m]) > "
    assert promtool(broken, tmp_path).returncode != 0


def test_every_expression_is_scoped_to_the_namespace_and_labelled_for_the_receiver():
    for group in groups():
        for r in group["rules"]:
            assert 'namespace="aerodrome-calm-heron-0042"' in r["expr"]
            assert r["labels"][promql.LABEL_DEPLOYMENT] == "42"
            assert r["labels"]["namespace"] == TARGET.namespace
            assert r["labels"]["severity"] in ("info", "warning", "critical")
    people = groups()[1]["rules"]
    assert [r["labels"][promql.LABEL_RULE] for r in people] == [f"rule-{n}" for n in range(1, 7)]


def test_patterns_become_anchored_alternations_and_excludes_negate():
    people = {r["labels"][promql.LABEL_RULE]: r["expr"] for r in groups()[1]["rules"]}
    assert 'dag_id=~"etl_.*|report"' in people["rule-1"]
    assert 'dag_id!~"test_.*"' in people["rule-2"]
    assert "dag_id" not in people["rule-3"].split("{")[1].split("}")[0]  # no pattern: every DAG
    assert 'task_id!~"load_.*"' in people["rule-5"] and 'state="failed"' in people["rule-5"]
    assert 'task_id=~".*transform.*"' in people["rule-6"] and "> 600" in people["rule-6"]


def test_timeliness_checks_the_deadline_days_and_look_back():
    expr = {r["labels"][promql.LABEL_RULE]: r["expr"] for r in groups()[1]["rules"]}["rule-4"]
    assert "[43200s]" in expr  # 12 hours of look-back
    assert "hour() * 60 + minute() >= 570" in expr  # 09:30 UTC
    assert "day_of_week() == 1" in expr and "day_of_week() == 5" in expr and "day_of_week() == 0" not in expr


def test_turned_off_builtins_and_an_empty_rule_list_leave_groups_out():
    assert groups(builtins=[], rules=[]) == []
    only = groups(builtins=["scheduler_heartbeat"], rules=[])
    assert [r["alert"] for r in only[0]["rules"]] == ["AirflowSchedulerUnhealthy"]


@pytest.mark.parametrize(
    "text, expected",
    [("etl_*, report", ["etl_*", "report"]), ("a\nb\n\na", ["a", "b"]), ("", [])],
)
def test_patterns_are_read_from_text(text, expected):
    assert promql.clean_patterns(text) == expected


@pytest.mark.parametrize("bad", ['x"}', "a b", "dag{1}", "ok,bad|alt"])
def test_a_pattern_with_other_characters_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="is not a DAG or task id pattern"):
        promql.clean_patterns(bad)
