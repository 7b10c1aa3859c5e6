"""The invitation services (accounts/invitations/services.py): create, resend, revoke, accept, and the email they send.

Mail goes through a real SMTP server on localhost (the `smtp_server` fixture), and links are read back out of
the delivered messages.
"""

import hashlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.invitations import services as invitations
from accounts.models import AuditEvent, Invitation, OrganizationMembership
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import BindingFactory, MembershipFactory, UserFactory, WorkspaceFactory
from workspaces.models import WorkspaceRoleBinding

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s\"<>]+/invitations/([A-Za-z0-9_-]+)/")


def link_in(message) -> str:
    """The accept link in a delivered message's plain-text part (and the same one in its HTML part)."""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    links = LINK.findall(text)
    assert len(links) == 1, text
    assert LINK.findall(html)[0] == links[0]
    return LINK.search(text).group(0)


def token_of(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def invite(tenancy, *emails, **kwargs):
    return invitations.invitations_create(actor=tenancy.owner, organization=tenancy.org, emails=list(emails), **kwargs)


# Parsing


def test_split_addresses_accepts_commas_semicolons_new_lines_spaces_and_display_names():
    text = "a@x.test, b@x.test;c@x.test\n d@x.test  e@x.test\r\nGrace Hopper <grace@x.test>,, \n"
    assert invitations.split_addresses(text) == [
        "a@x.test",
        "b@x.test",
        "c@x.test",
        "d@x.test",
        "e@x.test",
        "grace@x.test",
    ]


def test_split_addresses_drops_duplicates_whatever_the_case():
    assert invitations.split_addresses("Ada@X.test\nada@x.test, ADA@x.test") == ["Ada@X.test"]


# Creating


def test_invite_emails_a_single_use_link_to_the_site_and_stores_only_its_hash(tenancy, smtp_server, settings):
    settings.SITE_URL = "https://aerodrome.example.com/"
    [outcome] = invite(tenancy, "Ada@Example.com")

    assert outcome.result == "invited" and outcome.sent
    [message] = smtp_server.messages
    assert smtp_server.recipients == [["ada@example.com"]]
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Olive Owner invited you to Acme Data on Aerodrome"
    url = link_in(message)
    assert url.startswith("https://aerodrome.example.com/invitations/")
    token = token_of(url)
    assert len(token) >= 40

    invitation = Invitation.objects.get()
    assert invitation.email == "ada@example.com"
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert invitation.invited_by == tenancy.owner
    assert invitation.send_count == 1 and invitation.sent_at is not None
    assert timedelta(days=7) - timedelta(minutes=1) < invitation.expires_at - timezone.now() <= timedelta(days=7)
    assert invitation.status == "PENDING"
    assert token not in str(list(Invitation.objects.values()))


def test_invite_says_who_invited_to_what_in_the_email(tenancy, smtp_server):
    invite(tenancy, "ada@example.com", org_role=OrgRole.MEMBER, workspace=tenancy.workspace, workspace_role="OPERATOR")
    text = smtp_server.messages[0].get_body(("plain",)).get_content()
    assert "Olive Owner invited you to join Acme Data on Aerodrome as member" in text
    assert "with the operator role on the workspace Analytics" in text
    assert "expires on" in text


def test_invite_many_addresses_at_once_sends_each_its_own_link(tenancy, smtp_server):
    outcomes = invite(tenancy, "a@example.com, b@example.com\nc@example.com")

    assert [o.result for o in outcomes] == ["invited"] * 3
    assert Invitation.objects.count() == 3
    assert [smtp_server.to(f"{x}@example.com") != [] for x in "abc"] == [True, True, True]
    tokens = {token_of(link_in(m)) for m in smtp_server.messages}
    assert len(tokens) == 3
    assert AuditEvent.objects.filter(action="invitation.create").count() == 3


def test_inviting_an_existing_member_says_so_and_sends_nothing(tenancy, smtp_server):
    [outcome] = invite(tenancy, "Member@Acme.test")
    assert outcome.result == "member"
    assert outcome.message == "member@acme.test is already a member of Acme Data."
    assert not Invitation.objects.exists()
    assert smtp_server.messages == []


def test_malformed_addresses_are_reported_and_the_good_ones_still_invited(tenancy, smtp_server):
    outcomes = invite(tenancy, "good@example.com, not-an-address, @example.com, x@")
    assert [(o.email, o.result) for o in outcomes] == [
        ("good@example.com", "invited"),
        ("not-an-address", "malformed"),
        ("@example.com", "malformed"),
        ("x@", "malformed"),
    ]
    assert outcomes[1].message == "“not-an-address” is not a valid email address."
    assert list(Invitation.objects.values_list("email", flat=True)) == ["good@example.com"]
    assert len(smtp_server.messages) == 1


def test_an_address_already_invited_is_reported_with_its_invitation_to_resend(tenancy, smtp_server):
    invite(tenancy, "ada@example.com")
    [outcome] = invite(tenancy, "ADA@example.com")
    assert outcome.result == "pending"
    assert outcome.invitation == Invitation.objects.get()
    assert "already has a pending invitation" in outcome.message
    assert len(smtp_server.messages) == 1  # no second email


def test_inviting_again_after_expiry_reissues_the_invitation_with_the_new_roles(tenancy, smtp_server):
    invite(tenancy, "ada@example.com")
    Invitation.objects.update(expires_at=timezone.now() - timedelta(days=1))
    old_link = link_in(smtp_server.messages[0])

    [outcome] = invite(tenancy, "ada@example.com", org_role=OrgRole.OWNER)
    assert outcome.result == "invited" and "expired" in outcome.message
    invitation = Invitation.objects.get()
    assert invitation.status == "PENDING" and invitation.org_role == OrgRole.OWNER
    assert invitations.invitation_for_token(token_of(old_link)) is None
    assert invitations.invitation_for_token(token_of(link_in(smtp_server.messages[1]))) == invitation


def test_too_many_addresses_are_refused_before_anything_is_written(tenancy, smtp_server):
    emails = ", ".join(f"p{i}@example.com" for i in range(invitations.MAX_ADDRESSES + 1))
    with pytest.raises(ValidationError, match="at most 50"):
        invite(tenancy, emails)
    assert not Invitation.objects.exists() and smtp_server.messages == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"org_role": "ADMIN"}, "org_role"),
        ({"workspace_role": "ADMIN", "workspace": "own"}, "workspace_role"),
        ({"workspace": "other"}, "workspace"),
    ],
)
def test_bad_roles_or_another_organisations_workspace_are_refused_entirely(tenancy, smtp_server, kwargs, field):
    workspaces = {"own": tenancy.workspace, "other": tenancy.other_workspace}
    if "workspace" in kwargs:
        kwargs["workspace"] = workspaces[kwargs["workspace"]]
    with pytest.raises(ValidationError) as error:
        invite(tenancy, "ada@example.com", **kwargs)
    assert field in error.value.message_dict
    assert not Invitation.objects.exists() and not AuditEvent.objects.exists() and smtp_server.messages == []


