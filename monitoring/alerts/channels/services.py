"""Writes for notification channels: create, change, delete (AUTHOR and up, audited), and the test notification.
Secrets are write-only: a blank one keeps what is stored."""

from django.db import transaction

from accounts import audit
from accounts.permissions import acting_user, require
from aerodrome.validation import ErrorCollector, clean_name
from monitoring.alerts.channels import FIELDS, KINDS, SECRET_FIELDS, kind
from monitoring.alerts.channels.models import Channel, Delivery
from workspaces.models import Workspace


def clean_channel(fields: dict, *, workspace: Workspace, channel: Channel | None = None) -> dict:
    """`name`, `kind`, `enabled`, `config` and the `secrets` to store (merged over the stored ones), cleaned; every
    invalid field reported at once."""
    errors = ErrorCollector()
    cleaned: dict = {}
    if "name" in fields or channel is None:
        cleaned["name"] = name = errors.check(clean_name, fields.get("name"))
        clash = Channel.objects.filter(workspace=workspace, name__iexact=name).exclude(pk=getattr(channel, "pk", None))
        if name and clash.exists():
            errors.add("name", f"A channel named “{name}” already exists in this workspace.")
    chosen = fields.get("kind", channel.kind if channel else None)
    if channel is not None and chosen != channel.kind:
        errors.add("kind", "A channel's kind cannot change; create another channel.")
    elif chosen not in KINDS:
        errors.add("kind", f"Choose a kind: {', '.join(str(label) for label in Channel.Kind.labels)}.")
    else:
        cleaned["kind"] = chosen
        label = Channel.Kind(chosen).label
        for name in sorted(set().union(*FIELDS.values()) - set(FIELDS[chosen])):
            if fields.get(name) not in (None, "", []):
                errors.add(name, f"{label} channels do not take this field.")
        config, secrets = kind(chosen).clean(fields, errors, channel=channel)
        cleaned["config"] = config
        cleaned["secrets"] = {**(channel.secrets if channel else {}), **secrets}
    if "enabled" in fields:
        cleaned["enabled"] = bool(fields["enabled"])
    errors.raise_if_any()
    return cleaned


def _summary(cleaned: dict, before: Channel | None = None) -> dict:
    """What the audit log may say: secrets only as changed."""
    summary = {}
    for key in ("name", "kind", "enabled"):
        if key in cleaned and (before is None or getattr(before, key) != cleaned[key]):
            summary[key] = cleaned[key] if before is None else [getattr(before, key), cleaned[key]]
    addresses = cleaned.get("config", {}).get("addresses")
    if addresses is not None and (before is None or before.config.get("addresses") != addresses):
        summary["addresses"] = addresses
    old = before.secrets if before else {}
    for key in SECRET_FIELDS:
        if cleaned.get("secrets", {}).get(key) and cleaned["secrets"][key] != old.get(key):
            summary[key] = "set" if before is None else "changed"
    return summary


@transaction.atomic
def channel_create(*, actor, workspace: Workspace, **fields) -> Channel:
    require(actor, "channel.manage", workspace)
    cleaned = clean_channel(fields, workspace=workspace)
    channel = Channel.objects.create(workspace=workspace, created_by=acting_user(actor), **cleaned)
    audit.record(
        actor=actor,
        action="channel.create",
        target=channel,
        organization=workspace.organization,
        changes=_summary(cleaned),
    )
    return channel


@transaction.atomic
def channel_update(*, actor, channel: Channel, **fields) -> Channel:
    require(actor, "channel.manage", channel)
    Channel.objects.select_for_update().filter(pk=channel.pk).exists()  # one change at a time: secrets merge
    channel.refresh_from_db()
    cleaned = clean_channel(fields, workspace=channel.workspace, channel=channel)
    summary = _summary(cleaned, before=channel)
    for key, value in cleaned.items():
        setattr(channel, key, value)
    if summary:
        channel.save()
        audit.record(
            actor=actor,
            action="channel.update",
            target=channel,
            organization=channel.workspace.organization,
            changes=summary,
        )
    return channel


@transaction.atomic
def channel_delete(*, actor, channel: Channel) -> None:
    """The channel goes; the record of what was sent through it stays (under its name)."""
    require(actor, "channel.manage", channel)
    audit.record(
        actor=actor,
        action="channel.delete",
        target=channel,
        organization=channel.workspace.organization,
        changes={"name": channel.name, "kind": channel.kind},
    )
    channel.delete()


def channel_test(*, actor, channel: Channel) -> Delivery:
    """Sends a test notification now (one attempt, recorded like any other) and notes the result on the channel.
    Not in a transaction: it waits on the network."""
    from monitoring.alerts import delivery

    require(actor, "channel.manage", channel)
    outcome = delivery.send_test(channel=channel, requested_by=str(actor))
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="channel.test",
            target=channel,
            organization=channel.workspace.organization,
            changes={"result": outcome.get_status_display(), "reason": outcome.reason[:200]},
        )
    return outcome
