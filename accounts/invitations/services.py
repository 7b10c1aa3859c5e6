"""Invitations: an owner invites email addresses to the organisation; each address gets a single-use link.

The link carries a random secret; only its SHA-256 is stored (`Invitation.token_hash`), so the database never
holds a working link. Resending replaces the secret (the old link stops working) and restarts the 7 days.

Creating is per address: the addresses that can be invited are, and every other one comes back with the
reason (already a member, already invited, not an address). Bad form input as a whole (a role that does not
exist, a workspace of another organisation, too many addresses) is refused before anything is written.

Email goes out after the rows are committed (`emails.deliver`), through Django's default mailer (MAILERS, the
SMTP backend in production). A message that cannot be delivered leaves its invitation in place, marked as not
sent, so the owner can resend it; `sent_at` and `send_count` only move when the mail server took the message.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from accounts import audit, workspace_bindings
from accounts.invitations.emails import deliver
from accounts.models import Invitation, Organization, OrganizationMembership, User
from accounts.permissions import acting_user, require
from accounts.roles import OrgRole, WorkspaceRole, highest
from aerodrome.validation import ErrorCollector, clean_role, normalize_email

INVITATION_LIFETIME = timedelta(days=7)
MAX_ADDRESSES = 50  # per submission
SESSION_KEY = "aerodrome_invitation"  # the token hash of the invitation a logged-out visitor chose to accept
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


# ------------------------------------------------------------------------------------------------- reads


def open_invitations(*, organization: Organization):
    """Invitations that can still be accepted or resent: pending or expired, neither accepted nor revoked."""
    return (
        Invitation.objects.filter(organization=organization, accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by", "workspace")
        .order_by("-created_at", "-pk")
    )


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link's secret belongs to (whatever its status), or None."""
    if not token or not _TOKEN_RE.match(token):
        return None
    digest = hash_token(token)
    invitation = (
        Invitation.objects.select_related("organization", "workspace", "invited_by", "accepted_by")
        .filter(token_hash=digest)
        .first()
    )
    # The lookup is by a hash the caller cannot steer; comparing again in constant time costs nothing.
    if invitation is None or not hmac.compare_digest(invitation.token_hash, digest):
        return None
    return invitation


def invitation_for_hash(token_hash: str) -> Invitation | None:
    if not token_hash:
        return None
    return Invitation.objects.select_related("organization", "workspace").filter(token_hash=token_hash).first()


def email_matches(user: User, email: str) -> bool:
    """Whether the invitation's address is the user's login address or one they have verified (in whichever
    spelling: `normalize_email`)."""
    email = normalize_email(email)
    if normalize_email(user.email) == email:
        return True
    from allauth.account.models import EmailAddress

    verified = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    return any(normalize_email(address) == email for address in verified)


# ------------------------------------------------------------------------------------------------- parsing


def split_addresses(text: str) -> list[str]:
    """The entries of a pasted list: separated by commas, semicolons, new lines or spaces; `Name <a@b>` works.
    Duplicates (whatever the case, or the spelling of the domain) are dropped, the order kept. Entries are not
    validated here."""
    entries: list[str] = []
    for chunk in re.split(r"[,;\n\r]+", text or ""):
        chunk = chunk.strip()
        if not chunk:
            continue
        if "<" in chunk and chunk.endswith(">"):
            entries.append(parseaddr(chunk)[1] or chunk)
        else:
            entries.extend(chunk.split())
    seen: set[str] = set()
    unique = []
    for entry in entries:
        key = normalize_email(entry)
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    return unique


# ------------------------------------------------------------------------------------------------- writes


@dataclass
class InviteOutcome:
    """What happened to one address."""

    email: str
    result: str  # "invited", "member", "pending" (already invited), "malformed"
    message: str
    invitation: Invitation | None = None
    sent: bool = False

    @property
    def ok(self) -> bool:
        return self.result == "invited"


