"""A real Prometheus for tests: Debian's `prometheus` on a free port with a generated configuration, scraping test
exporters whose values the test sets, stopped by process id. History older than the first scrape comes from blocks
that `promtool tsdb create-blocks-from openmetrics` writes into the data directory before Prometheus starts.

    exporter = Exporter().start()
    exporter.set("airflow_executor_running_tasks", 3, namespace="aerodrome-a", pod="a-statsd-1", executor="")
    server = PrometheusServer(tmp_path, [exporter], history=[Sample(...), ...]).start()
    server.wait_for_series('airflow_executor_running_tasks{namespace="aerodrome-a"}')
    ... server.url ...
    server.stop(); exporter.stop()

Exporters serve the labels a real scrape would end with (`namespace` and `pod` included: the Prometheus operator adds
them from the PodMonitor, cAdvisor and kube-state-metrics carry them), and the scrape keeps them (`honor_labels`).
"""

import json
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from aerodrome.tests.http_stub import Answer, Seen, StubServer
from deployments.tests.processes import free_port, stop_process, wait_for

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
SCRAPE_INTERVAL = 1  # seconds (the default: a test sees what it sets within about two seconds)


def _labels_text(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    escaped = (
        f'{key}="{str(value).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34)).replace(chr(10), "")}"'
        for key, value in sorted(labels.items())
    )
    return "{" + ",".join(escaped) + "}"


@dataclass(frozen=True)
class Sample:
    """One historical value for the backfill: `name{labels} value` at `timestamp` (Unix seconds)."""

    name: str
    labels: dict
    value: float
    timestamp: float
    kind: str = "gauge"  # OpenMetrics type: "gauge" or "counter" (a counter's name must then end in _total)


class Exporter:
    """An HTTP /metrics endpoint (Prometheus text format 0.0.4) serving exactly the series the test sets."""

    def __init__(self):
        self._series: dict[tuple[str, tuple], float] = {}
        self._growing: dict[tuple[str, tuple], tuple[float, float, float]] = {}
        self._types: dict[str, str] = {}
        self._lock = threading.Lock()
        self._server = StubServer(self._scrape)
        self._serving = False
        self.scrapes = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._server.port}"

    def set(self, name: str, value: float, *, kind: str = "gauge", **labels: str) -> None:
        with self._lock:
            self._types[name] = kind
            self._series[(name, tuple(sorted(labels.items())))] = float(value)

    def grow(self, name: str, per_second: float, *, since: float, start: float = 0.0, **labels: str) -> None:
        """A counter worth `start + per_second * (now - since)` at each scrape (continuing a backfilled history)."""
        with self._lock:
            self._types[name] = "counter" if name.endswith("_total") else "untyped"
            self._growing[(name, tuple(sorted(labels.items())))] = (per_second, since, start)

    def remove(self, name: str, **labels: str) -> None:
        with self._lock:
            self._series.pop((name, tuple(sorted(labels.items()))), None)
            self._growing.pop((name, tuple(sorted(labels.items()))), None)

    def clear(self) -> None:
        with self._lock:
            self._series.clear()
            self._growing.clear()

    def text(self) -> str:
        now = time.time()
        with self._lock:
            lines, typed = [], set()
            values = dict(self._series)
            values.update({key: start + rate * (now - since) for key, (rate, since, start) in self._growing.items()})
            for (name, labels), value in sorted(values.items()):
                if name not in typed:
                    lines.append(f"# TYPE {name} {self._types.get(name, 'gauge')}")
                    typed.add(name)
                lines.append(f"{name}{_labels_text(dict(labels))} {value!r}")
            return "\n".join(lines) + "\n"

    def _scrape(self, seen: Seen) -> Answer:
        body = self.text().encode()
        self.scrapes += 1
        return Answer(200, body, {"Content-Type": "text/plain; version=0.0.4"})

    def start(self) -> "Exporter":
        self._server.__enter__()
        self._serving = True
        return self

    def stop(self) -> None:
        if self._serving:
            self._serving = False
            self._server.__exit__()


