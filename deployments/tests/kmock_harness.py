"""A fake Kubernetes cluster for tests and benchmarks: kmock's KubernetesEmulator behind a real HTTP server.

kmock is asyncio; the code under test (the gateway, over the official client) is synchronous. So the emulator and
its `Server` run on an event loop in a background thread, and every method of `FakeCluster` hops onto that loop
to read or change it. Tests talk to it over real HTTP on 127.0.0.1, exactly as production talks to a cluster.

kmock is a good HTTP-level emulator but not an API server; the gaps that matter to us are closed here, in test
code, never in the gateway:

- Namespace objects: kmock parses `/api/v1/namespaces/<name>` as "namespace <name>, no resource" and fails on
  `/api/v1/namespaces`; `_parse_path` reads them as the cluster-scoped `namespaces` resource.
- Server-side apply: kmock treats `PATCH application/apply-patch+yaml` as a merge patch of an existing object
  (404 when missing). `_serve_apply` is a DSL reaction that creates or replaces the object as a single field
  manager would, keeps server-owned fields and status, and stamps uid, resourceVersion and generation.
- Lists: kmock ignores `labelSelector` and answers 404 for a resource with no objects yet. `_serve_list` filters
  by the selector and, like the API server, leaves `apiVersion` and `kind` out of the items.
- Faults are DSL reactions at the highest priority. Requests they answer skip kmock's own bookkeeping, which
  stores creates, patches and deletes before any reaction answers: a 503 must not have half-happened.
- A tiny controller gives Deployments and StatefulSets a status, ready or not, as if pods came up (or did not).
- Pods and their `log` subresource (kmock routes no subresources): `kmock_pods.PodLogs`, mixed in here, stores
  Pods with containers, restart counts and statuses, and serves their logs as the kubelet does (timestamps, since,
  tail, byte limit, previous, a pod vanishing mid-read).
"""

import asyncio
import collections
import contextlib
import copy
import datetime
import itertools
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal

import aiohttp.test_utils
import aiohttp.web
import attrs
import kmock
from kmock._internal import apps, parsing  # private: the parsing fix, and kmock's dispatcher without its bookkeeping

from deployments.tests.kmock_pods import LOG_PATH, FakeContainer, PodLogs, rfc3339_nano, status_body

__all__ = ["FakeCluster", "FakeContainer", "rfc3339_nano", "selector_matches", "status_body"]

APPLY_PATCH = "application/apply-patch+yaml"
WORKLOAD_KINDS = ("Deployment", "StatefulSet")
SERVER_FIELDS = ("uid", "creationTimestamp", "resourceVersion", "generation")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
Workloads = Literal["ready", "unready", "pending"]

# --- kmock gap 1: Namespace objects ---------------------------------------------------------------------------

_NAMESPACES_PATH = re.compile(r"^/api/v1/namespaces(?:/(?P<name>[^/]+))?/?$")
_kmock_parse_path = parsing.parse_path


def _parse_path(path: str) -> parsing.ParsedPath:
    # Only the Namespace objects themselves; everything under /api/v1/namespaces/<ns>/<plural> parses fine.
    if match := _NAMESPACES_PATH.match(path):
        return parsing.ParsedPath(group="", version="v1", plural="namespaces", name=match["name"])
    return _kmock_parse_path(path)


parsing.parse_path = _parse_path  # rendering.Request._parse looks it up on the module at every request


# --- label selectors (kmock gap 3) ----------------------------------------------------------------------------

_TERMS = re.compile(r",(?![^()]*\))")  # commas outside "in (a,b)"
_SET_TERM = re.compile(r"^(?P<key>[^\s!=]+)\s+(?P<op>in|notin)\s+\((?P<values>[^)]*)\)$")
_EQUALITY_TERM = re.compile(r"^(?P<key>[^\s!=]+)\s*(?P<op>==|=|!=)\s*(?P<value>[^\s,]*)$")
_EXISTS_TERM = re.compile(r"^(?P<neg>!?)\s*(?P<key>[^\s!=(),]+)$")


def selector_matches(selector: str, labels: dict[str, str]) -> bool:
    """The API server's label selector grammar: a=b, a==b, a!=b, a in (b,c), a notin (b,c), a, !a."""
    for term in filter(None, (t.strip() for t in _TERMS.split(selector or ""))):
        if match := _SET_TERM.match(term):
            values = {v.strip() for v in match["values"].split(",")}
            found = match["key"] in labels and labels[match["key"]] in values
            if found != (match["op"] == "in"):
                return False
        elif match := _EQUALITY_TERM.match(term):
            equal = labels.get(match["key"]) == match["value"]
            if equal != (match["op"] != "!="):
                return False
        elif match := _EXISTS_TERM.match(term):
            if (match["key"] in labels) == bool(match["neg"]):
                return False
        else:
            raise ValueError(f"unable to parse requirement: {term!r}")
    return True