def _clean_workspace(organization, workspace, workspace_role):
    if workspace is None:
        return None, ""
    if workspace.organization_id != organization.pk:
        raise ValidationError({"workspace": "That workspace belongs to another organisation."})
    return workspace, clean_role(WorkspaceRole, workspace_role or WorkspaceRole.MEMBER, field="workspace_role")


def _audit_summary(invitation: Invitation) -> dict:
    summary = {"email": invitation.email, "org_role": invitation.org_role}
    if invitation.workspace_id:
        summary |= {"workspace": invitation.workspace.name, "workspace_role": invitation.workspace_role}
    return summary


@transaction.atomic
def _create(*, actor, organization, entries, org_role, workspace, workspace_role):
    outcomes: list[InviteOutcome] = []
    to_send: list[tuple[Invitation, str]] = []
    members = set(
        OrganizationMembership.objects.filter(organization=organization).values_list("user__email", flat=True)
    )
    members = {normalize_email(email) for email in members}
    # Lock the organisation's open invitations so two owners inviting the same address at once cannot race.
    open_by_email = {
        normalize_email(inv.email): inv
        for inv in Invitation.objects.select_for_update().filter(
            organization=organization, accepted_at__isnull=True, revoked_at__isnull=True
        )
    }
    now = timezone.now()
    inviter = acting_user(actor)  # an API token invites on behalf of the person who created it
    for entry in entries:
        email = entry.strip()
        try:
            validate_email(email)
        except ValidationError:
            outcomes.append(InviteOutcome(entry, "malformed", f"“{entry}” is not a valid email address."))
            continue
        email = normalize_email(email)
        if email in members:
            outcomes.append(InviteOutcome(email, "member", f"{email} is already a member of {organization.name}."))
            continue
        existing = open_by_email.get(email)
        if existing is not None and existing.expires_at > now:
            until = date_format(timezone.localtime(existing.expires_at), "j M Y")
            outcomes.append(
                InviteOutcome(
                    email,
                    "pending",
                    f"{email} already has a pending invitation (until {until}); resend it if it got lost.",
                    invitation=existing,
                )
            )
            continue
        token, digest = _new_token()
        if existing is not None:
            # An expired invitation still holds the address's one open slot: reissue it with the new roles.
            invitation = existing
            invitation.token_hash = digest
            invitation.org_role, invitation.workspace, invitation.workspace_role = org_role, workspace, workspace_role
            invitation.invited_by, invitation.expires_at = inviter, now + INVITATION_LIFETIME
            invitation.save()
            message = f"Invited {email} again (the earlier invitation had expired)."
        else:
            invitation = Invitation.objects.create(
                organization=organization,
                email=email,
                org_role=org_role,
                workspace=workspace,
                workspace_role=workspace_role,
                token_hash=digest,
                invited_by=inviter,
                expires_at=now + INVITATION_LIFETIME,
            )
            message = f"Invited {email}."
        audit.record(
            actor=actor,
            action="invitation.create",
            target=invitation,
            organization=organization,
            changes=_audit_summary(invitation),
        )
        outcomes.append(InviteOutcome(email, "invited", message, invitation=invitation))
        to_send.append((invitation, token))
    return outcomes, to_send


def invitations_create(
    *,
    actor: User,
    organization: Organization,
    emails: list[str],
    org_role: str = OrgRole.MEMBER,
    workspace=None,
    workspace_role: str = "",
) -> list[InviteOutcome]:
    """Invites each address (see the module's docstring for what happens to the ones that cannot be), then
    emails the new links. Returns one outcome per distinct address, in the order given."""
    require(actor, "organization.manage_members", organization)
    errors = ErrorCollector()
    org_role = errors.check(clean_role, OrgRole, org_role, field="org_role")
    workspace_choice = errors.check(_clean_workspace, organization, workspace, workspace_role)
    entries = split_addresses("\n".join(emails))
    if not entries:
        errors.add("emails", "Enter at least one email address.")
    elif len(entries) > MAX_ADDRESSES:
        errors.add("emails", f"Invite at most {MAX_ADDRESSES} addresses at a time (this list has {len(entries)}).")
    errors.raise_if_any()
    workspace, workspace_role = workspace_choice
    outcomes, to_send = _create(
        actor=actor,
        organization=organization,
        entries=entries,
        org_role=org_role,
        workspace=workspace,
        workspace_role=workspace_role,
    )
    delivered = deliver(to_send)
    for outcome in outcomes:
        if outcome.ok:
            outcome.sent = outcome.invitation.pk in delivered
            if not outcome.sent:
                outcome.message += " The email could not be sent; try Resend in a moment."
    return outcomes


