"""A real Alertmanager for tests: Debian's `prometheus-alertmanager` on a free port with a generated configuration
whose receivers are Aerodrome's webhook (on the live test server), each with a cluster's bearer token, stopped by
process id. And a Prometheus that loads rule groups exactly as a rendered PrometheusRule carries them (what the
prometheus-operator does) and sends its alerts to that Alertmanager.

    receivers = [Receiver("acme", url, token, {"aerodrome_deployment": "7"})]
    manager = AlertmanagerServer(tmp_path / "am", receivers)
    manager.start()
    prometheus = RulePrometheus(tmp_path / "prom", [exporter], rule_groups=groups, alertmanager=manager).start()
    ...
    prometheus.stop(); manager.stop()

Grouping and repeats are short (1 s waits, a long repeat interval) so a test sees a notification within seconds,
and exactly one per change.
"""

import json
import shutil
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from deployments.tests.processes import free_port
from monitoring.tests.engines.prometheus import Daemon, PrometheusServer

ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"


@dataclass(frozen=True)
class Receiver:
    """A webhook receiver (Aerodrome's, with one cluster's token) and the labels of the alerts routed to it."""

    name: str
    url: str
    token: str
    matchers: dict = field(default_factory=dict)  # label equalities routing to it; empty: the default route


@dataclass
class AlertmanagerServer(Daemon):
    name = "Alertmanager"

    directory: Path
    receivers: list[Receiver]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def configuration(self) -> dict:
        default = next((r for r in self.receivers if not r.matchers), self.receivers[0])
        group = {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"}
        return {
            "route": {
                "receiver": default.name,
                "group_by": ["alertname", "aerodrome_deployment", "aerodrome_rule"],
                **group,
                "routes": [
                    {
                        "receiver": r.name,
                        "matchers": [f'{key}="{value}"' for key, value in r.matchers.items()],
                        **group,
                    }
                    for r in self.receivers
                    if r.matchers
                ],
            },
            "receivers": [
                {
                    "name": r.name,
                    "webhook_configs": [
                        {
                            "url": r.url,
                            "send_resolved": True,
                            "http_config": {"authorization": {"type": "Bearer", "credentials": r.token}},
                        }
                    ],
                }
                for r in self.receivers
            ],
        }

    def start(self) -> "AlertmanagerServer":
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "alertmanager.yml"
        config.write_text(yaml.safe_dump(self.configuration(), sort_keys=False))
        check = subprocess.run(["amtool", "check-config", str(config)], capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise AssertionError(f"amtool refused the configuration: {check.stdout}{check.stderr}")
        command = [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={self.directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",  # no gossip: one instance
            "--log.level=warn",
        ]
        self._run(command)
        return self

    def alerts(self) -> list[dict]:
        """What Alertmanager holds now (API v2), with each alert's `status.state` (active, suppressed)."""
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts", timeout=5) as response:
            return json.load(response)

    def silences(self) -> list[dict]:
        with urllib.request.urlopen(f"{self.url}/api/v2/silences", timeout=5) as response:
            return json.load(response)


@dataclass
class RulePrometheus(PrometheusServer):
    """The real-Prometheus fixture, also evaluating rule groups (as a PrometheusRule's `spec.groups` carries them)
    and sending to an Alertmanager."""

    rule_groups: list[dict] = field(default_factory=list)
    alertmanager: AlertmanagerServer | None = None

    def configuration(self) -> dict:
        config = super().configuration()
        rules = self.directory / "rules.yml"
        rules.write_text(yaml.safe_dump({"groups": self.rule_groups}, sort_keys=False))
        config["rule_files"] = [str(rules)]
        if self.alertmanager:
            config["alerting"] = {
                "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{self.alertmanager.port}"]}]}]
            }
        return config

    def alerts(self) -> list[dict]:
        with urllib.request.urlopen(f"{self.url}/api/v1/alerts", timeout=5) as response:
            return json.load(response)["data"]["alerts"]