def test_no_address_is_refused(tenancy):
    with pytest.raises(ValidationError, match="at least one"):
        invite(tenancy, " ,\n ")


def test_members_and_outsiders_cannot_invite(tenancy):
    for actor in (tenancy.member, tenancy.outsider):
        with pytest.raises(PermissionDenied):
            invitations.invitations_create(actor=actor, organization=tenancy.org, emails=["ada@example.com"])
    assert not Invitation.objects.exists()


def test_when_the_mail_server_is_down_invitations_exist_marked_unsent(tenancy, settings):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 2},
        }
    }
    [outcome] = invite(tenancy, "ada@example.com")
    assert outcome.result == "invited" and not outcome.sent
    assert "could not be sent" in outcome.message
    invitation = Invitation.objects.get()
    assert invitation.sent_at is None and invitation.send_count == 0
    with pytest.raises(ValidationError, match="could not be sent"):
        invitations.invitation_resend(actor=tenancy.owner, invitation=invitation)


# Resending and revoking


def test_resend_sends_a_new_link_the_old_one_stops_working_and_expiry_restarts(tenancy, smtp_server):
    invite(tenancy, "ada@example.com")
    Invitation.objects.update(expires_at=timezone.now() + timedelta(hours=1))
    invitation = Invitation.objects.get()

    invitations.invitation_resend(actor=tenancy.owner, invitation=invitation)

    invitation.refresh_from_db()
    old, new = (token_of(link_in(m)) for m in smtp_server.messages)
    assert old != new
    assert invitations.invitation_for_token(old) is None
    assert invitations.invitation_for_token(new) == invitation
    assert invitation.send_count == 2
    assert invitation.expires_at - timezone.now() > timedelta(days=6, hours=23)
    event = AuditEvent.objects.get(action="invitation.resend")
    assert event.actor == tenancy.owner and event.organization == tenancy.org
    assert event.changes["email"] == "ada@example.com"


