"""The one door to a Kubernetes cluster, and the only module that imports `kubernetes`.

A small synchronous wrapper over the official client: server-side apply, get, list, delete, version, and pods with
their container logs (always bounded: `LogOptions`). It talks to
a fixed table of kinds (no discovery round-trips), retries what is worth retrying (5xx, 429, timeouts, refused
connections) with exponential backoff, and turns every failure into a `GatewayError` whose `reason` a user can
read: `TransientError` when the cluster stayed unavailable, `PermanentError` when it rejected the request.

A `guarded` gateway (an organisation's cluster) connects only where `aerodrome.outbound` allows, to the addresses
it checked. A reason never quotes what the server sent, except the `message` of a Kubernetes Status: whatever a
kubeconfig points at, its answers do not reach pages, statuses or events.
"""

import collections
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import kubernetes
import urllib3
from kubernetes.client.exceptions import ApiException

from aerodrome import outbound

FIELD_MANAGER = "aerodrome"
APPLY_PATCH = "application/apply-patch+yaml"
LIST_PAGE_SIZE = 500
GIT_VERSION = re.compile(r"^v?[0-9]+\.[0-9]+[0-9A-Za-z.+-]{0,40}$")  # v1.31.2, v1.30.4-eks-a737599, v1.29.3+k3s1


