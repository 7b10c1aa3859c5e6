"""Invitation pages: inviting, resending and revoking on the members page, and the accept page at the end of
the emailed link. Owners invite through the page, the mail goes through a real SMTP server on localhost, and the
invitee's browser (a second test client) follows the link it finds in the delivered message."""

import re
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from accounts.models import AuditEvent, Invitation, OrganizationMembership, User
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.invitations.test_invitations import link_in
from accounts.tests.page_helpers import HTMX, assert_audited, db_state, text
from workspaces.models import WorkspaceRoleBinding

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-unusual-passphrase"


def plain(response) -> str:
    """The page's words without tags, spaces normalised (Django's timesince uses no-break spaces)."""
    return " ".join(strip_tags(text(response)).replace("\xa0", " ").split())


def state() -> dict:
    return {**db_state(), "Invitation": list(Invitation.objects.order_by("pk").values())}


def invite_through_the_page(tenancy, smtp_server, emails, **data):
    """The owner submits the invite form; returns the links delivered, by recipient."""
    owner = Client()
    owner.force_login(tenancy.owner)
    before = len(smtp_server.messages)
    response = owner.post(
        reverse("invitation_create", args=["acme"]), {"emails": emails, "org_role": OrgRole.MEMBER, **data}
    )
    assert response.status_code == 302, text(response)
    return {
        recipients[0]: urlsplit(link_in(message)).path
        for message, recipients in zip(smtp_server.messages[before:], smtp_server.recipients[before:], strict=True)
    }


@pytest.fixture
def invited(tenancy, smtp_server):
    """ada@example.com invited as a member, with the operator role on Analytics; the link's path."""
    links = invite_through_the_page(
        tenancy,
        smtp_server,
        "ada@example.com",
        workspace=tenancy.workspace.pk,
        workspace_role=WorkspaceRole.OPERATOR,
    )
    return links["ada@example.com"]


def joined(tenancy, email) -> bool:
    return OrganizationMembership.objects.filter(organization=tenancy.org, user__email=email).exists()


# Who may manage invitations

ENDPOINTS = [
    ("invitation_create", False, {"emails": "ada@example.com", "org_role": OrgRole.MEMBER}),
    ("invitation_resend", True, {}),
    ("invitation_revoke", True, {}),
]


@pytest.fixture
def pending(tenancy, smtp_server):
    invite_through_the_page(tenancy, smtp_server, "pending@example.com")
    smtp_server.messages.clear()
    smtp_server.recipients.clear()
    return Invitation.objects.get(email="pending@example.com")


def endpoint(name, needs_pk, pending, org_slug="acme"):
    return reverse(name, args=[org_slug, pending.pk] if needs_pk else [org_slug])


@pytest.mark.parametrize(("name", "needs_pk", "data"), ENDPOINTS)
def test_anonymous_visitors_are_sent_to_login_and_nothing_changes(client, pending, smtp_server, name, needs_pk, data):
    before = state()
    url = endpoint(name, needs_pk, pending)
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"
    assert state() == before and smtp_server.messages == []


@pytest.mark.parametrize(("name", "needs_pk", "data"), ENDPOINTS)
def test_members_get_403_and_nothing_changes(login, tenancy, pending, smtp_server, name, needs_pk, data):
    before = state()
    response = login(tenancy.member).post(endpoint(name, needs_pk, pending), data)
    assert response.status_code == 403
    assert state() == before and smtp_server.messages == []


@pytest.mark.parametrize(("name", "needs_pk", "data"), ENDPOINTS)
def test_outsiders_get_404_and_nothing_changes(login, tenancy, pending, smtp_server, name, needs_pk, data):
    before = state()
    response = login(tenancy.outsider).post(endpoint(name, needs_pk, pending), data)
    assert response.status_code == 404
    assert state() == before and smtp_server.messages == []


@pytest.mark.parametrize("name", ["invitation_resend", "invitation_revoke"])
def test_another_organisations_invitation_is_404_even_under_ones_own_organisation(
    login, tenancy, pending, smtp_server, name
):
    before = state()
    response = login(tenancy.outsider).post(endpoint(name, True, pending, org_slug="globex"))
    assert response.status_code == 404
    assert state() == before and smtp_server.messages == []


@pytest.mark.parametrize("name", ["invitation_create", "invitation_resend", "invitation_revoke"])
def test_invitation_actions_take_only_post(login, tenancy, pending, name):
    response = login(tenancy.owner).get(endpoint(name, name != "invitation_create", pending))
    assert response.status_code == 405


# The members page


