"""Notification channels, one module per kind: each cleans its settings (`clean`), says where it sends
(`target`) and sends a notice (`send`), raising `base.SendFailed` when that did not work."""

from types import ModuleType

from monitoring.alerts.channels import email, opsgenie, pagerduty, slack, teams, webhook
from monitoring.alerts.channels.models import Channel

KINDS: dict[str, ModuleType] = {
    Channel.Kind.EMAIL: email,
    Channel.Kind.SLACK: slack,
    Channel.Kind.TEAMS: teams,
    Channel.Kind.PAGERDUTY: pagerduty,
    Channel.Kind.OPSGENIE: opsgenie,
    Channel.Kind.WEBHOOK: webhook,
}
SECRET_FIELDS = ("url", "routing_key", "api_key", "signing_secret")
# The input each kind takes besides name and enabled.
FIELDS: dict[str, tuple[str, ...]] = {
    Channel.Kind.EMAIL: ("addresses",),
    Channel.Kind.SLACK: ("url",),
    Channel.Kind.TEAMS: ("url",),
    Channel.Kind.PAGERDUTY: ("routing_key",),
    Channel.Kind.OPSGENIE: ("api_key",),
    Channel.Kind.WEBHOOK: ("url", "signing_secret"),
}


def kind(channel_or_kind) -> ModuleType:
    return KINDS[getattr(channel_or_kind, "kind", channel_or_kind)]
