"""Silences: maintenance windows people set on a Deployment, held by its cluster's Alertmanager.

Creating one calls the Alertmanager first (a short timeout) and saves the record only once it answered with an
id, so the page never shows a silence that does not exist; cancelling expires it there, then marks it here.
The matcher is the `aerodrome_deployment` label every rendered rule carries, so a silence covers exactly that
Deployment's alerts.
"""

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.permissions import acting_user, require
from aerodrome.validation import ErrorCollector
from deployments.models import Deployment
from monitoring.alerts import alertmanager, promql
from monitoring.alerts.models import Silence

MAX_SILENCE = timedelta(days=30)


def clean_window(*, duration_minutes=None, until: datetime | None = None, now: datetime) -> datetime:
    """When the silence ends: after a duration in minutes, or at a time (UTC), exactly one of them."""
    if (duration_minutes in (None, "")) == (until is None):
        raise ValidationError({"duration_minutes": "Give either a duration or an end time."})
    if until is None:
        try:
            minutes = int(str(duration_minutes))
        except ValueError:
            raise ValidationError({"duration_minutes": "The duration is a whole number of minutes."}) from None
        if minutes < 1:
            raise ValidationError({"duration_minutes": "The duration is at least one minute."})
        until = now + timedelta(minutes=minutes)
    if timezone.is_naive(until):
        until = timezone.make_aware(until, UTC)
    if until <= now:
        raise ValidationError({"until": "The end time must be in the future."})
    if until - now > MAX_SILENCE:
        raise ValidationError({"until": "A silence lasts at most 30 days."})
    return until


def silence_create(
    *, actor, deployment: Deployment, comment: str, duration_minutes=None, until=None, origin=Silence.Origin.PERSON
) -> Silence:
    """Silence every alert of the Deployment until the window ends."""
    if origin == Silence.Origin.PERSON:
        require(actor, "alert.manage", deployment)
    comment = (comment or "").strip()
    now = timezone.now()
    errors = ErrorCollector()
    if not comment:
        errors.add("comment", "Say why (it shows in Alertmanager and on the page).")
    elif len(comment) > 500:
        errors.add("comment", "At most 500 characters.")
    ends_at = errors.check(clean_window, duration_minutes=duration_minutes, until=until, now=now)
    if deployment.cluster_id is None:
        errors.add(None, "This Deployment runs on no cluster: there is no Alertmanager.")
    errors.raise_if_any()
    label = str(actor) if actor else "Aerodrome"
    try:
        silence_id = alertmanager.silence_create(
            deployment.cluster,
            matchers={promql.LABEL_DEPLOYMENT: str(deployment.pk)},
            starts_at=now,
            ends_at=ends_at,
            created_by=f"{label} (Aerodrome)",
            comment=comment,
        )
    except alertmanager.AlertmanagerError as error:
        raise ValidationError(str(error)) from None
    with transaction.atomic():
        silence = Silence.objects.create(
            deployment=deployment,
            alertmanager_id=silence_id,
            origin=origin,
            starts_at=now,
            ends_at=ends_at,
            comment=comment,
            created_by=acting_user(actor),
            created_by_label=label[:254],
        )
        audit.record(
            actor=actor,
            action="silence.create",
            target=silence,
            organization=deployment.workspace.organization,
            changes={"deployment": deployment.name, "until": ends_at.isoformat(), "comment": comment},
        )
    return silence


def silence_cancel(*, actor, silence: Silence) -> Silence:
    require(actor, "alert.manage", silence)
    if silence.cancelled_at is not None or silence.ends_at <= timezone.now():
        return silence
    cluster = silence.deployment.cluster
    if cluster is not None and silence.alertmanager_id:
        try:
            alertmanager.silence_expire(cluster, silence.alertmanager_id)
        except alertmanager.AlertmanagerError as error:
            raise ValidationError(str(error)) from None
    with transaction.atomic():
        silence.cancelled_at = timezone.now()
        silence.cancelled_by_label = str(actor)[:254]
        silence.save(update_fields=["cancelled_at", "cancelled_by_label"])
        audit.record(
            actor=actor,
            action="silence.cancel",
            target=silence,
            organization=silence.deployment.workspace.organization,
            changes={"deployment": silence.deployment.name, "comment": silence.comment},
        )
    return silence