def test_owner_sees_the_invite_form_and_an_empty_state(login, tenancy):
    body = text(login(tenancy.owner).get(reverse("organization_members", args=["acme"])))
    assert 'id="invite-form"' in body
    assert f'hx-post="{reverse("invitation_create", args=["acme"])}"' in body
    assert "No pending invitations" in body
    # The workspace is picked by search-as-you-type: the page lists none of the organisation's workspaces.
    assert f'hx-get="{reverse("invitation_workspaces", args=["acme"])}"' in body
    assert "Analytics" not in body


def test_the_invite_forms_workspace_search_finds_a_few_of_the_organisations_workspaces(login, tenancy):
    from workspaces.models import Workspace

    Workspace.objects.bulk_create(Workspace(organization=tenancy.org, name=f"Team {i:02d}") for i in range(12))
    url = reverse("invitation_workspaces", args=["acme"])
    client = login(tenancy.owner)
    found = text(client.get(url, {"q": "team"}))
    assert re.findall(r'data-pick-label="([^"]+)"', found) == [f"Team {i:02d}" for i in range(8)]
    assert "and more match" in found
    assert re.findall(r'data-pick-label="([^"]+)"', text(client.get(url, {"q": "analy"}))) == ["Analytics"]
    assert "Globex" not in text(client.get(url, {"q": "globex"}))  # another tenant's workspace
    assert "Nothing matches “globex”" in text(client.get(url, {"q": "globex"}))
    assert login(tenancy.member).get(url, {"q": "team"}).status_code == 403
    assert login(tenancy.outsider).get(url, {"q": "team"}).status_code == 404


def test_the_members_page_stays_the_same_size_as_workspaces_grow(login, tenancy):
    from workspaces.models import Workspace

    client = login(tenancy.owner)
    before = len(text(client.get(reverse("organization_members", args=["acme"]))))
    Workspace.objects.bulk_create(Workspace(organization=tenancy.org, name=f"Team {i:03d}") for i in range(200))
    after = text(client.get(reverse("organization_members", args=["acme"])))
    assert "Team 000" not in after
    assert len(after) - before < 20, len(after) - before  # "201 workspaces" in the switcher, not a list of them


def test_owner_sees_pending_invitations_with_roles_inviter_sent_and_expiry(login, tenancy, invited):
    invitation = Invitation.objects.get()
    body = text(login(tenancy.owner).get(reverse("organization_members", args=["acme"])))
    row = body[body.index(f'id="invitation-{invitation.pk}"') :].split("</tr>")[0]
    assert "ada@example.com" in row
    assert "Member" in row and "Analytics · Operator" in row
    assert "Olive Owner" in row
    assert "now" in row  # sent
    assert f">{timezone.localtime(invitation.expires_at):%-d %b %Y}<" in row
    assert reverse("invitation_resend", args=["acme", invitation.pk]) in row
    assert reverse("invitation_revoke", args=["acme", invitation.pk]) in row
    assert 'hx-confirm="Revoke the invitation to ada@example.com? The link in their email stops working."' in row
    assert "No pending invitations" not in body


def test_expired_and_unsent_invitations_are_marked_in_the_list(login, tenancy, invited):
    Invitation.objects.update(expires_at=timezone.now() - timedelta(hours=1), sent_at=None)
    body = text(login(tenancy.owner).get(reverse("organization_members", args=["acme"])))
    assert "Expired" in body and "Not sent" in body


def test_accepted_and_revoked_invitations_leave_the_list(login, tenancy, invited):
    Invitation.objects.update(revoked_at=timezone.now())
    body = text(login(tenancy.owner).get(reverse("organization_members", args=["acme"])))
    assert 'id="invitation-' not in body and "No pending invitations" in body


def test_members_do_not_see_invitations(login, tenancy, invited):
    body = text(login(tenancy.member).get(reverse("organization_members", args=["acme"])))
    assert 'id="invite-form"' not in body and 'id="invitations"' not in body
    assert "ada@example.com" not in body


# Inviting through the page


def test_inviting_many_addresses_emails_each_and_reports_each(login, tenancy, smtp_server):
    response = login(tenancy.owner).post(
        reverse("invitation_create", args=["acme"]),
        {"emails": "a@example.com, b@example.com\nc@example.com", "org_role": OrgRole.OWNER},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("organization_members", args=["acme"]), 302)]
    body = text(response)
    for address in ("a@example.com", "b@example.com", "c@example.com"):
        assert f"Invited {address}." in body
        assert len(smtp_server.to(address)) == 1
    assert set(Invitation.objects.values_list("org_role", flat=True)) == {OrgRole.OWNER}
    assert AuditEvent.objects.filter(action="invitation.create", actor=tenancy.owner).count() == 3


