"""Verified SSO domains: an organisation proves it owns an email domain by publishing a DNS TXT record
`aerodrome-verification=<token>` at `_aerodrome.<domain>` (or at the domain itself). Only a verified domain is
routed to the organisation's identity provider by email, has password logins refused when SSO is enforced, and
has people provisioned just in time; until then the connection serves the organisation's members and invitees.

One organisation at a time holds a domain verified (a partial unique constraint). Celery beat checks verified
domains again (`sso_domains_recheck`): a domain whose record is gone loses its verification, with an audit entry.
DNS that is down or slow never changes anything: the check says so within SSO_DNS_TIMEOUT seconds.
"""

import logging
import secrets
import time
from dataclasses import dataclass

import dns.exception
import dns.nameserver
import dns.resolver
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import audit
from accounts.models import SSOConnection, SSODomain, User
from accounts.permissions import require

logger = logging.getLogger(__name__)


class DnsUnavailable(Exception):
    """No DNS answer came (timeout, servers failing): nothing can be concluded."""


@dataclass(frozen=True)
class Check:
    found: bool
    message: str = ""  # why not, in words for the owner


def new_token() -> str:
    return secrets.token_urlsafe(24)


def resolver() -> dns.resolver.Resolver:
    """A resolver for SSO_DNS_NAMESERVERS (host or host:port), or the system's when none are configured."""
    servers = settings.SSO_DNS_NAMESERVERS
    answer = dns.resolver.Resolver(configure=not servers)
    if servers:
        answer.nameservers = [_nameserver(server) for server in servers]
    answer.cache = None
    answer.timeout = answer.lifetime = float(settings.SSO_DNS_TIMEOUT)
    return answer


def _nameserver(value: str) -> dns.nameserver.Nameserver:
    host, port = value.strip(), 53
    if host.startswith("["):  # [::1]:5353
        host, _, rest = host[1:].partition("]")
        port = int(rest.lstrip(":") or 53)
    elif host.count(":") == 1:
        host, _, port_text = host.partition(":")
        port = int(port_text)
    return dns.nameserver.Do53Nameserver(host, port)


def _txt_values(name: str, deadline: float) -> list[str]:
    """The TXT strings at `name` ([] when it has none or does not exist); DnsUnavailable when DNS does not answer."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DnsUnavailable(name)
    try:
        answer = resolver().resolve(name, "TXT", lifetime=remaining, search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.LifetimeTimeout) as error:
        raise DnsUnavailable(name) from error
    except dns.exception.DNSException as error:
        raise DnsUnavailable(name) from error
    return [b"".join(record.strings).decode("utf-8", "replace").strip() for record in answer]


def lookup(claim: SSODomain) -> Check:
    """Whether the claim's record is published. Raises DnsUnavailable when DNS gives no answer in time."""
    deadline = time.monotonic() + settings.SSO_DNS_TIMEOUT
    for name in (claim.record_name, claim.domain):
        if claim.record_value in _txt_values(name, deadline):
            return Check(True)
    return Check(
        False,
        f"No TXT record “{claim.record_value}” was found at {claim.record_name} (nor at {claim.domain}). "
        "Once you have published it, DNS may take a few minutes to show it.",
    )


def unavailable_message() -> str:
    return (
        f"DNS did not answer within {settings.SSO_DNS_TIMEOUT} seconds, so the record could not be checked. "
        "Nothing was changed; try again in a moment."
    )


# ------------------------------------------------------------------------------------------------ claims


def sync_claims(connection: SSOConnection) -> None:
    """One claim per domain of the connection: new domains start pending, removed ones are forgotten."""
    wanted = list(connection.domains)
    connection.domain_claims.exclude(domain__in=wanted).delete()
    existing = set(connection.domain_claims.values_list("domain", flat=True))
    new = [domain for domain in wanted if domain not in existing]
    SSODomain.objects.bulk_create([SSODomain(connection=connection, domain=d, token=new_token()) for d in new])