def _locked(invitation: Invitation) -> Invitation:
    """The invitation's row, locked until the transaction ends, freshly read (its status may have changed)."""
    return (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organization", "workspace")
        .get(pk=invitation.pk)
    )


@transaction.atomic
def _reissue(*, actor, invitation) -> tuple[Invitation, str]:
    invitation = _locked(invitation)
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError(f"The invitation to {invitation.email} was already {invitation.status.lower()}.")
    before = invitation.expires_at
    token, invitation.token_hash = _new_token()
    invitation.expires_at = timezone.now() + INVITATION_LIFETIME
    invitation.save(update_fields=["token_hash", "expires_at"])
    audit.record(
        actor=actor,
        action="invitation.resend",
        target=invitation,
        organization=invitation.organization,
        changes={"email": invitation.email, "expires_at": [before.isoformat(), invitation.expires_at.isoformat()]},
    )
    return invitation, token


def invitation_resend(*, actor: User, invitation: Invitation) -> Invitation:
    """A new link (the old one stops working at once) valid for another 7 days, emailed again.
    Raises ValidationError if the mail server did not take the message (the new link then exists only in
    the database; resending again sends another)."""
    require(actor, "organization.manage_members", invitation.organization)
    invitation, token = _reissue(actor=actor, invitation=invitation)
    if invitation.pk not in deliver([(invitation, token)]):
        raise ValidationError(f"The email to {invitation.email} could not be sent. Try again in a moment.")
    invitation.refresh_from_db()
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    require(actor, "organization.manage_members", invitation.organization)
    invitation = _locked(invitation)
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError(f"The invitation to {invitation.email} was already {invitation.status.lower()}.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(
        actor=actor,
        action="invitation.revoke",
        target=invitation,
        organization=invitation.organization,
        changes=_audit_summary(invitation),
    )
    return invitation


@transaction.atomic
def invitation_accept(*, user: User, invitation: Invitation) -> OrganizationMembership:
    """Makes `user` a member with the invitation's roles. Never lowers a role the user already has."""
    invitation = _locked(invitation)
    status = invitation.status
    if status != "PENDING":
        raise ValidationError(f"This invitation was {status.lower()}.")
    if not email_matches(user, invitation.email):
        raise ValidationError(f"This invitation is for {invitation.email}, not {user.email}.")
    organization = invitation.organization
    membership, created = OrganizationMembership.objects.select_for_update().get_or_create(
        organization=organization, user=user, defaults={"role": invitation.org_role}
    )
    if not created and membership.role != invitation.org_role:
        membership.role = highest(OrgRole, [membership.role, invitation.org_role])
        membership.save(update_fields=["role"])
    if invitation.workspace_id:
        workspace_bindings.provider().grant(workspace=invitation.workspace, user=user, role=invitation.workspace_role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(
        actor=user,
        action="invitation.accept",
        target=invitation,
        organization=organization,
        changes=_audit_summary(invitation),
    )
    return membership


def accept_stashed(request, user: User) -> Invitation | None:
    """After a login or sign-up: accept the invitation the visitor chose before logging in (the session holds
    its token hash), if it is still pending and addressed to this user. Anything else is left for the
    invitation page, where the visitor is sent back to, to explain."""
    invitation = invitation_for_hash(request.session.pop(SESSION_KEY, None))
    if invitation is None or invitation.status != "PENDING" or not email_matches(user, invitation.email):
        return None
    try:
        invitation_accept(user=user, invitation=invitation)
    except ValidationError:
        return None
    return invitation