def openmetrics(samples: list[Sample]) -> str:
    """The samples as an OpenMetrics exposition with timestamps, families grouped, times ascending (what promtool
    wants)."""
    families: dict[str, list[Sample]] = {}
    for sample in samples:
        family = sample.name.removesuffix("_total") if sample.kind == "counter" else sample.name
        families.setdefault(family, []).append(sample)
    lines = []
    for family, members in families.items():
        lines.append(f"# TYPE {family} {members[0].kind}")
        for sample in sorted(members, key=lambda s: (tuple(sorted(s.labels.items())), s.timestamp)):
            lines.append(f"{sample.name}{_labels_text(sample.labels)} {sample.value!r} {sample.timestamp:.3f}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


class Daemon:
    """What Prometheus and Alertmanager share here: a process in a session of its own on `port`, logging to
    `directory`, ready once `/-/ready` answers, stopped by its process id."""

    name = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.directory / f"{self.name.lower()}.log"

    def _run(self, command: list[str]) -> None:
        with open(self.log, "a") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for(self._ready, timeout=30, message=f"{self.name} on port {self.port} (log: {self.log})")
        except AssertionError:
            self.stop()
            raise

    def _ready(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_process(process, timeout=5)


@dataclass
class PrometheusServer(Daemon):
    """Prometheus on 127.0.0.1:<free port>, its data and configuration under `directory`."""

    name = "Prometheus"

    directory: Path
    exporters: list[Exporter] = field(default_factory=list)
    history: list[Sample] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    scrape_interval: int = SCRAPE_INTERVAL
    process: subprocess.Popen | None = None

    def start(self) -> "PrometheusServer":
        self.directory.mkdir(parents=True, exist_ok=True)
        data = self.directory / "data"
        data.mkdir(exist_ok=True)
        if self.history:
            self.backfill(self.history, data)
        config = self.directory / "prometheus.yml"
        config.write_text(yaml.safe_dump(self.configuration(), sort_keys=False))
        command = [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=30d",
            "--web.enable-lifecycle",
            "--log.level=warn",
        ]
        self._run(command)
        return self

    def configuration(self) -> dict:
        return {
            "global": {
                "scrape_interval": f"{self.scrape_interval}s",
                "evaluation_interval": f"{self.scrape_interval}s",
            },
            "scrape_configs": [
                {
                    "job_name": "exporters",
                    "honor_labels": True,
                    "static_configs": [{"targets": [exporter.address for exporter in self.exporters]}],
                }
            ]
            if self.exporters
            else [],
        }

    @staticmethod
    def backfill(samples: list[Sample], data: Path) -> None:
        source = data.parent / "history.om"
        source.write_text(openmetrics(samples))
        result = subprocess.run(
            [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise AssertionError(f"promtool could not backfill: {result.stdout}{result.stderr}")

    def query(self, promql: str) -> list[dict]:
        """An instant query's result vector (for the tests' own checks)."""
        address = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
        with urllib.request.urlopen(address, timeout=5) as response:
            return json.load(response)["data"]["result"]

    def wait_for_series(self, promql: str, timeout: float = 20) -> list[dict]:
        """Waits until an instant query returns something (a scrape has happened)."""
        return wait_for(lambda: self.query(promql), timeout=timeout, message=f"Prometheus to have {promql}")

    def wait_for_scrape(self, exporter: Exporter, timeout: float = 20, scrapes: int = 2) -> None:
        """Waits until Prometheus has scraped `exporter` `scrapes` more times (two by default: one that began after
        the test's last change, so what the test set is stored), and stored the last one."""
        seen = exporter.scrapes
        wait_for(lambda: exporter.scrapes >= seen + scrapes, timeout=timeout, message="another scrape")
        time.sleep(0.2)  # the scrape's samples are appended once the response is read