class GatewayError(Exception):
    """A failed request; `reason` is one readable line, `status` the HTTP status when there was an answer."""

    def __init__(self, reason: str, *, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class TransientError(GatewayError):
    """The cluster stayed unavailable (5xx, 429, timeouts, refused connections) through all our retries."""


class PermanentError(GatewayError):
    """The cluster rejected the request (400, 403, 422...): retrying the same request cannot help."""


class PodGone(PermanentError):
    """The pod asked for no longer exists (deleted or replaced since it was listed): 404."""


class ContainerWaiting(PermanentError):
    """The container has not started yet ("is waiting to start: ContainerCreating"), so it has no log yet."""


class NoPreviousInstance(PermanentError):
    """`previous` was asked of a container that never restarted: there is no terminated instance to read."""


@dataclass(frozen=True)
class LogOptions:
    """What the pod log API takes, always bounded: `limit_bytes` is required; `since_seconds` and `since_time` (an
    RFC 3339 moment, second precision on the server) exclude each other; `timestamps` prefixes every line with its
    RFC 3339 (nanosecond) time and a space."""

    limit_bytes: int
    since_seconds: int | None = None
    since_time: str | None = None
    tail_lines: int | None = None
    timestamps: bool = True
    previous: bool = False

    def query(self, container: str) -> list[tuple[str, str]]:
        if self.limit_bytes <= 0:
            raise ValueError("limit_bytes must be positive: a log read is never unbounded")
        if self.since_seconds is not None and self.since_time is not None:
            raise ValueError("Give since_seconds or since_time, not both")
        query = [("container", container), ("limitBytes", str(self.limit_bytes))]
        if self.timestamps:
            query.append(("timestamps", "true"))
        if self.previous:
            query.append(("previous", "true"))
        if self.since_seconds is not None:
            query.append(("sinceSeconds", str(max(int(self.since_seconds), 1))))
        if self.since_time is not None:
            query.append(("sinceTime", self.since_time))
        if self.tail_lines is not None:
            query.append(("tailLines", str(max(int(self.tail_lines), 0))))
        return query


@dataclass(frozen=True)
class Resource:
    api_version: str
    plural: str
    namespaced: bool

    @property
    def prefix(self) -> str:
        return f"api/{self.api_version}" if "/" not in self.api_version else f"apis/{self.api_version}"


# Everything we render, at the API versions we render it. A static table keeps every call a single request.
KINDS: dict[str, Resource] = {
    "Namespace": Resource("v1", "namespaces", False),
    "ResourceQuota": Resource("v1", "resourcequotas", True),
    "LimitRange": Resource("v1", "limitranges", True),
    "ServiceAccount": Resource("v1", "serviceaccounts", True),
    "Secret": Resource("v1", "secrets", True),
    "ConfigMap": Resource("v1", "configmaps", True),
    "Service": Resource("v1", "services", True),
    "Pod": Resource("v1", "pods", True),
    "NetworkPolicy": Resource("networking.k8s.io/v1", "networkpolicies", True),
    "Ingress": Resource("networking.k8s.io/v1", "ingresses", True),
    "Role": Resource("rbac.authorization.k8s.io/v1", "roles", True),
    "RoleBinding": Resource("rbac.authorization.k8s.io/v1", "rolebindings", True),
    "Deployment": Resource("apps/v1", "deployments", True),
    "StatefulSet": Resource("apps/v1", "statefulsets", True),
    "PodDisruptionBudget": Resource("policy/v1", "poddisruptionbudgets", True),
    "HorizontalPodAutoscaler": Resource("autoscaling/v2", "horizontalpodautoscalers", True),
    "PodMonitor": Resource("monitoring.coreos.com/v1", "podmonitors", True),
    "PrometheusRule": Resource("monitoring.coreos.com/v1", "prometheusrules", True),
}


def resource_for(api_version: str, kind: str) -> Resource:
    resource = KINDS.get(kind)
    if resource is None or resource.api_version != api_version:
        raise ValueError(f"Unsupported kind: {api_version} {kind}")
    return resource


@dataclass(frozen=True)
class ObjectRef:
    api_version: str
    kind: str
    namespace: str | None
    name: str

    @classmethod
    def of(cls, obj: dict) -> "ObjectRef":
        meta = obj.get("metadata") or {}
        namespaced = KINDS[obj["kind"]].namespaced if obj.get("kind") in KINDS else True
        return cls(obj["apiVersion"], obj["kind"], meta.get("namespace") if namespaced else None, meta["name"])

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


class Gateway:
    def __init__(
        self,
        *,
        kubeconfig: dict | None = None,
        in_cluster: bool = False,
        guarded: bool = False,
        request_timeout: float = 10.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
    ):
        # A fresh Configuration per gateway: the client's global default would leak one cluster into another.
        config = kubernetes.client.Configuration()
        if kubeconfig is not None:
            kubernetes.config.load_kube_config_from_dict(kubeconfig, client_configuration=config, persist_config=False)
        elif in_cluster:
            kubernetes.config.load_incluster_config(client_configuration=config)
        else:
            raise ValueError("Give a kubeconfig or in_cluster=True")
        config.retries = False  # urllib3 would otherwise retry connection errors silently, uncounted; we retry
        self._api = kubernetes.client.ApiClient(config)
        self._api.user_agent = "aerodrome"
        if guarded:
            outbound.pin(self._api.rest_client.pool_manager)
        # The client reads a bare float as "no timeout" (it only understands ints and tuples): (connect, read).
        self._timeout = (request_timeout, request_timeout)
        self.request_timeout = request_timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.requests: collections.Counter[str] = collections.Counter()

    def version(self) -> str:
        answer = self._request("GET", "/version")
        version = answer.get("gitVersion") if isinstance(answer, dict) else None
        if not isinstance(version, str) or not GIT_VERSION.match(version):
            raise PermanentError("The server answered, but not like a Kubernetes API server (no version).")
        return version

    def apply(self, obj: dict) -> dict:
        """Server-side apply under our field manager, taking over fields from other managers (force)."""
        ref = ObjectRef.of(obj)
        query = [("fieldManager", FIELD_MANAGER), ("force", "true")]
        return self._request("PATCH", self._path(ref), query=query, body=obj, content_type=APPLY_PATCH)

    def get(self, ref: ObjectRef) -> dict | None:
        return self._request("GET", self._path(ref), missing_ok=True)

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        label_selector: str,
        *,
        retries: int | None = None,
        missing_ok: bool = False,
    ) -> list[dict]:
        """Every object of a kind matching the selector; `missing_ok`: none when the server does not know the kind
        (a custom resource whose CRD is not installed answers 404)."""
        resource = resource_for(api_version, kind)
        path = self._collection_path(resource, namespace)
        items: list[dict] = []
        query = [("labelSelector", label_selector), ("limit", str(LIST_PAGE_SIZE))]
        while True:
            page = self._request("GET", path, query=query, retries=retries, missing_ok=missing_ok)
            if page is None:
                return items
            # The API server leaves apiVersion and kind out of list items; callers want whole objects.
            items += [{"apiVersion": api_version, "kind": kind, **item} for item in page.get("items") or []]
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items
            query = [*query[:2], ("continue", token)]

    def pods(self, namespace: str, label_selector: str, *, retries: int | None = None) -> "list[dict]":
        """The pods of a namespace matching the selector (the Pod objects, status included)."""
        return self.list("v1", "Pod", namespace, label_selector, retries=retries)

    def pod_log(
        self, namespace: str, pod: str, container: str, options: LogOptions, *, retries: int | None = None
    ) -> str:
        """One container's log (text, decoded as UTF-8 with replacement), read within `options`' bounds.

        PodGone when the pod is gone (404), ContainerWaiting when the container has not started yet,
        NoPreviousInstance when `previous` is asked of a container that never restarted; TransientError when the
        cluster stays unavailable."""
        path = f"{self._collection_path(KINDS['Pod'], namespace)}/{quote(pod, safe='')}/log"
        try:
            data = self._request(
                "GET", path, query=options.query(container), accept="text/plain", raw=True, retries=retries
            )
        except PermanentError as error:
            raise _log_error(error, pod) from None
        return data.decode("utf-8", errors="replace")

    def delete(self, ref: ObjectRef) -> bool:
        """Delete in the background (dependents are collected by the cluster); False when it was already gone."""
        query = [("propagationPolicy", "Background")]
        return self._request("DELETE", self._path(ref), query=query, missing_ok=True) is not None

    def close(self) -> None:
        self._api.close()
        self._api.rest_client.pool_manager.clear()

    # --- plumbing -------------------------------------------------------------------------------------------

    def _path(self, ref: ObjectRef) -> str:
        resource = resource_for(ref.api_version, ref.kind)
        if resource.namespaced and not ref.namespace:
            raise ValueError(f"{ref} needs a namespace")
        return f"{self._collection_path(resource, ref.namespace)}/{quote(ref.name, safe='')}"

    @staticmethod
    def _collection_path(resource: Resource, namespace: str | None) -> str:
        if resource.namespaced and namespace:
            return f"/{resource.prefix}/namespaces/{quote(namespace, safe='')}/{resource.plural}"
        return f"/{resource.prefix}/{resource.plural}"

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: dict | None = None,
        content_type: str = "application/json",
        accept: str = "application/json",
        missing_ok: bool = False,
        raw: bool = False,
        retries: int | None = None,
    ) -> Any:
        """One logical request, retried (`retries` times, the gateway's own number unless given); returns the
        decoded JSON body (the bytes when `raw`), or None for a 404 when `missing_ok`."""
        retries = self.retries if retries is None else retries
        attempts = failures = 0
        conflict_retried = False
        while True:
            attempts += 1
            self.requests[method] += 1
            try:
                response = self._api.call_api(
                    path,
                    method,
                    query_params=list(query),
                    header_params={"Accept": accept, "Content-Type": content_type},
                    body=body,
                    auth_settings=["BearerToken"],
                    _return_http_data_only=True,
                    _preload_content=False,  # we decode ourselves, so errors stay ours
                    _request_timeout=self._timeout,
                )
                data = response.data
                response.release_conn()
                return data if raw else _decode(data)
            except ApiException as exc:
                if exc.status == 404 and missing_ok:
                    return None
                if exc.status == 409 and method == "PATCH" and not conflict_retried:
                    # A conflicting concurrent write (e.g. two creates racing); applying again settles it.
                    conflict_retried = True
                    delay = self.backoff
                elif exc.status == 429 or (exc.status or 0) >= 500:
                    failure = f"{exc.status} {_phrase(exc.status)}"
                    delay = _retry_after(exc.headers) or self.backoff * 2**failures
                    failures += 1
                else:
                    raise PermanentError(_rejection(exc), status=exc.status or None) from exc
            except outbound.Refused as refused:
                raise PermanentError(f"Refused: {refused.reason}") from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                failure = self._describe(exc)
                delay = self.backoff * 2**failures
                failures += 1
            if failures > retries:
                tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
                raise TransientError(f"Kubernetes API unavailable after {tries}: {failure}")
            time.sleep(min(delay, self.max_backoff))

    def _describe(self, exc: Exception) -> str:
        # NewConnectionError is a ConnectTimeoutError in urllib3's hierarchy: test for it first.
        if isinstance(exc, urllib3.exceptions.NewConnectionError):
            return f"cannot connect to {self._api.configuration.host}"
        if isinstance(exc, urllib3.exceptions.TimeoutError):
            return f"no answer within {self.request_timeout:g}s"
        if isinstance(exc, urllib3.exceptions.ProtocolError):
            return "the connection was closed before an answer"
        return f"{type(exc).__name__}: {exc}"


