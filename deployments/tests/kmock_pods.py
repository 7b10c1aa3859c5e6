"""Pods and their `log` subresource for the fake cluster (kmock_harness.FakeCluster mixes this in).

kmock stores Pods like any object but knows nothing of container logs, so `add_pod` stores a Pod (containers,
restart counts, statuses) and keeps each container's log lines (and its previous instance's); `_serve_log` answers
`GET .../pods/<name>/log` as the kubelet does: `container`, `timestamps`, `sinceSeconds`/`sinceTime`, `tailLines`,
`limitBytes`, `previous`, and the API server's 400s and 404s. `vanish_mid_read` makes a pod's next log read stop
half-way (the connection drops) and the pod disappear. It is a plain aiohttp handler the harness calls before kmock
(kmock routes no subresources), serving over the same real HTTP server.
"""

import bisect
import contextlib
import datetime
import http
import re
from typing import Any, Literal

import aiohttp.web
import attrs
import kmock

LOG_PATH = re.compile(r"^/api/v1/namespaces/(?P<namespace>[^/]+)/pods/(?P<pod>[^/]+)/log/?$")


@attrs.define
class FakeContainer:
    """A container of a fake pod: its log (lines of (time, text)), its previous instance's, and its state."""

    name: str
    lines: list[tuple[datetime.datetime, str]] = attrs.field(factory=list)
    previous_lines: list[tuple[datetime.datetime, str]] = attrs.field(factory=list)
    restart_count: int = 0
    state: Literal["running", "waiting", "terminated"] = "running"
    reason: str = ""  # for waiting/terminated: ContainerCreating, CrashLoopBackOff, Error...
    exit_code: int = 1  # the last terminated instance's (previous, or this one when terminated)
    # Each line as served with timestamps=true, kept as lines are added (formatting times per read would make
    # the fake, not the code under test, the cost a benchmark sees).
    _stamped: dict[bool, list[str]] = attrs.field(factory=lambda: {False: [], True: []}, init=False, repr=False)

    def stamped(self, previous: bool) -> list[str]:
        lines, done = (self.previous_lines if previous else self.lines), self._stamped[previous]
        done += [f"{rfc3339_nano(moment)} {text}\n" for moment, text in lines[len(done) :]]
        return done


def rfc3339_nano(moment: datetime.datetime) -> str:
    """The kubelet's timestamp: Go's RFC3339Nano (UTC, trailing zeros of the fraction dropped)."""
    moment = moment.astimezone(datetime.UTC)
    fraction = f"{moment.microsecond:06d}000".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def _parse_since_time(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def status_body(code: int, message: str | None = None, reason: str | None = None) -> dict:
    """A `Status` object as the API server sends with every error."""
    phrase = http.HTTPStatus(code).phrase
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message or phrase,
        "reason": reason or phrase.replace(" ", ""),
        "code": code,
    }


def _raw_status(code: int, message: str, reason: str) -> aiohttp.web.Response:
    return aiohttp.web.json_response(status_body(code, message, reason), status=code)


