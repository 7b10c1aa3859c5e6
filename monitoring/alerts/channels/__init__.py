"""Notification channels, one module per kind: each names the input it takes (`FIELDS`, the secret ones in
`SECRETS`), cleans it (`clean`), says where it sends (`target`) and sends a notice (`send`), raising
`base.SendFailed` when that did not work."""

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
# The input each kind takes besides name and enabled, and every field that is a secret, as the kinds declare them.
FIELDS: dict[str, tuple[str, ...]] = {name: module.FIELDS for name, module in KINDS.items()}
SECRET_FIELDS: tuple[str, ...] = tuple(dict.fromkeys(field for module in KINDS.values() for field in module.SECRETS))


def kind(channel_or_kind) -> ModuleType:
    return KINDS[getattr(channel_or_kind, "kind", channel_or_kind)]