def _log_error(error: PermanentError, pod: str) -> PermanentError:
    """The typed error for a refused log read: the pod gone, the container not started, no previous instance."""
    if error.status == 404:
        return PodGone(f"Pod {pod} is gone (deleted or replaced).", status=404)
    if error.status == 400 and "waiting to start" in error.reason:
        return ContainerWaiting(error.reason, status=400)
    if error.status == 400 and "previous terminated container" in error.reason:
        return NoPreviousInstance(error.reason, status=400)
    return error


def _decode(data: bytes) -> Any:
    try:
        return json.loads(data) if data else {}
    except ValueError:
        raise PermanentError("The API server answered with something other than JSON.") from None


def _phrase(status: int) -> str:
    """The standard phrase of a status code: the one in the answer's status line is the server's own text."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown Status"


def _retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header (the API server sends seconds, never an HTTP date)."""
    try:
        return max(float((headers or {}).get("Retry-After")), 0.0)
    except (TypeError, ValueError):
        return None


def _rejection(exc: ApiException) -> str:
    """The message of the Status the API server sent, e.g. 'Secret "x" is invalid: data[a b]: Invalid value...'.
    Any other answer is only named by its status code: it may come from something that is not Kubernetes."""
    if exc.status == 0:  # the client could not even send it (TLS trouble, bad arguments)
        return f"Cannot reach the Kubernetes API: {str(exc.reason).strip()}"
    try:
        status = json.loads(exc.body or b"")
    except ValueError:
        status = None
    is_status = isinstance(status, dict) and status.get("kind") == "Status" and status.get("apiVersion") == "v1"
    message = status.get("message") if is_status else None
    if isinstance(message, str) and message.strip():
        return message.strip()
    return f"The API server answered HTTP {exc.status} {_phrase(exc.status)}."