class PodLogs:
    """Pods with logs, on the fake cluster's loop (the class using it provides `put`, `_on_loop`, `emulator`)."""

    def _reset_pods(self) -> None:
        self._containers: dict[tuple[str, str], dict[str, FakeContainer]] = {}  # (namespace, pod) -> containers
        self._vanishing: set[tuple[str, str]] = set()
        self.log_requests: list[dict[str, str]] = []  # the query of every log read, with "pod" and "namespace"

    def add_pod(
        self,
        namespace: str,
        name: str,
        labels: dict[str, str],
        containers: list[FakeContainer],
        *,
        started: datetime.datetime | None = None,
        phase: str = "Running",
    ) -> dict:
        """Store a Pod whose status follows its containers' (restart counts, running/waiting/terminated), and keep
        the containers' logs for the `log` subresource. Returns the Pod object."""
        started = started or datetime.datetime.now(datetime.UTC)
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
            "spec": {"containers": [{"name": c.name, "image": "apache/airflow:3.1.3"} for c in containers]},
            "status": {
                "phase": phase,
                "startTime": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "containerStatuses": [self._container_status(c, started) for c in containers],
            },
        }
        self.put(pod)

        def keep() -> None:
            self._containers[(namespace, name)] = {c.name: c for c in containers}

        self._on_loop(keep)
        return pod

    @staticmethod
    def _container_status(container: FakeContainer, started: datetime.datetime) -> dict:
        stamp = started.strftime("%Y-%m-%dT%H:%M:%SZ")
        if container.state == "running":
            state = {"running": {"startedAt": stamp}}
        elif container.state == "waiting":
            state = {"waiting": {"reason": container.reason or "ContainerCreating"}}
        else:
            state = {"terminated": {"exitCode": container.exit_code, "reason": container.reason or "Error"}}
        status = {
            "name": container.name,
            "image": "apache/airflow:3.1.3",
            "ready": container.state == "running",
            "restartCount": container.restart_count,
            "started": container.state == "running",
            "state": state,
        }
        if container.restart_count:
            status["lastState"] = {"terminated": {"exitCode": container.exit_code, "reason": "Error"}}
        return status

    def append_log(
        self, namespace: str, pod: str, container: str, text: str, at: datetime.datetime | None = None
    ) -> None:
        """Append a line to a running container's log (as if the process just wrote it)."""
        moment = at or datetime.datetime.now(datetime.UTC)
        self._on_loop(lambda: self._containers[(namespace, pod)][container].lines.append((moment, text)))

    def delete_pod(self, namespace: str, name: str) -> None:
        """The pod disappears (its controller replaced it): gone from lists, its log a 404."""

        self._on_loop(self._delete_pod, namespace, name)

    def vanish_mid_read(self, namespace: str, name: str) -> None:
        """The pod's next log read sends half of its answer, then the connection drops and the pod is gone."""
        self._on_loop(self._vanishing.add, (namespace, name))

    async def _serve_log(self, request: kmock.Request, namespace: str, pod: str) -> aiohttp.web.StreamResponse:
        params = dict(request.params)
        self.log_requests.append({"namespace": namespace, "pod": pod, **params})
        containers = self._containers.get((namespace, pod))
        if containers is None:
            return _raw_status(404, f'pods "{pod}" not found', "NotFound")
        name = params.get("container")
        if not name:
            if len(containers) != 1:
                names = " ".join(containers)
                message = f"a container name must be specified for pod {pod}, choose one of: [{names}]"
                return _raw_status(400, message, "BadRequest")
            name = next(iter(containers))
        container = containers.get(name)
        if container is None:
            return _raw_status(400, f"container {name} is not valid for pod {pod}", "BadRequest")
        previous = params.get("previous") == "true"
        if previous:
            if not container.restart_count:
                message = f'previous terminated container "{name}" in pod "{pod}" not found'
                return _raw_status(400, message, "BadRequest")
            lines = list(container.previous_lines)
        else:
            if container.state == "waiting" and not container.restart_count:
                reason = container.reason or "ContainerCreating"
                message = f'container "{name}" in pod "{pod}" is waiting to start: {reason}'
                return _raw_status(400, message, "BadRequest")
            lines = list(container.lines)
        try:
            body = self._log_body(lines, container.stamped(previous), params)
        except ValueError as exc:
            return _raw_status(400, str(exc), "BadRequest")
        if (namespace, pod) in self._vanishing:
            return await self._vanish(request, namespace, pod, body)
        return aiohttp.web.Response(body=body, content_type="text/plain", charset="utf-8")

    @staticmethod
    def _log_body(lines: list[tuple[datetime.datetime, str]], stamped: list[str], params: dict[str, str]) -> bytes:
        if "sinceSeconds" in params and "sinceTime" in params:
            raise ValueError("at most one of sinceTime or sinceSeconds may be specified")
        since = None
        if "sinceSeconds" in params:
            since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=int(params["sinceSeconds"]))
        elif "sinceTime" in params:
            since = _parse_since_time(params["sinceTime"])
        chosen = range(len(lines))
        if since is not None:  # lines are in time order, as a container writes them
            chosen = range(bisect.bisect_left(lines, since, key=lambda line: line[0]), len(lines))
        if "tailLines" in params:
            tail = int(params["tailLines"])
            chosen = chosen[-tail:] if tail else range(0)
        if params.get("timestamps") == "true":
            body = "".join(stamped[i] for i in chosen)
        else:
            body = "".join(f"{lines[i][1]}\n" for i in chosen)
        data = body.encode()
        if "limitBytes" in params:
            data = data[: int(params["limitBytes"])]  # cut mid-line, as the kubelet does
        return data

    async def _vanish(self, request: kmock.Request, namespace: str, pod: str, body: bytes) -> Any:
        self._vanishing.discard((namespace, pod))
        self._delete_pod(namespace, pod)
        raw = request._raw_request
        response = aiohttp.web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
        response.enable_chunked_encoding()
        await response.prepare(raw)
        await response.write(body[: len(body) // 2])
        raw.transport.close()  # the connection drops before the answer is complete
        return response

    def _delete_pod(self, namespace: str, name: str) -> None:
        self._containers.pop((namespace, name), None)
        with contextlib.suppress(KeyError):
            self.emulator.objects[(kmock.resource("", "v1", "pods"), namespace, name)].delete()
