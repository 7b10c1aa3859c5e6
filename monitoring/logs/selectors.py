"""Reading a Deployment's component logs: list its pods by label, read each container's log through the gateway
within bounds, parse, filter, and merge every container's lines by time (a heap merge of sorted streams).

Lines are merged newest first and parsed only as far as the page needs (monitoring/logs/merge.py).
Every read is bounded: pods per request (`LOGS_MAX_PODS`, the most recently started first), bytes and lines per
container (`LOGS_BYTES_PER_CONTAINER`, `LOGS_LINES_PER_CONTAINER`, asked of the pod log API itself as
`limitBytes` and `tailLines`), lines per answer (`LOGS_PAGE_LINES`, the newest). Whenever a bound cut the result,
or a pod could not be read (still starting, gone mid-read, unreadable), the answer carries a notice saying so.
An unreachable cluster raises LogsUnavailable with a reason people can read.
"""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings

from deployments.kube import clusters
from deployments.kube.gateway import (
    ContainerWaiting,
    GatewayError,
    LogOptions,
    NoPreviousInstance,
    PodGone,
)
from monitoring.logs.components import Component, component_of, deployment_components, pod_selector
from monitoring.logs.merge import Lines, merge_newest
from monitoring.logs.parsing import iso_from_nanos
from monitoring.logs.query import Cursor, LogQuery

GATEWAY_RETRIES = 1  # a person is waiting: one retry of a blip (at most KUBE_RETRIES), then say so
READERS = 8  # containers read at once
NO_CLUSTER = (
    "This Deployment is on the built-in manifests-only cluster: Aerodrome renders its Kubernetes objects but applies "
    "them nowhere, so no pods run and there are no logs to show. Deployments on a cluster of yours show logs here."
)


class LogsUnavailable(Exception):
    """The cluster could not be asked (unreachable, or it refused the pod list): `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class LogLine:
    nanos: int
    component: str
    pod: str
    container: str
    level: str | None
    source: str
    message: str

    @property
    def time(self) -> str:
        return iso_from_nanos(self.nanos)

    def as_text(self) -> str:
        level = self.level or "-"
        source = f" {{{self.source}}}" if self.source else ""
        return f"{self.time} {self.pod}/{self.container} {level}{source} {self.message}"


@dataclass(frozen=True)
class Notice:
    kind: str  # "bound" (a bound cut the result), "starting", "gone", "error", "restarted", "empty"
    text: str


@dataclass(frozen=True)
class Restart:
    pod: str
    container: str
    count: int
    reason: str


@dataclass
class LogPage:
    lines: list[LogLine]
    cursor: Cursor
    notices: list[Notice] = field(default_factory=list)
    restarts: list[Restart] = field(default_factory=list)
    cut: bool = False  # more lines matched than the answer holds (the newest are given)
    pods: int = 0  # pods read
    no_cluster: bool = False
    no_pods: bool = False


@dataclass
class _Stream:
    component: Component
    pod: str
    container: str
    text: str = ""
    error: Notice | None = None

    @property
    def key(self) -> str:
        return f"{self.pod}/{self.container}"


def components(deployment) -> list[Component]:
    return deployment_components(deployment)


def read_logs(deployment, query: LogQuery, *, max_lines: int | None = None) -> LogPage:
    """The newest `max_lines` (LOGS_PAGE_LINES) lines matching `query`, merged across the chosen components' pods."""
    max_lines = max_lines or settings.LOGS_PAGE_LINES
    now = time.time_ns()
    start = _window_start(query, now)
    if deployment.cluster_id is None:
        return LogPage([], query.cursor or Cursor(start), [Notice("empty", NO_CLUSTER)], no_cluster=True)
    try:
        gateway = clusters.gateway_for(deployment.cluster)
        pods = gateway.pods(
            deployment.namespace,
            pod_selector(deployment.release_name, list(query.components)),
            retries=min(GATEWAY_RETRIES, settings.KUBE_RETRIES),
        )
    except GatewayError as error:
        raise LogsUnavailable(f"The cluster {deployment.cluster.name} cannot be reached: {error.reason}") from None

    notices: list[Notice] = []
    chosen = [(pod, component) for pod in pods if (component := component_of(pod, list(query.components)))]
    with_pods = {component.key for _, component in chosen}
    missing = [component.title for component in query.components if component.key not in with_pods]
    if not chosen:
        text = f"No pods of {_join(missing)} are running in the cluster right now."
        return LogPage([], query.cursor or Cursor(start), [Notice("empty", text)], no_pods=True)
    if missing:
        notices.append(Notice("empty", f"No pods of {_join(missing)} are running right now."))
    chosen.sort(key=lambda item: _started(item[0]), reverse=True)
    if len(chosen) > settings.LOGS_MAX_PODS:
        notices.append(
            Notice(
                "bound",
                f"{len(chosen)} pods match; the logs of the {settings.LOGS_MAX_PODS} most recently started were read "
                f"(at most {settings.LOGS_MAX_PODS} per request). Choose fewer components to see the others.",
            )
        )
        chosen = chosen[: settings.LOGS_MAX_PODS]

    streams, restarts = _plan(chosen, query, notices)
    options = _options(query, start)
    if streams:
        with ThreadPoolExecutor(max_workers=min(READERS, len(streams))) as pool:
            list(pool.map(lambda stream: _read(gateway, deployment.namespace, stream, options), streams))
    page = _assemble(streams, query, options, start, max_lines, notices)
    page.restarts, page.pods = restarts, len(chosen)
    if restarts and not query.previous:
        for restart in restarts:
            page.notices.append(
                Notice(
                    "restarted",
                    f"Container {restart.container} of pod {restart.pod} restarted {restart.count} "
                    f"time{'s' if restart.count != 1 else ''}{restart.reason}; its previous instance's log is "
                    "available (previous=true).",
                )
            )
    return page