# --- faults ---------------------------------------------------------------------------------------------------


@attrs.define(eq=False)
class _Fault:
    remaining: int
    status: int
    headers: dict[str, str]
    message: str | None
    hang: float | None = None
    view: Any = None  # the kmock DSL view that selects the requests this fault answers
    reaction: Any = None


@attrs.define(kw_only=True)
class _Emulator(kmock.KubernetesEmulator):
    cluster: "FakeCluster"

    async def _handle(self, request: kmock.Request) -> Any:
        # kmock re-filters its whole request history for every reaction on every request (quadratic, and a
        # benchmark sends thousands); the harness keeps its own log, kmock only needs the current request.
        del self._requests[:-1]
        return await self.cluster._handle(request, super()._handle)


class _QuietServer(aiohttp.test_utils.RawTestServer):
    async def start_server(self, loop: Any = None, **kwargs: Any) -> None:
        await super().start_server(loop, access_log=None, **kwargs)  # a line per request drowns test output


class FakeCluster(PodLogs):
    """A Kubernetes API on 127.0.0.1 for tests: start() once, reset() between tests, stop() at the end."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.emulator: _Emulator | None = None
        self._thread: threading.Thread | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._server: kmock.Server | None = None
        self._faults: list[_Fault] = []
        self._hanging: set[asyncio.Task] = set()
        self._revisions = itertools.count(1)
        self._workloads: Workloads = "ready"
        self.requests: collections.Counter[str] = collections.Counter()  # by HTTP method
        self.request_log: list[tuple[str, str]] = []  # (method, path?query)
        self.request_times: list[float] = []  # time.time() at which each request of request_log arrived
        self.latency = 0.0  # seconds every request waits before it is served: a slow API server
        self.changes = 0  # stored objects created, changed or deleted through the API
        self._reset_pods()

    # --- lifecycle --------------------------------------------------------------------------------------------

    def start(self) -> "FakeCluster":
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-kubernetes", daemon=True)
        self._thread.start()
        self._run(self._astart())
        return self

    async def _astart(self) -> None:
        self._stack = contextlib.AsyncExitStack()
        self.emulator = await self._stack.enter_async_context(_Emulator(cluster=self))
        self._server = await self._stack.enter_async_context(
            kmock.Server(self.emulator, host="127.0.0.1", server_cls=_QuietServer)
        )
        # Default-priority reactions: above kmock's fallbacks, below the faults (override).
        self.emulator[kmock.method.PATCH][self._is_apply] << self._serve_apply
        self.emulator[kmock.action.LIST] << self._serve_list

    def stop(self) -> None:
        if self.loop is None:
            return
        self._run(self._astop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()
        self.loop = self._thread = None

    async def _astop(self) -> None:
        self._release_hangs()
        await self._stack.aclose()

    def reset(self) -> None:
        """Forget every object, fault and counter; workloads become ready again."""

        def reset() -> None:
            self.emulator.objects.clear()
            for fault in list(self._faults):
                self._drop(fault)
            self._release_hangs()
            for reaction in self.emulator._payloads:
                reaction._requests.clear()  # kmock keeps every request each reaction answered
            self.emulator.errors.clear()
            self.requests.clear()
            self.request_log.clear()
            self.request_times.clear()
            self.latency = 0.0
            self.changes = 0
            self._workloads = "ready"
            self._containers.clear()
            self._vanishing.clear()
            self.log_requests.clear()

        self._on_loop(reset)

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def kubeconfig(self) -> dict:
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake", "user": {"token": "fake-token"}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
            "current-context": "fake",
        }

    # --- faults -----------------------------------------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        headers: dict[str, str] | None = None,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next `n` matching requests with `status` and a Status body (with `message`), changing nothing."""
        self._on_loop(self._add_fault, _Fault(n, status, dict(headers or {}), message), method, path_contains)

    def hang_next(
        self, n: int = 1, seconds: float = 30.0, *, method: str | None = None, path_contains: str | None = None
    ) -> None:
        """Leave the next `n` matching requests unanswered for `seconds` (then 504), changing nothing."""
        self._on_loop(self._add_fault, _Fault(n, 504, {}, "request timed out", hang=seconds), method, path_contains)

    def _add_fault(self, fault: _Fault, method: str | None, path_contains: str | None) -> None:
        view = self.emulator.override[lambda: fault.remaining > 0]
        if method:
            view = view[kmock.method(method.upper())]
        if path_contains:
            view = view[re.compile(f".*{re.escape(path_contains)}.*")]
        fault.view = view
        fault.reaction = view << (lambda request: self._answer_fault(fault))
        self._faults.append(fault)

    async def _answer_fault(self, fault: _Fault) -> kmock.Response:
        fault.remaining -= 1
        if not fault.remaining:
            self._drop(fault)
        if fault.hang:
            task = asyncio.current_task()
            self._hanging.add(task)
            try:
                await asyncio.sleep(fault.hang)
            finally:
                self._hanging.discard(task)
        body = status_body(fault.status, fault.message)
        return kmock.Response(status=fault.status, headers=fault.headers, payload=body)

    def _drop(self, fault: _Fault) -> None:
        with contextlib.suppress(ValueError):
            self._faults.remove(fault)
        self.emulator._payloads[:] = [p for p in self.emulator._payloads if p is not fault.reaction]

    def _release_hangs(self) -> None:
        for task in self._hanging:
            task.cancel()  # the client gave up long ago; this frees the server for a clean shutdown
        self._hanging.clear()

    # --- what the cluster holds ------------------------------------------------------------------------------

    def objects(self, kind: str | None = None, namespace: str | None = None) -> list[dict]:
        def collect() -> list[dict]:
            return [
                copy.deepcopy(obj.raw)
                for (_, ns, _), obj in self.emulator.objects.items()
                if not obj.deleted
                and (kind is None or obj.get("kind") == kind)
                and (namespace is None or ns == namespace)
            ]

        return self._on_loop(collect)

    def put(self, obj: dict) -> None:
        """Store an object directly, as if someone else had created it (no request is counted)."""
        self._on_loop(self._store, _key_of(obj), copy.deepcopy(obj))

    @property
    def writes(self) -> int:
        return sum(self.requests[method] for method in WRITE_METHODS)

    @property
    def errors(self) -> list[Exception]:
        """Exceptions raised inside the emulator while serving (each became a 500): harness bugs, not faults."""
        return self._on_loop(lambda: [e for e in self.emulator.errors if not isinstance(e, kmock.KubernetesError)])

    # --- the workload "controller" --------------------------------------------------------------------------

    @property
    def workloads(self) -> Workloads:
        return self._workloads

    @workloads.setter
    def workloads(self, mode: Workloads) -> None:
        """What happens to Deployments and StatefulSets when applied: their pods all become "ready", stay
        "unready", or "pending": the controller has not even seen the new generation yet (status untouched)."""
        if mode not in ("ready", "unready", "pending"):
            raise ValueError(f"Unknown workloads mode: {mode!r}")
        self._workloads = mode

    def mark_workloads_ready(self, namespace: str | None = None) -> None:
        self._on_loop(self._set_workload_status, namespace, True)

    def mark_workloads_unready(self, namespace: str | None = None) -> None:
        self._on_loop(self._set_workload_status, namespace, False)

    def _set_workload_status(self, namespace: str | None, ready: bool) -> None:
        for (_, ns, _), obj in self.emulator.objects.items():
            if not obj.deleted and obj.get("kind") in WORKLOAD_KINDS and namespace in (None, ns):
                self._observe(obj, ready)

    def _observe(self, obj: kmock.Object, ready: bool) -> None:
        raw = obj.raw  # a shallow copy: kmock's item access would hand out copies of the nested dicts
        replicas = (raw.get("spec") or {}).get("replicas", 1)
        generation = raw["metadata"]["generation"]
        status = {"observedGeneration": generation, "replicas": replicas, "updatedReplicas": replicas}
        if ready:
            status |= {"readyReplicas": replicas, "availableReplicas": replicas}
            if raw["kind"] == "StatefulSet":
                status["currentReplicas"] = replicas
        elif replicas:
            status["unavailableReplicas"] = replicas
        if raw["kind"] == "Deployment":
            status["conditions"] = [{"type": "Available", "status": "True" if ready or not replicas else "False"}]
        raw["status"] = status
        raw["metadata"] = {**raw["metadata"], "resourceVersion": self._next_revision()}
        obj.history[-1] = raw

    # --- serving (on the loop) ------------------------------------------------------------------------------

    async def _handle(self, request: kmock.Request, emulate: Callable) -> Any:
        method = request.method.value
        self.requests[method] += 1
        self.request_log.append((method, request.url.path_qs))
        self.request_times.append(time.time())
        if self.latency:
            await asyncio.sleep(self.latency)
        if self._is_apply(request) or any(request in fault.view for fault in self._faults):
            # Straight to the DSL reactions, skipping kmock's bookkeeping (it would store before they answer).
            return await apps.RawHandler._handle(self.emulator, request)
        if request.method == kmock.method.GET and (match := LOG_PATH.match(request.url.path)):
            return await self._serve_log(request, match["namespace"], match["pod"])
        response = await emulate(request)
        if not 200 <= response.status < 300 or request.resource is None:
            return response
        if request.action in (kmock.action.CREATE, kmock.action.UPDATE):  # kmock's own POST and merge PATCH
            self.changes += 1
            meta = request.data.get("metadata") or {}
            key = (request.resource, request.namespace or meta.get("namespace"), request.name or meta.get("name"))
            self._stamp(self.emulator.objects[key].raw["metadata"])
        elif request.action == kmock.action.DELETE:
            self.changes += 1
            if request.resource.plural == "namespaces":  # the namespace controller, done at once
                for (_, namespace, _), obj in self.emulator.objects.items():
                    if namespace == request.name and not obj.deleted:
                        obj.delete()
        return response

    @staticmethod
    def _is_apply(request: kmock.Request) -> bool:
        content_type = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
        return request.method == kmock.method.PATCH and content_type.startswith(APPLY_PATCH)

    def _serve_apply(self, request: kmock.Request) -> Any:
        body = request.data
        if not isinstance(body, dict) or (body.get("metadata") or {}).get("name") != request.name:
            return _error(400, "the name of the object does not match the name on the URL", "BadRequest")
        if not request.params.get("fieldManager"):
            return _error(422, "PATCH: fieldManager is required for apply requests", "Invalid")
        key = (request.resource, request.namespace, request.name)
        try:
            old = copy.deepcopy(self.emulator.objects[key].raw)
        except (KeyError, ValueError):  # never stored, or soft-deleted by kmock (which then has no raw form)
            old = None
        new = copy.deepcopy(body)
        new.pop("status", None)  # applying the main resource never sets status
        if request.namespace:
            new["metadata"]["namespace"] = request.namespace
        if old is not None:
            # One field manager owns everything it applies: the applied object replaces what it applied before.
            new["metadata"] |= {f: old["metadata"][f] for f in SERVER_FIELDS if f in old["metadata"]}
            if "status" in old:
                new["status"] = old["status"]
            if new == old:
                return old  # a no-op apply changes nothing, not even the resourceVersion
            if _without(new, "metadata", "status") != _without(old, "metadata", "status"):
                new["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
        self.changes += 1
        return self._store(key, new)

    def _store(self, key: tuple, obj: dict) -> dict:
        self._stamp(obj["metadata"])
        self.emulator.objects[key] = obj
        answer = copy.deepcopy(obj)  # what the API server answers, before its controllers react
        if obj.get("kind") in WORKLOAD_KINDS and self._workloads != "pending":
            self._observe(self.emulator.objects[key], self._workloads == "ready")
        return answer

    def _stamp(self, meta: dict) -> None:
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        meta.setdefault("generation", 1)
        meta["resourceVersion"] = self._next_revision()

    def _next_revision(self) -> str:
        return str(next(self._revisions))

    def _serve_list(self, request: kmock.Request) -> Any:
        selector = request.params.get("labelSelector", "")
        items = []
        for (resource, namespace, _), obj in self.emulator.objects.items():
            if resource != request.resource or obj.deleted or request.namespace not in (None, namespace):
                continue
            raw = obj.raw
            try:
                if not selector_matches(selector, raw.get("metadata", {}).get("labels") or {}):
                    continue
            except ValueError as exc:
                return _error(400, str(exc), "BadRequest")
            items.append(_without(raw, "apiVersion", "kind"))  # as the API server lists them
        metadata = {"resourceVersion": self._next_revision()}
        return {"kind": "List", "apiVersion": "v1", "metadata": metadata, "items": items}

    # --- threading --------------------------------------------------------------------------------------------

    def _run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def _on_loop(self, fn: Callable, *args: Any) -> Any:
        async def call() -> Any:
            return fn(*args)

        return self._run(call())


def _error(code: int, message: str, reason: str) -> kmock.Response:
    return kmock.Response(status=code, payload=status_body(code, message, reason))


def _without(obj: dict, *keys: str) -> dict:
    return {k: v for k, v in obj.items() if k not in keys}


def _key_of(obj: dict) -> tuple:
    from deployments.kube.gateway import resource_for

    resource = resource_for(obj["apiVersion"], obj["kind"])
    group, _, version = obj["apiVersion"].rpartition("/")
    namespace = obj["metadata"].get("namespace") if resource.namespaced else None
    return kmock.resource(group, version, resource.plural), namespace, obj["metadata"]["name"]
