"""The invitation email: its link, its message, and sending a batch over one connection.

A message that cannot be delivered is logged and left out of the returned ids; its invitation stays, marked as not
sent (`sent_at`, `send_count` move only when the mail server took the message), so the owner can resend it.
"""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from accounts.roles import OrgRole, WorkspaceRole
from aerodrome.site import absolute_url

logger = logging.getLogger(__name__)


def accept_url(token: str) -> str:
    """The absolute link that goes into the email."""
    return absolute_url(reverse("invitation_accept", args=[token]))


def _message(invitation: Invitation, token: str) -> EmailMultiAlternatives:
    inviter = invitation.invited_by
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "inviter": inviter.display_name if inviter else "An owner",
        "org_role": OrgRole(invitation.org_role).label,
        "workspace_role": WorkspaceRole(invitation.workspace_role).label if invitation.workspace_role else "",
        "url": accept_url(token),
        "site_name": settings.SITE_NAME,
        "site_url": absolute_url("/"),
    }
    subject = " ".join(render_to_string("accounts/email/invitation_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("accounts/email/invitation_message.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("accounts/email/invitation_message.html", context), "text/html")
    return message


def deliver(items: list[tuple[Invitation, str]]) -> set[int]:
    """Sends each invitation's email over one connection; returns the ids the mail server accepted."""
    delivered: set[int] = set()
    if not items:
        return delivered
    try:
        with mailers.default as connection:
            for invitation, token in items:
                try:
                    connection.send_messages([_message(invitation, token)])
                except (smtplib.SMTPException, OSError) as error:
                    logger.warning("Could not send the invitation %s to %s: %s", invitation.pk, invitation.email, error)
                    continue
                Invitation.objects.filter(pk=invitation.pk).update(
                    sent_at=timezone.now(), send_count=F("send_count") + 1
                )
                delivered.add(invitation.pk)
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("Could not reach the mail server to send %d invitation(s): %s", len(items), error)
    return delivered