def _window_start(query: LogQuery, now: int) -> int:
    if query.since_moment is not None:
        return int(query.since_moment.timestamp()) * 1_000_000_000 + query.since_moment.microsecond * 1000
    if query.window_seconds:
        return now - query.window_seconds * 1_000_000_000
    return 0


def _started(pod: dict) -> str:
    status = pod.get("status") or {}
    return status.get("startTime") or (pod.get("metadata") or {}).get("creationTimestamp") or ""


def _plan(chosen, query: LogQuery, notices: list[Notice]) -> tuple[list[_Stream], list[Restart]]:
    """Which containers to read, and what to say about the others (starting; nothing to read in previous mode)."""
    streams, restarts = [], []
    for pod, component in chosen:
        name = pod["metadata"]["name"]
        statuses = {s.get("name"): s for s in (pod.get("status") or {}).get("containerStatuses") or []}
        for container in (pod.get("spec") or {}).get("containers") or []:
            status = statuses.get(container["name"]) or {}
            count = int(status.get("restartCount") or 0)
            if count:
                last = ((status.get("lastState") or {}).get("terminated")) or {}
                reason = f" (last exit: {last['reason']}, code {last.get('exitCode')})" if last.get("reason") else ""
                restarts.append(Restart(name, container["name"], count, reason))
            if query.previous:
                if count:
                    streams.append(_Stream(component, name, container["name"]))
                continue
            waiting = (status.get("state") or {}).get("waiting")
            if not status or (waiting and not count):
                reason = (waiting or {}).get("reason") or (pod.get("status") or {}).get("phase") or "Pending"
                notices.append(_starting(name, container["name"], reason))
                continue
            streams.append(_Stream(component, name, container["name"]))
    if query.previous and not streams:
        notices.append(
            Notice("empty", "No container of the chosen components has restarted: there is no previous instance's log.")
        )
    return streams, restarts


def _starting(pod: str, container: str, reason: str) -> Notice:
    text = f"Pod {pod}: container {container} is still starting ({reason}); its log appears once it runs."
    return Notice("starting", text)


def _options(query: LogQuery, start: int) -> LogOptions:
    # One line more than the bound: getting it tells that the bound cut the log (it is dropped).
    bounds = {"limit_bytes": settings.LOGS_BYTES_PER_CONTAINER, "tail_lines": settings.LOGS_LINES_PER_CONTAINER + 1}
    if query.previous:
        return LogOptions(**bounds, previous=True)
    since = query.cursor.nanos if query.cursor else start
    if query.cursor or query.since_moment is not None:
        if since <= 0:
            return LogOptions(**bounds)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since // 1_000_000_000))
        return LogOptions(**bounds, since_time=stamp)  # second precision: finer filtering happens here
    if query.window_seconds:
        return LogOptions(**bounds, since_seconds=query.window_seconds)
    return LogOptions(**bounds)