def test_revoke_ends_the_invitation(tenancy, smtp_server):
    invite(tenancy, "ada@example.com")
    invitation = invitations.invitation_revoke(actor=tenancy.owner, invitation=Invitation.objects.get())
    assert invitation.status == "REVOKED"
    assert AuditEvent.objects.filter(action="invitation.revoke", actor=tenancy.owner).count() == 1
    with pytest.raises(ValidationError, match="already revoked"):
        invitations.invitation_revoke(actor=tenancy.owner, invitation=invitation)
    with pytest.raises(ValidationError, match="already revoked"):
        invitations.invitation_resend(actor=tenancy.owner, invitation=invitation)
    assert not Invitation.objects.pending().exists()


def test_members_cannot_resend_or_revoke(tenancy, smtp_server):
    invite(tenancy, "ada@example.com")
    invitation = Invitation.objects.get()
    with pytest.raises(PermissionDenied):
        invitations.invitation_resend(actor=tenancy.member, invitation=invitation)
    with pytest.raises(PermissionDenied):
        invitations.invitation_revoke(actor=tenancy.member, invitation=invitation)
    assert len(smtp_server.messages) == 1 and Invitation.objects.get().status == "PENDING"


def test_no_audit_entry_contains_the_token(tenancy, smtp_server):
    invite(tenancy, "ada@example.com")
    invitation = Invitation.objects.get()
    invitations.invitation_resend(actor=tenancy.owner, invitation=invitation)
    user = UserFactory(email="ada@example.com")
    invitations.invitation_accept(user=user, invitation=invitation)
    tokens = [token_of(link_in(m)) for m in smtp_server.messages]
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in tokens]
    trail = str(list(AuditEvent.objects.values()))
    assert {e.action for e in AuditEvent.objects.all()} == {
        "invitation.create",
        "invitation.resend",
        "invitation.accept",
    }
    assert not any(secret in trail for secret in tokens + hashes)


# Accepting


def test_accepting_makes_a_member_with_the_invited_roles(tenancy, smtp_server):
    invite(tenancy, "ada@example.com", org_role=OrgRole.MEMBER, workspace=tenancy.workspace, workspace_role="AUTHOR")
    invitation = Invitation.objects.get()
    user = UserFactory(email="ada@example.com")

    membership = invitations.invitation_accept(user=user, invitation=invitation)

    assert membership.role == OrgRole.MEMBER and membership.organization == tenancy.org
    assert WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, user=user).role == WorkspaceRole.AUTHOR
    invitation.refresh_from_db()
    assert invitation.status == "ACCEPTED" and invitation.accepted_by == user
    event = AuditEvent.objects.get(action="invitation.accept")
    assert event.actor == user and event.organization == tenancy.org
    assert event.changes == {
        "email": "ada@example.com",
        "org_role": "MEMBER",
        "workspace": "Analytics",
        "workspace_role": "AUTHOR",
    }