def verified_claim(domain: str) -> SSODomain | None:
    """The verified claim on `domain` (at most one exists)."""
    return (
        SSODomain.objects.select_related("connection__organization")
        .filter(domain=domain, verified_at__isnull=False)
        .first()
    )


def is_verified(connection: SSOConnection, domain: str) -> bool:
    return connection.domain_claims.filter(domain=domain, verified_at__isnull=False).exists()


def verified_elsewhere(domain: str, connection: SSOConnection | None) -> bool:
    others = SSODomain.objects.filter(domain=domain, verified_at__isnull=False)
    if connection is not None and connection.pk:
        others = others.exclude(connection=connection)
    return others.exists()


def sso_domain_verify(*, actor: User, claim: SSODomain) -> SSODomain:
    """Checks the claim's DNS record now. Verified: recorded and audited. Otherwise a ValidationError that says what
    was found; a failed check keeps what was verified (only the periodic re-check takes verification away)."""
    organization = claim.connection.organization
    require(actor, "sso.manage", organization)
    try:
        check = lookup(claim)  # no transaction is held while DNS answers
    except DnsUnavailable:
        logger.warning("DNS unavailable while verifying %s for %s", claim.domain, organization)
        raise ValidationError(unavailable_message(), code="dns_unavailable") from None
    now = timezone.now()
    with transaction.atomic():
        claim = SSODomain.objects.select_for_update().select_related("connection__organization").get(pk=claim.pk)
        if not check.found or claim.verified_at:
            # Recorded whatever the outcome (a failed check takes nothing away: only the re-check does).
            claim.checked_at, claim.check_error = now, "" if check.found else check.message[:500]
            claim.save(update_fields=["checked_at", "check_error"])
            if check.found:
                return claim
    if not check.found:
        raise ValidationError(check.message, code="record_missing")
    return _mark_verified(actor=actor, claim=claim, now=now)


@transaction.atomic
def _mark_verified(*, actor: User, claim: SSODomain, now) -> SSODomain:
    taken = ValidationError(
        f"{claim.domain} is already verified by another organisation's single sign-on.", code="taken"
    )
    if verified_elsewhere(claim.domain, claim.connection):
        raise taken
    claim.checked_at = claim.verified_at = now
    claim.lost_at, claim.check_error = None, ""
    try:
        with transaction.atomic():
            claim.save(update_fields=["checked_at", "verified_at", "lost_at", "check_error"])
    except IntegrityError:  # verified by another organisation at this very moment
        raise taken from None
    audit.record(
        actor=actor,
        action="sso.domain_verified",
        target=claim.connection,
        organization=claim.connection.organization,
        changes={"domain": claim.domain, "record": claim.record_name},
    )
    return claim


def sso_domains_recheck() -> dict[str, int]:
    """Checks every verified domain again. A record that is gone (a definite DNS answer) takes the verification
    away, audited; DNS that does not answer changes nothing."""
    counts = {"checked": 0, "lost": 0, "unavailable": 0}
    for claim in SSODomain.objects.filter(verified_at__isnull=False).select_related("connection__organization"):
        try:
            check = lookup(claim)
        except DnsUnavailable:
            counts["unavailable"] += 1
            logger.warning("DNS unavailable while re-checking SSO domain %s", claim.domain)
            continue
        counts["checked"] += 1
        with transaction.atomic():
            now = timezone.now()
            current = SSODomain.objects.select_for_update().filter(pk=claim.pk, verified_at__isnull=False).first()
            if current is None:
                continue
            current.checked_at = now
            if check.found:
                current.check_error = ""
                current.save(update_fields=["checked_at", "check_error"])
                continue
            current.verified_at, current.lost_at, current.check_error = None, now, check.message[:500]
            current.save(update_fields=["checked_at", "verified_at", "lost_at", "check_error"])
            counts["lost"] += 1
            logger.warning("SSO domain %s lost its verification: %s", claim.domain, check.message)
            audit.record(
                actor=None,
                action="sso.domain_lost",
                target=claim.connection,
                organization=claim.connection.organization,
                changes={"domain": claim.domain, "record": claim.record_name},
            )
    return counts
