"""The one module that calls a cluster's Prometheus over HTTP (its query API, read only).

An organisation's cluster is called only where the outbound policy allows (aerodrome/outbound.py), like its API
server; a platform cluster, configured by staff, is not restricted. Every call has a short timeout
(PROMETHEUS_TIMEOUT_MS) so that a Prometheus that is down costs a page that long at most, and every failure is a
PrometheusError whose message people may read. Nothing here builds PromQL: the catalogue does.
"""

import contextlib
import contextvars
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import requests
from django.conf import settings

from aerodrome import outbound

_recording: contextvars.ContextVar[list | None] = contextvars.ContextVar("prometheus_calls", default=None)


class PrometheusError(Exception):
    """A query failed; `message` is one sentence to show people."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotConfigured(PrometheusError):
    """The Deployment's cluster has no Prometheus URL (or the Deployment no cluster)."""


@dataclass(frozen=True)
class Series:
    labels: dict
    points: list[tuple[float, float]] = field(default_factory=list)  # (Unix seconds, value)


@dataclass(frozen=True)
class Call:
    kind: str  # "query" or "query_range"
    promql: str
    seconds: float
    ok: bool


@contextlib.contextmanager
def recording() -> Iterator[list[Call]]:
    """Collects every call made inside the block, in this thread (bench/metrics.py counts them)."""
    calls: list[Call] = []
    token = _recording.set(calls)
    try:
        yield calls
    finally:
        _recording.reset(token)


class Client:
    def __init__(self, url: str, *, guarded: bool, timeout: float | None = None):
        self.url = url.rstrip("/")
        self.timeout = timeout if timeout is not None else settings.PROMETHEUS_TIMEOUT_MS / 1000
        if guarded:
            self._session = outbound.session(timeout=self.timeout)
        else:
            self._session = requests.Session()
            self._session.trust_env = False

    @classmethod
    def for_cluster(cls, cluster) -> "Client":
        if cluster is None or not cluster.prometheus_url:
            raise NotConfigured("This Deployment's cluster has no Prometheus, so there are no metrics to show.")
        return cls(cluster.prometheus_url, guarded=not cluster.is_platform)

    def query(self, promql: str, *, at: float | None = None) -> list[tuple[dict, float]]:
        """An instant query: (labels, value) for each element of the result vector."""
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self._get("query", promql, params)
        return [(item["metric"], _number(item["value"][1])) for item in data if "value" in item]

    def query_range(self, promql: str, *, start: float, end: float, step: int) -> list[Series]:
        params = {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": str(step)}
        data = self._get("query_range", promql, params)
        return [
            Series(labels=item["metric"], points=[(float(t), _number(v)) for t, v in item.get("values") or []])
            for item in data
        ]

    def close(self) -> None:
        self._session.close()

    def _get(self, endpoint: str, promql: str, params: dict) -> list:
        started = time.perf_counter()
        ok = False
        try:
            result = self._fetch(endpoint, params)
            ok = True
            return result
        finally:
            calls = _recording.get()
            if calls is not None:
                calls.append(Call(endpoint, promql, time.perf_counter() - started, ok))

    def _fetch(self, endpoint: str, params: dict) -> list:
        try:
            response = self._session.get(f"{self.url}/api/v1/{endpoint}", params=params, timeout=self.timeout)
        except outbound.RefusedRequest as refused:
            raise PrometheusError(f"Aerodrome does not call this cluster's Prometheus: {refused}") from None
        except requests.Timeout:
            raise PrometheusError(
                f"The cluster's Prometheus did not answer within {self.timeout:g} s; try again shortly."
            ) from None
        except requests.RequestException:
            raise PrometheusError("The cluster's Prometheus cannot be reached right now.") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "status" not in body:
            raise PrometheusError(f"The cluster's Prometheus URL answered HTTP {response.status_code}, not Prometheus.")
        if body["status"] != "success":
            raise PrometheusError(
                f"The cluster's Prometheus refused a query: {body.get('error') or 'no reason given'}."
            )
        return (body.get("data") or {}).get("result") or []


def _number(text) -> float:
    return float(text)  # Prometheus writes NaN and +Inf as such; float() reads both
