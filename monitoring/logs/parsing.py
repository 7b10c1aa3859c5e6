"""Reading what the pod log API returns: the kubelet's timestamp on every line, then whatever the process wrote.

Airflow writes text (`[2026-05-01T12:00:00.123+0000] {scheduler_job_runner.py:123} INFO - ...` in Airflow 2,
structlog's console lines `2026-05-01T12:00:00.123456Z [info     ] ... [airflow.jobs...] loc=x.py:12` in
Airflow 3) or JSON (`{"timestamp", "level", "event", "logger", ...}`, Airflow 2's `json_format` with `asctime,
filename, lineno, levelname, message`); its web servers add gunicorn's and uvicorn's formats; pgbouncer, Redis and
the StatsD exporter have theirs. Each is parsed for a level and a source; a line none of them explains (a
traceback's continuation) takes the level and source of the line before it in the same container, so filtering on
ERROR keeps a whole traceback.
"""

import calendar
import json
import re
import time
from dataclasses import dataclass

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
RANK = {level: rank for rank, level in enumerate(LEVELS)}
_ALIASES = {
    "TRACE": "DEBUG",
    "NOISE": "DEBUG",
    "VERBOSE": "DEBUG",
    "NOTICE": "INFO",
    "LOG": "INFO",  # pgbouncer
    "WARN": "WARNING",
    "EXCEPTION": "ERROR",
    "ERR": "ERROR",
    "FATAL": "CRITICAL",
    "PANIC": "CRITICAL",
    "CRIT": "CRITICAL",
}
_REDIS_LEVELS = {".": "DEBUG", "-": "DEBUG", "*": "INFO", "#": "WARNING"}

_AIRFLOW2 = re.compile(r"^\[[^\]]+\]\s+\{(?P<source>[^}]*)\}\s+(?P<level>[A-Za-z]+)\s+-\s?(?P<message>.*)$", re.S)
_GUNICORN = re.compile(r"^\[[^\]]+\]\s+\[\d+\]\s+\[(?P<level>[A-Za-z]+)\]\s?(?P<message>.*)$", re.S)
_STRUCTLOG = re.compile(r"^\d{4}-\d\d-\d\d[T ][\d:.]+\S*\s+\[(?P<level>[a-z]+)\s*\]\s+")
_STRUCTLOG_LOGGER = re.compile(r" \[(?P<logger>[\w.\-]+)\](?= |$)")
_LOC = re.compile(r"(?:^|\s)loc=(?P<loc>\S+)")
_PGBOUNCER = re.compile(
    r"^\d{4}-\d\d-\d\d [\d:.]+ \S+ \[\d+\] "
    r"(?P<level>LOG|NOISE|DEBUG|NOTICE|INFO|WARNING|ERROR|FATAL)\s+(?P<message>.*)$",
    re.S,
)
_REDIS = re.compile(r"^\d+:[XCSM] \d\d? \w{3} \d{4} [\d:.]+ (?P<sym>[.\-*#]) (?P<message>.*)$", re.S)
_PYTHON = re.compile(r"^(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL):\s*(?P<message>.*)$", re.S)
_LOGFMT_LEVEL = re.compile(r"(?:^|\s)level=\"?(?P<level>\w+)")
_LOGFMT_CALLER = re.compile(r"(?:^|\s)(?:caller|source)=\"?(?P<source>[^\s\"]+)")
_LOGFMT_MSG = re.compile(r"(?:^|\s)msg=(?:\"(?P<quoted>(?:[^\"\\]|\\.)*)\"|(?P<bare>\S+))")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def canonical_level(value) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    upper = value.strip().upper()
    if upper in RANK:
        return upper
    return _ALIASES.get(upper)


@dataclass(slots=True)
class Parsed:
    level: str | None
    source: str
    message: str


