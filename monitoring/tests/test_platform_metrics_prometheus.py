"""A real Prometheus (Debian's, monitoring/tests/engines/prometheus.py) scrapes Aerodrome's /metrics from the live
server with the bearer token, as an operator would configure it, and can query what the platform reports."""

import urllib.request

import pytest

from deployments import tasks
from deployments.tests.factories import make_deployment
from monitoring.tests.engines.prometheus import PrometheusServer

TOKEN = "metrics-token-0123456789-abcdefgh"


class ScrapingAerodrome(PrometheusServer):
    """Prometheus whose one job is Aerodrome's /metrics at `target` (host:port), with a bearer token."""

    target: str = ""
    token: str = ""

    def configuration(self) -> dict:
        return {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [
                {
                    "job_name": "aerodrome",
                    "metrics_path": "/metrics",
                    "authorization": {"type": "Bearer", "credentials": self.token},
                    "static_configs": [{"targets": [self.target]}],
                }
            ],
        }


def scraper(directory, live_server, token: str) -> ScrapingAerodrome:
    server = ScrapingAerodrome(directory)
    server.target = live_server.url.removeprefix("http://").replace("localhost", "127.0.0.1")
    server.token = token
    return server.start()


@pytest.mark.django_db(transaction=True)
def test_a_real_prometheus_scrapes_the_platform_with_the_token_and_one_without_is_refused(
    live_server, tenancy, settings, tmp_path
):
    settings.PLATFORM_METRICS_TOKEN = TOKEN
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    tasks.reconcile(deployment.pk)
    urllib.request.urlopen(f"{live_server.url}/accounts/login/", timeout=10).read()

    server = scraper(tmp_path / "with-token", live_server, TOKEN)
    stranger = scraper(tmp_path / "without", live_server, "not-the-token-not-the-token-xx")
    try:
        up = server.wait_for_series('up{job="aerodrome"} == 1')
        assert up[0]["metric"]["instance"] == server.target
        applied = server.wait_for_series('aerodrome_reconciles_total{outcome="applied"}')
        assert float(applied[0]["value"][1]) == 1
        logins = server.wait_for_series('aerodrome_http_requests_total{view="account_login",status="200"}')
        assert float(logins[0]["value"][1]) >= 1
        p99 = server.query("histogram_quantile(0.99, sum by (le) (aerodrome_reconcile_duration_seconds_bucket))")
        assert p99 and float(p99[0]["value"][1]) > 0
        assert server.query("aerodrome_deployments_lagging")[0]["value"][1] == "0"

        assert stranger.wait_for_series('up{job="aerodrome"} == 0')
        assert stranger.query("aerodrome_deployments") == []
    finally:
        server.stop()
        stranger.stop()