def test_htmx_invite_answers_with_the_form_and_an_out_of_band_pending_list(login, tenancy, smtp_server):
    client = login(tenancy.owner)
    client.post(reverse("invitation_create", args=["acme"]), {"emails": "old@example.com", "org_role": "MEMBER"})
    response = client.post(
        reverse("invitation_create", args=["acme"]),
        {
            "emails": "new@example.com, member@acme.test, nonsense, old@example.com",
            "org_role": OrgRole.MEMBER,
            "workspace": tenancy.workspace.pk,
            "workspace_role": WorkspaceRole.AUTHOR,
        },
        **HTMX,
    )
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<form class="card mb-3" id="invite-form"')
    assert 'id="invitations" hx-swap-oob="true"' in body
    outcomes = body[body.index('id="invite-outcomes"') : body.index("</ul>")]
    assert 'data-result="invited"' in outcomes and "Invited new@example.com." in outcomes
    assert 'data-result="member"' in outcomes and "member@acme.test is already a member of Acme Data." in outcomes
    assert 'data-result="malformed"' in outcomes and "“nonsense” is not a valid email address." in outcomes
    assert 'data-result="pending"' in outcomes and "old@example.com already has a pending invitation" in outcomes
    old = Invitation.objects.get(email="old@example.com")
    assert reverse("invitation_resend", args=["acme", old.pk]) in outcomes  # resend offered
    assert ">nonsense</textarea>" in body  # left in the box to fix
    assert Invitation.objects.get(email="new@example.com").workspace_role == WorkspaceRole.AUTHOR
    assert sorted(Invitation.objects.values_list("email", flat=True)) == ["new@example.com", "old@example.com"]
    assert smtp_server.recipients == [["old@example.com"], ["new@example.com"]]


def test_inviting_an_existing_member_shows_a_message(login, tenancy, smtp_server):
    response = login(tenancy.owner).post(
        reverse("invitation_create", args=["acme"]), {"emails": "member@acme.test", "org_role": "MEMBER"}, follow=True
    )
    assert "member@acme.test is already a member of Acme Data." in text(response)
    assert not Invitation.objects.exists() and smtp_server.messages == []


def test_a_malformed_address_shows_a_message(login, tenancy, smtp_server):
    response = login(tenancy.owner).post(
        reverse("invitation_create", args=["acme"]), {"emails": "ada@", "org_role": "MEMBER"}, follow=True
    )
    assert "“ada@” is not a valid email address." in text(response)
    assert not Invitation.objects.exists() and smtp_server.messages == []


def test_a_bad_role_is_refused_with_the_input_kept(login, tenancy, smtp_server):
    before = state()
    response = login(tenancy.owner).post(
        reverse("invitation_create", args=["acme"]), {"emails": "ada@example.com", "org_role": "ADMIN"}
    )
    assert response.status_code == 400
    body = text(response)
    assert "Select a valid choice. ADMIN is not one of the available choices." in body
    assert ">ada@example.com</textarea>" in body
    assert state() == before and smtp_server.messages == []


def test_another_organisations_workspace_is_refused(login, tenancy, smtp_server):
    before = state()
    response = login(tenancy.owner).post(
        reverse("invitation_create", args=["acme"]),
        {"emails": "ada@example.com", "org_role": "MEMBER", "workspace": tenancy.other_workspace.pk},
        **HTMX,
    )
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith('<form class="card mb-3" id="invite-form"')
    assert "Select a valid choice" in body
    assert state() == before and smtp_server.messages == []


def test_an_empty_list_is_refused(login, tenancy, smtp_server):
    response = login(tenancy.owner).post(
        reverse("invitation_create", args=["acme"]), {"emails": " , ", "org_role": "MEMBER"}
    )
    assert response.status_code == 400
    assert "Enter at least one email address." in text(response)


# Resending and revoking through the page