def test_an_invitation_works_once(tenancy, smtp_server):
    invite(tenancy, "ada@example.com")
    invitation = Invitation.objects.get()
    user = UserFactory(email="ada@example.com")
    invitations.invitation_accept(user=user, invitation=invitation)
    with pytest.raises(ValidationError, match="was accepted"):
        invitations.invitation_accept(user=user, invitation=invitation)
    assert AuditEvent.objects.filter(action="invitation.accept").count() == 1


def test_accepting_never_lowers_a_role_already_held(tenancy, smtp_server):
    user = UserFactory(email="ada@example.com")
    invite(tenancy, "ada@example.com", workspace=tenancy.workspace, workspace_role="MEMBER")
    MembershipFactory(organization=tenancy.org, user=user, role=OrgRole.OWNER)  # joined some other way since
    BindingFactory(workspace=tenancy.workspace, user=user, role=WorkspaceRole.OPERATOR)
    invitations.invitation_accept(user=user, invitation=Invitation.objects.get())
    assert OrganizationMembership.objects.get(organization=tenancy.org, user=user).role == OrgRole.OWNER
    assert WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, user=user).role == WorkspaceRole.OPERATOR


def test_accepting_raises_a_role_below_the_invited_one(tenancy, smtp_server):
    user = UserFactory(email="ada@example.com")
    other = WorkspaceFactory(organization=tenancy.org, name="Ops")
    invite(tenancy, "ada@example.com", org_role=OrgRole.OWNER, workspace=other, workspace_role="OPERATOR")
    MembershipFactory(organization=tenancy.org, user=user, role=OrgRole.MEMBER)
    BindingFactory(workspace=other, user=user, role=WorkspaceRole.MEMBER)
    invitations.invitation_accept(user=user, invitation=Invitation.objects.get())
    assert OrganizationMembership.objects.get(organization=tenancy.org, user=user).role == OrgRole.OWNER
    assert WorkspaceRoleBinding.objects.get(workspace=other, user=user).role == WorkspaceRole.OPERATOR


def test_someone_else_cannot_accept(tenancy, smtp_server):
    invite(tenancy, "ada@example.com")
    with pytest.raises(ValidationError, match="for ada@example.com, not outsider@globex.test"):
        invitations.invitation_accept(user=tenancy.outsider, invitation=Invitation.objects.get())
    assert not OrganizationMembership.objects.filter(organization=tenancy.org, user=tenancy.outsider).exists()
    assert Invitation.objects.get().status == "PENDING"


def test_a_verified_secondary_address_of_the_user_may_accept(tenancy, smtp_server):
    invite(tenancy, "ada@work.test")
    user = UserFactory(email="ada@home.test")
    EmailAddress.objects.create(user=user, email="ada@work.test", verified=False, primary=False)
    with pytest.raises(ValidationError):
        invitations.invitation_accept(user=user, invitation=Invitation.objects.get())
    EmailAddress.objects.filter(email="ada@work.test").update(verified=True)
    invitations.invitation_accept(user=user, invitation=Invitation.objects.get())
    assert OrganizationMembership.objects.filter(organization=tenancy.org, user=user).exists()


@pytest.mark.parametrize("status", ["EXPIRED", "REVOKED"])
def test_expired_or_revoked_invitations_cannot_be_accepted(tenancy, smtp_server, status):
    invite(tenancy, "ada@example.com")
    if status == "EXPIRED":
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    else:
        Invitation.objects.update(revoked_at=timezone.now())
    with pytest.raises(ValidationError, match=status.lower()):
        invitations.invitation_accept(user=UserFactory(email="ada@example.com"), invitation=Invitation.objects.get())
    assert not AuditEvent.objects.filter(action="invitation.accept").exists()


def test_lookup_ignores_malformed_tokens(db):
    assert invitations.invitation_for_token("") is None
    assert invitations.invitation_for_token("short") is None
    assert invitations.invitation_for_token("x" * 43 + "/../") is None
    assert invitations.invitation_for_token("A" * 43) is None
