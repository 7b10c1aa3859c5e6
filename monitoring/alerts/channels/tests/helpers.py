"""Channels of every kind pointed at the local receivers, and notices to send them."""

from monitoring.alerts.channels import services
from monitoring.alerts.channels.base import Notice

ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"
OPSGENIE_KEY = "genie-key-do-not-leak-1234"
SIGNING_SECRET = "whsec-test-signing-secret-0123"


def every_kind(*, actor, workspace, receiver, prefix: str = "") -> dict:
    """One channel of each kind (email to two addresses), named by kind."""
    make = lambda kind, **fields: services.channel_create(  # noqa: E731
        actor=actor, workspace=workspace, name=f"{prefix}{kind.lower()}", kind=kind, **fields
    )
    return {
        "EMAIL": make("EMAIL", addresses="oncall@acme.test, Data-Team@Acme.test"),
        "SLACK": make("SLACK", url=receiver.url(f"/{prefix}slack/services/T000/B000/XXXX")),
        "TEAMS": make("TEAMS", url=receiver.url(f"/{prefix}teams/workflows/abc?sig=s3cr3t")),
        "PAGERDUTY": make("PAGERDUTY", routing_key=ROUTING_KEY),
        "OPSGENIE": make("OPSGENIE", api_key=OPSGENIE_KEY),
        "WEBHOOK": make("WEBHOOK", url=receiver.url(f"/{prefix}hook"), signing_secret=SIGNING_SECRET),
    }


def notice(status: str = "firing", *, key: str = "fp-3f2a9c", **fields) -> Notice:
    defaults = {
        "title": "DAG etl_daily failed",
        "severity": "critical",
        "summary": "Task load_orders failed in DAG etl_daily.",
        "description": "3 failures in the last 5 minutes.",
        "workspace": "Analytics",
        "deployment": "etl-prod",
        "rule": "DAG failure: etl_*",
        "url": "http://testserver/orgs/acme/alerts/1/",
        "labels": {"alertname": "DagFailed", "dag_id": "etl_daily"},
        "starts_at": "2026-11-29T21:00:00+00:00",
    }
    return Notice(key=key, status=status, **{**defaults, **fields})
