"""Alertmanager's webhook notifications, recorded: each alert against its Deployment and rule.

A cluster's Alertmanager authenticates with the cluster's receiver token (shown once, stored as a SHA-256 hash).
An alert is filed only on a Deployment of that very cluster, named by the `aerodrome_deployment` label that our
rendered rules set (and whose namespace label agrees), for a rule that applies to it; anything else in the payload
is counted as ignored. So another cluster's token, or a forged label, can never put an alert on someone else's
Deployment.

The same fingerprint and start time is the same alert: a firing notification repeated by Alertmanager records one
more event (and one more notification of the rule's channels) on it, the resolve records exactly one. Grouping,
deduplication and repeat intervals stay Alertmanager's job.
"""

import hashlib
import secrets
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts import audit
from deployments import cluster_services
from deployments.models import Cluster, Deployment
from monitoring.alerts import notices, promql
from monitoring.alerts.models import Alert, AlertEvent, AlertRule, Severity

TOKEN_PREFIX = "aeram_"
MAX_ALERTS = 1000  # per notification; Alertmanager's default max_alerts is 0 (all), groups are rarely this large


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def receiver_token_rotate(*, actor, cluster: Cluster) -> str:
    """A new receiver token for the cluster's Alertmanager; the old one stops working at once. Returns it (shown
    once: only its hash is kept)."""
    cluster_services.require_cluster_manager(actor, cluster)
    return issue_token(cluster, actor=actor)


def issue_token(cluster: Cluster, *, actor=None) -> str:
    """The token itself, for the service above and for staff's `manage.py alert_receiver_token` (actor None)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    had_one = bool(cluster.alert_receiver_token_hash)
    cluster.alert_receiver_token_hash = _hash(token)
    cluster.alert_receiver_token_set_at = timezone.now()
    cluster.save(update_fields=["alert_receiver_token_hash", "alert_receiver_token_set_at"])
    audit.record(
        actor=actor,
        action="cluster.alert_receiver_token",
        target=cluster,
        organization=cluster.organization,
        changes={"token": "replaced" if had_one else "set"},
    )
    return token


def cluster_for_token(token: str) -> Cluster | None:
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    return Cluster.objects.filter(alert_receiver_token_hash=_hash(token)).first()


@dataclass
class Outcome:
    recorded: list[int] = field(default_factory=list)  # AlertEvent ids
    ignored: int = 0


def _when(value) -> "timezone.datetime | None":
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None or parsed.year < 1970:  # Alertmanager writes 0001-01-01 for "not ended"
        return None
    return parsed


def _rule_for(deployment: Deployment, key: str, cache: dict) -> tuple[AlertRule | None, str] | None:
    """(rule, name) for a rule key that applies to the Deployment; None for anything else."""
    if (deployment.pk, key) not in cache:
        cache[deployment.pk, key] = _find_rule(deployment, key)
    return cache[deployment.pk, key]


def _find_rule(deployment: Deployment, key: str) -> tuple[AlertRule | None, str] | None:
    if key in promql.BUILTINS:
        return None, promql.BUILTINS[key].title
    if key.startswith("rule-") and key[5:].isdigit():
        rule = AlertRule.objects.filter(pk=int(key[5:]), workspace=deployment.workspace_id).first()
        if rule and rule.deployment_id in (None, deployment.pk):
            return rule, rule.name
    return None


def _deployment_for(cluster: Cluster, labels: dict, cache: dict) -> Deployment | None:
    deployment_id = str(labels.get(promql.LABEL_DEPLOYMENT) or "")
    if not deployment_id.isdigit() or len(deployment_id) > 18:
        return None
    if deployment_id not in cache:
        cache[deployment_id] = Deployment.objects.filter(pk=int(deployment_id), cluster=cluster).first()
    deployment = cache[deployment_id]
    if deployment is None or labels.get("namespace") not in (None, deployment.namespace):
        return None
    return deployment


def record_notification(*, cluster: Cluster, payload: dict) -> Outcome:
    """Record every alert of one Alertmanager notification; delivery of each recorded event is enqueued once the
    transaction commits."""
    alerts = payload.get("alerts") if isinstance(payload, dict) else None
    if not isinstance(alerts, list):
        raise ValidationError({"alerts": "An Alertmanager notification holds a list of alerts."})
    if len(alerts) > MAX_ALERTS:
        raise ValidationError({"alerts": f"At most {MAX_ALERTS} alerts per notification."})
    outcome = Outcome()
    cache = {}
    for item in alerts:
        event_id = _record_one(cluster, item, cache) if isinstance(item, dict) else None
        if event_id is None:
            outcome.ignored += 1
        else:
            outcome.recorded.append(event_id)
    return outcome


def _record_one(cluster: Cluster, item: dict, cache: dict) -> int | None:
    labels = item.get("labels") if isinstance(item.get("labels"), dict) else {}
    labels = {str(k)[:200]: str(v)[:1000] for k, v in labels.items()}
    annotations = item.get("annotations") if isinstance(item.get("annotations"), dict) else {}
    fingerprint = str(item.get("fingerprint") or "")[:64]
    starts_at = _when(item.get("startsAt"))
    status = item.get("status")
    deployment = _deployment_for(cluster, labels, cache)
    if deployment is None or not fingerprint or starts_at is None or status not in ("firing", "resolved"):
        return None
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update()
            .filter(deployment=deployment, fingerprint=fingerprint, starts_at=starts_at)
            .first()
        )
        if alert is None:
            found = _rule_for(deployment, labels.get(promql.LABEL_RULE, ""), cache)
            if found is None:
                return None
            alert = _create(cluster, deployment, found, labels, annotations, fingerprint, starts_at)
            if alert is None:  # a concurrent notification created it first
                return _record_one(cluster, item, cache)
        now = timezone.now()
        alert.last_received_at = now
        if status == "firing":
            if alert.state == Alert.State.RESOLVED:
                return None  # a late repeat of an alert already resolved: nothing new
            alert.notification_count += 1
            alert.save(update_fields=["last_received_at", "notification_count"])
            kind = AlertEvent.Kind.FIRING
        else:
            if alert.state == Alert.State.RESOLVED and alert.events.filter(kind=AlertEvent.Kind.RESOLVED).exists():
                return None  # the resolve is recorded (and notified) once
            alert.state = Alert.State.RESOLVED
            alert.ends_at = _when(item.get("endsAt")) or now
            alert.save(update_fields=["last_received_at", "state", "ends_at"])
            kind = AlertEvent.Kind.RESOLVED
        event = AlertEvent.objects.create(alert=alert, kind=kind)
        notices.alert_event_notify(event)  # its deliveries commit with it, and are enqueued once they have
        return event.pk


def _create(cluster, deployment, found, labels, annotations, fingerprint, starts_at) -> Alert | None:
    rule, rule_name = found
    severity = str(labels.get("severity", "")).upper()
    try:
        with transaction.atomic():
            return Alert.objects.create(
                deployment=deployment,
                cluster=cluster,
                rule=rule,
                rule_key=labels.get(promql.LABEL_RULE, ""),
                rule_name=rule_name[:100],
                fingerprint=fingerprint,
                alertname=labels.get("alertname", "")[:200],
                severity=severity if severity in Severity.values else Severity.WARNING,
                summary=str(annotations.get("summary") or annotations.get("description") or "")[:1000],
                labels=labels,
                starts_at=starts_at,
                last_received_at=timezone.now(),
            )
    except IntegrityError:
        return None
