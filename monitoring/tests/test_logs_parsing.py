"""Airflow's log formats (and its neighbours') parsed for level and source; the kubelet's timestamps."""

import pytest

from monitoring.logs.parsing import iso_from_nanos, parse_content, timestamp_nanos


@pytest.mark.parametrize(
    ("content", "level", "source", "message"),
    [
        (  # Airflow 2's text format
            "[2026-05-01T12:00:00.123+0000] {scheduler_job_runner.py:860} INFO - Starting the scheduler",
            "INFO",
            "scheduler_job_runner.py:860",
            "Starting the scheduler",
        ),
        (  # Airflow 3's structlog console lines
            "2026-05-01T12:00:00.123456Z [warning  ] DAG file not found [airflow.dag_processing] loc=manager.py:42",
            "WARNING",
            "manager.py:42",
            "DAG file not found",
        ),
        (  # Airflow 3's JSON
            '{"timestamp": "2026-05-01T12:00:00Z", "level": "error", "event": "Task failed", "logger": "airflow.task"}',
            "ERROR",
            "airflow.task",
            "Task failed",
        ),
        (  # Airflow 2's json_format
            '{"asctime": "2026-05-01", "filename": "taskinstance.py", "lineno": 1703, "levelname": "CRITICAL", '
            '"message": "boom"}',
            "CRITICAL",
            "taskinstance.py:1703",
            "boom",
        ),
        (
            "[2026-05-01 12:00:00 +0000] [7] [INFO] Booting worker with pid: 7",
            "INFO",
            "gunicorn",
            "Booting worker with pid: 7",
        ),
        (
            'INFO:     10.0.0.1:40000 - "GET /api/v2/monitor/health HTTP/1.1" 200 OK',
            "INFO",
            "",
            '10.0.0.1:40000 - "GET /api/v2/monitor/health HTTP/1.1" 200 OK',
        ),
        ("2026-05-01 12:00:00.123 UTC [1] FATAL cannot load config", "CRITICAL", "pgbouncer", "cannot load config"),
        ("2026-05-01 12:00:00.123 UTC [1] LOG stats: 0 xacts/s", "INFO", "pgbouncer", "stats: 0 xacts/s"),
        (
            "1:M 01 May 2026 12:00:00.123 # WARNING overcommit_memory is set to 0",
            "WARNING",
            "redis",
            "WARNING overcommit_memory is set to 0",
        ),
        (
            'ts=2026-05-01T12:00:00Z caller=main.go:12 level=warn msg="Mapping failed" line=3',
            "WARNING",
            "main.go:12",
            "Mapping failed",
        ),
    ],
)
def test_formats_are_parsed_for_level_and_source(content, level, source, message):
    parsed = parse_content(content)

    assert (parsed.level, parsed.source, parsed.message) == (level, source, message)


@pytest.mark.parametrize("content", ["Traceback (most recent call last):", '  File "x.py", line 1', "", "{not json"])
def test_lines_no_format_explains_are_left_to_the_line_before(content):
    assert parse_content(content) is None


def test_ansi_colours_do_not_hide_the_level():
    assert parse_content("2026-05-01T12:00:00Z [\x1b[31merror\x1b[0m    ] boom").level == "ERROR"


def test_kubelet_timestamps_keep_nanoseconds_and_sort_as_numbers():
    a = timestamp_nanos("2026-05-01T12:00:00.000000001Z")
    b = timestamp_nanos("2026-05-01T12:00:00.5Z")
    c = timestamp_nanos("2026-05-01T12:00:01Z")

    assert a < b < c
    assert b - a == 499_999_999
    assert iso_from_nanos(b) == "2026-05-01T12:00:00.500000Z"
    assert timestamp_nanos("not-a-time") is None
    assert timestamp_nanos("2026-13-01T12:00:00Z") is None