def parse_content(content: str) -> Parsed | None:
    """Level, source and message of one line as a process wrote it; None when no known format explains it."""
    if "\x1b" in content:
        content = _ANSI.sub("", content)
    if not content:
        return None
    first = content[0]
    if first == "{":
        return _parse_json(content)
    if first == "[":
        if match := _AIRFLOW2.match(content):
            return Parsed(canonical_level(match["level"]), match["source"], match["message"])
        if match := _GUNICORN.match(content):
            return Parsed(canonical_level(match["level"]), "gunicorn", match["message"])
        return None
    if first.isdigit():
        if match := _STRUCTLOG.match(content):
            return _parse_structlog(canonical_level(match["level"]), content[match.end() :])
        if match := _PGBOUNCER.match(content):
            return Parsed(canonical_level(match["level"]), "pgbouncer", match["message"])
        if match := _REDIS.match(content):
            return Parsed(_REDIS_LEVELS[match["sym"]], "redis", match["message"])
    if first.isupper() and (match := _PYTHON.match(content)):
        return Parsed(match["level"], "", match["message"].strip())
    if "level=" in content and (match := _LOGFMT_LEVEL.search(content)):
        caller = _LOGFMT_CALLER.search(content)
        msg = _LOGFMT_MSG.search(content)
        message = (msg["quoted"].replace('\\"', '"') if msg["quoted"] is not None else msg["bare"]) if msg else content
        return Parsed(canonical_level(match["level"]), caller["source"] if caller else "", message)
    return None


def _parse_structlog(level: str | None, body: str) -> Parsed:
    """`<event> [<logger>] key=value ...`: the source is `loc=` when given, else the logger."""
    logger = _STRUCTLOG_LOGGER.search(body)
    message, rest = (body[: logger.start()], body[logger.end() :]) if logger else (body, "")
    loc = _LOC.search(rest)
    if loc:
        rest = rest[: loc.start()] + rest[loc.end() :]
    source = loc["loc"] if loc else (logger["logger"] if logger else "")
    return Parsed(level, source, (message + rest).strip())


def _parse_json(content: str) -> Parsed | None:
    try:
        record = json.loads(content)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    level = canonical_level(record.get("level") or record.get("levelname") or record.get("severity"))
    message = record.get("event", record.get("message", record.get("msg")))
    if message is None:
        return None
    if not isinstance(message, str):
        message = json.dumps(message)
    filename, lineno = record.get("filename"), record.get("lineno")
    if isinstance(filename, str) and filename:
        source = f"{filename}:{lineno}" if lineno is not None else filename
    else:
        source = record.get("loc") or record.get("logger") or record.get("name") or ""
    if isinstance(record.get("exception"), str | list):  # structlog's formatted traceback
        exception = record["exception"]
        message += "\n" + (exception if isinstance(exception, str) else json.dumps(exception))
    return Parsed(level, str(source), message)


# --- the kubelet's timestamps ----------------------------------------------------------------------------------

_second_cache: dict[str, int] = {}


def timestamp_nanos(stamp: str) -> int | None:
    """Nanoseconds since the epoch of an RFC 3339 UTC time as the kubelet writes it (`2026-05-01T12:00:00.5Z`)."""
    if len(stamp) < 20 or stamp[-1] != "Z" or stamp[10] != "T":
        return None
    head = stamp[:19]
    seconds = _second_cache.get(head)
    if seconds is None:
        try:
            seconds = calendar.timegm(
                (int(head[0:4]), int(head[5:7]), int(head[8:10]), int(head[11:13]), int(head[14:16]), int(head[17:19]))
            )
        except ValueError:
            return None
        if len(_second_cache) > 100_000:
            _second_cache.clear()
        _second_cache[head] = seconds
    fraction = stamp[20:-1] if stamp[19] == "." else ""
    if fraction and not fraction.isdigit():
        return None
    return seconds * 1_000_000_000 + (int(fraction.ljust(9, "0")[:9]) if fraction else 0)


def iso_from_nanos(nanos: int) -> str:
    """`2026-05-01T12:00:00.123456Z`: ISO 8601 with microseconds, as the API and downloads show times."""
    seconds, rest = divmod(nanos, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{rest // 1000:06d}Z"