def _read(gateway, namespace: str, stream: _Stream, options: LogOptions) -> None:
    try:
        stream.text = gateway.pod_log(
            namespace, stream.pod, stream.container, options, retries=min(GATEWAY_RETRIES, settings.KUBE_RETRIES)
        )
    except PodGone:
        stream.error = Notice(
            "gone", f"Pod {stream.pod} went away while its log was read (replaced or deleted); its lines are left out."
        )
    except ContainerWaiting as error:
        stream.error = _starting(stream.pod, stream.container, error.reason.rpartition(": ")[2] or "waiting")
    except NoPreviousInstance:
        stream.error = Notice("empty", f"Container {stream.container} of pod {stream.pod} has no previous instance.")
    except GatewayError as error:
        text = f"Pod {stream.pod}: the log of {stream.container} could not be read: {error.reason}"
        stream.error = Notice("error", text)


def _assemble(
    streams: list[_Stream], query: LogQuery, options: LogOptions, start: int, max_lines: int, notices: list[Notice]
) -> LogPage:
    cursor = query.cursor
    tail_bound = settings.LOGS_LINES_PER_CONTAINER
    cut_bytes, cut_tail, readable = [], [], []
    for stream in streams:
        if stream.error:
            notices.append(stream.error)
            continue
        text = stream.text
        raw = text.split("\n")
        if not text.endswith("\n") and len(text.encode()) >= options.limit_bytes:
            raw.pop()  # the bound cut the last line in the middle
            cut_bytes.append(stream.key)
        elif raw and raw[-1] == "":
            raw.pop()
        if options.tail_lines and len(raw) > tail_bound:  # we asked for one more than the bound to know
            del raw[: len(raw) - tail_bound]
            cut_tail.append(stream.key)
        readable.append((Lines(stream.key, raw), stream))
    merged = merge_newest(
        readable,
        floor=cursor.nanos if cursor else (start if query.since_moment is not None else 0),
        cursor_nanos=cursor.nanos if cursor else None,
        seen=cursor.seen if cursor else {},
        until=int(query.until.timestamp() * 1_000_000_000) if query.until else None,
        level=query.level,
        search=query.search,
        max_lines=max_lines,
        make_line=_line,
    )
    if cut_bytes:
        size = _size(options.limit_bytes)
        notices.append(
            Notice(
                "bound",
                f"Only the first {size} of the log of {_join(cut_bytes)} in this window were read "
                f"(at most {size} per container); narrow the window to see the newest lines.",
            )
        )
    if cut_tail:
        notices.append(
            Notice(
                "bound",
                f"Only the newest {tail_bound:,} lines of {_join(cut_tail)} were read "
                f"(at most {tail_bound:,} per container); older lines of the window are left out.",
            )
        )
    if merged.cut:
        notices.append(
            Notice(
                "bound",
                f"Showing the newest {max_lines:,} matching lines; older ones are left out (at most {max_lines:,} "
                "per page). Narrow the filters or the window, or download the result.",
            )
        )
    new_cursor = Cursor(merged.newest, merged.at_newest) if merged.newest else (cursor or Cursor(start))
    return LogPage(merged.lines, new_cursor, notices, cut=merged.cut)


def _line(stream: _Stream, nanos: int, level: str | None, source: str, message: str) -> LogLine:
    return LogLine(nanos, stream.component.key, stream.pod, stream.container, level, source, message)


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit >= 1024:
        return f"{limit / 1024:g} KiB"
    return f"{limit} bytes"


def _join(names: list[str]) -> str:
    names = list(names)
    if len(names) > 4:
        return ", ".join(names[:4]) + f" and {len(names) - 4} more"
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1] if names else ""


def iter_text(page: LogPage) -> Iterator[str]:
    """The page as plain text, a line each (the download)."""
    for line in page.lines:
        yield line.as_text() + "\n"