def test_resend_mails_a_new_link_and_the_old_one_stops_working(login, tenancy, smtp_server, invited):
    invitation = Invitation.objects.get()
    response = login(tenancy.owner).post(reverse("invitation_resend", args=["acme", invitation.pk]), **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == reverse("organization_members", args=["acme"]) + "#invitations"
    new_link = urlsplit(link_in(smtp_server.messages[-1])).path
    assert new_link != invited
    assert_audited("invitation.resend", actor=tenancy.owner, organization=tenancy.org)
    assert Invitation.objects.get().send_count == 2

    visitor = Client()
    old = visitor.get(invited)
    assert old.status_code == 404
    assert "This invitation link does not work" in text(old)
    assert visitor.get(new_link).status_code == 200


def test_revoke_ends_the_link(login, tenancy, smtp_server, invited):
    invitation = Invitation.objects.get()
    response = login(tenancy.owner).post(reverse("invitation_revoke", args=["acme", invitation.pk]), follow=True)
    assert "The invitation to ada@example.com was revoked; its link no longer works." in text(response)
    assert_audited("invitation.revoke", actor=tenancy.owner, organization=tenancy.org)

    page = Client().get(invited)
    assert page.status_code == 410
    assert "This invitation was withdrawn" in text(page)
    # A revoked invitation is no longer in the list, so it cannot be revoked or resent again.
    response = login(tenancy.owner).post(reverse("invitation_resend", args=["acme", invitation.pk]))
    assert response.status_code == 404


# The accept page


def test_the_link_shows_who_invited_whom_to_what(tenancy, invited):
    response = Client().get(invited)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = text(response)
    assert "Join Acme Data" in body
    assert "Olive Owner" in body and "ada@example.com" in body
    assert "Analytics" in body and "Operator" in body
    assert "Create your account to accept" in body


def test_new_user_signs_up_with_the_invited_address_and_is_joined(tenancy, invited):
    visitor = Client()
    response = visitor.post(invited, {"action": "signup"})
    signup = f"{reverse('account_signup')}?{urlencode({'next': invited})}"
    assert response.status_code == 302 and response["Location"] == signup

    page = text(visitor.get(signup))
    assert 'value="ada@example.com"' in page
    assert "Create your account with ada@example.com to join Acme Data." in page

    # The sign-up form takes only the invited address.
    wrong = visitor.post(signup, {"email": "eve@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert wrong.status_code == 200
    assert "This invitation is for ada@example.com." in text(wrong)
    assert not User.objects.filter(email="eve@example.com").exists()

    response = visitor.post(
        signup, {"email": "ada@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, follow=True
    )
    assert response.redirect_chain[0] == (invited, 302)
    assert response.redirect_chain[-1] == (reverse("organization_home", args=["acme"]), 302)
    assert "You joined Acme Data." in text(response)
    user = User.objects.get(email="ada@example.com")
    assert OrganizationMembership.objects.get(organization=tenancy.org, user=user).role == OrgRole.MEMBER
    assert WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, user=user).role == WorkspaceRole.OPERATOR
    assert EmailAddress.objects.get(user=user).verified  # the link proved the mailbox
    invitation = Invitation.objects.get()
    assert invitation.status == "ACCEPTED" and invitation.accepted_by == user
    assert_audited("invitation.accept", actor=user, organization=tenancy.org)


def test_an_invitation_opens_sign_up_even_when_it_is_closed(tenancy, invited, settings):
    settings.ACCOUNT_ALLOW_SIGNUP = False
    visitor = Client()
    assert "Sign Up Closed" in text(visitor.get(reverse("account_signup")))
    visitor.post(invited, {"action": "signup"})
    visitor.post(
        f"{reverse('account_signup')}?{urlencode({'next': invited})}",
        {"email": "ada@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert joined(tenancy, "ada@example.com")


def test_existing_user_logs_in_and_is_joined(tenancy, invited):
    UserFactory(email="ada@example.com")
    visitor = Client()
    page = text(visitor.get(invited))
    assert "Log in to accept" in page and "Create your account" not in page

    response = visitor.post(invited, {"action": "login"})
    login_url = f"{reverse('account_login')}?{urlencode({'next': invited})}"
    assert response["Location"] == login_url
    assert "Log in as ada@example.com to join Acme Data." in text(visitor.get(login_url))

    response = visitor.post(login_url, {"login": "ada@example.com", "password": PASSWORD, "next": invited}, follow=True)
    assert response.redirect_chain[0] == (invited, 302)
    assert response.redirect_chain[-1] == (reverse("organization_home", args=["acme"]), 302)
    assert "You joined Acme Data." in text(response)
    assert joined(tenancy, "ada@example.com")
    assert AuditEvent.objects.filter(action="invitation.accept").count() == 1


def test_logged_in_invitee_confirms_and_is_joined(tenancy, invited):
    user = UserFactory(email="ada@example.com")
    visitor = Client()
    visitor.force_login(user)
    page = visitor.get(invited)
    assert page.status_code == 200
    assert 'value="accept"' in text(page) and "You are logged in as ada@example.com." in text(page)
    assert not joined(tenancy, "ada@example.com")  # looking is not accepting

    response = visitor.post(invited, {"action": "accept"})
    assert response.status_code == 302 and response["Location"] == reverse("organization_home", args=["acme"])
    assert joined(tenancy, "ada@example.com")
    assert WorkspaceRoleBinding.objects.filter(workspace=tenancy.workspace, user=user, role="OPERATOR").exists()
    assert_audited("invitation.accept", actor=user, organization=tenancy.org)


def test_the_wrong_logged_in_user_is_told_and_nothing_is_joined(tenancy, invited):
    visitor = Client()
    visitor.force_login(tenancy.outsider)
    for response in (visitor.get(invited), visitor.post(invited, {"action": "accept"})):
        assert response.status_code == 403
        body = plain(response)
        assert "This invitation is for ada@example.com; you are logged in as outsider@globex.test." in body
        assert "Log out and continue" in body
    assert not OrganizationMembership.objects.filter(organization=tenancy.org, user=tenancy.outsider).exists()
    assert Invitation.objects.get().status == "PENDING"

    # Logging out comes back to the link, logged out.
    response = visitor.post(reverse("account_logout"), {"next": invited}, follow=True)
    assert response.redirect_chain[-1] == (invited, 302)
    assert "Create your account to accept" in text(response)


def test_logging_in_as_someone_else_after_choosing_to_accept_joins_nothing(tenancy, invited):
    visitor = Client()
    visitor.post(invited, {"action": "login"})
    response = visitor.post(
        reverse("account_login"), {"login": "outsider@globex.test", "password": PASSWORD, "next": invited}, follow=True
    )
    assert response.status_code == 403
    assert "This invitation is for ada@example.com; you are logged in as outsider@globex.test." in plain(response)
    assert not OrganizationMembership.objects.filter(organization=tenancy.org, user=tenancy.outsider).exists()


def test_an_expired_link_says_so(tenancy, invited):
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    visitor = Client()
    for response in (visitor.get(invited), visitor.post(invited, {"action": "signup"})):
        assert response.status_code == 410
        assert "This invitation has expired" in text(response)
        assert "Ask Olive Owner to send it again." in text(response)
    assert "aerodrome_invitation" not in visitor.session


def test_a_used_link_cannot_be_used_again(tenancy, invited):
    user = UserFactory(email="ada@example.com")
    first = Client()
    first.force_login(user)
    first.post(invited, {"action": "accept"})

    # The one who accepted is simply taken to the organisation; anyone else is told the link was used.
    assert first.get(invited)["Location"] == reverse("organization_home", args=["acme"])
    response = Client().post(invited, {"action": "signup"})
    assert response.status_code == 410
    assert "This invitation has already been used" in text(response)
    other = Client()
    other.force_login(tenancy.outsider)
    assert other.post(invited, {"action": "accept"}).status_code == 410
    assert AuditEvent.objects.filter(action="invitation.accept").count() == 1


@pytest.mark.parametrize("token", ["A" * 43, "nonsense", "x" * 300])
def test_an_unknown_link_is_404(client, db, token):
    response = client.get(reverse("invitation_accept", args=[token]))
    assert response.status_code == 404
    assert "This invitation link does not work" in text(response)


def test_new_user_is_joined_even_when_email_verification_is_mandatory(tenancy, invited, settings, smtp_server):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    visitor = Client()
    visitor.post(invited, {"action": "signup"})
    response = visitor.post(
        f"{reverse('account_signup')}?{urlencode({'next': invited})}",
        {"email": "ada@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1] == (reverse("organization_home", args=["acme"]), 302)
    assert joined(tenancy, "ada@example.com")
    assert len(smtp_server.messages) == 1  # no confirmation email: following the link proved the address


def test_the_sign_up_form_shows_the_invited_address_locked_and_refuses_a_tampered_one(tenancy, invited):
    visitor = Client()
    visitor.post(invited, {"action": "signup"})
    signup = f"{reverse('account_signup')}?{urlencode({'next': invited})}"
    page = text(visitor.get(signup))
    [email_input] = re.findall(r'<input[^>]*name="email"[^>]*>', page)
    assert 'value="ada@example.com"' in email_input
    assert "readonly" in email_input
    assert 'aria-describedby="id_email_helptext"' in email_input
    assert "This invitation is for ada@example.com" in page  # the hint beside the locked box

    # A POST that changes the locked box anyway is refused, and makes no account.
    tampered = visitor.post(signup, {"email": "eve@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert tampered.status_code == 200
    assert "This invitation is for ada@example.com." in text(tampered)
    assert not User.objects.filter(email="eve@example.com").exists()


def test_the_sign_up_form_without_an_invitation_leaves_the_email_box_open(client, db):
    page = text(client.get(reverse("account_signup")))
    [email_input] = re.findall(r'<input[^>]*name="email"[^>]*>', page)
    assert "readonly" not in email_input
