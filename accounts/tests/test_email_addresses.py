"""Internationalised email domains (issue 9, section 4): `jurgen@exämple.de` is accepted wherever an address is typed
(the invite form and API, sign-up, login), and it is one person whether the domain comes as typed or as the punycode
a browser's email box sends (`jurgen@xn--exmple-cua.de`). Aerodrome stores the domain in Unicode, lower case
(IDNA 2008 / UTS 46), and turns every address it is given into that form before it compares or saves it."""

from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts.invitations import services as invitations
from accounts.models import Invitation, OrganizationMembership, User
from accounts.tests.api_helpers import api_client
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.invitations.test_invitations import link_in
from accounts.tests.page_helpers import text
from aerodrome.validation import normalize_email

pytestmark = pytest.mark.django_db

UNICODE, PUNYCODE = "jurgen@exämple.de", "jurgen@xn--exmple-cua.de"
NEW_PASSWORD = "a-long-unusual-passphrase"


@pytest.mark.parametrize(
    "typed",
    [UNICODE, PUNYCODE, "Jurgen@EXÄMPLE.de", "jurgen@exa\u0308mple.de", " jurgen@XN--EXMPLE-CUA.DE "],
    ids=["unicode", "punycode", "upper case", "decomposed umlaut", "spaces, upper punycode"],
)
def test_every_spelling_of_an_idn_address_normalises_to_one(typed):
    assert normalize_email(typed) == UNICODE


def test_ascii_addresses_are_only_lower_cased():
    assert normalize_email(" Ada@Example.COM ") == "ada@example.com"


def test_the_invite_form_accepts_an_idn_address_and_emails_it(login, tenancy, smtp_server):
    response = login(tenancy.owner).post(
        reverse("invitation_create", args=["acme"]), {"emails": "Jurgen@EXÄMPLE.de", "org_role": "MEMBER"}, follow=True
    )
    assert f"Invited {UNICODE}." in text(response)
    assert Invitation.objects.get().email == UNICODE
    assert smtp_server.recipients == [[PUNYCODE]]  # on the wire, the domain goes as punycode


def test_the_same_address_in_punycode_is_the_same_invitation(tenancy, smtp_server):
    invite = invitations.invitations_create
    [first] = invite(actor=tenancy.owner, organization=tenancy.org, emails=[UNICODE])
    [again] = invite(actor=tenancy.owner, organization=tenancy.org, emails=[PUNYCODE])
    assert first.result == "invited"
    assert again.result == "pending" and again.invitation == first.invitation
    assert Invitation.objects.count() == 1
    outcomes = invite(actor=tenancy.owner, organization=tenancy.org, emails=[f"{PUNYCODE}, {UNICODE.upper()}"])
    assert [o.result for o in outcomes] == ["pending"]  # one address, once


def test_a_member_with_an_idn_address_is_recognised_in_punycode(tenancy, smtp_server):
    jurgen = UserFactory(email=UNICODE)
    OrganizationMembership.objects.create(organization=tenancy.org, user=jurgen)
    [outcome] = invitations.invitations_create(actor=tenancy.owner, organization=tenancy.org, emails=[PUNYCODE])
    assert outcome.result == "member"


def test_the_api_accepts_an_idn_address(tenancy, smtp_server):
    response = api_client(tenancy.owner).post(
        "/api/v1/organizations/acme/invitations/", {"emails": [PUNYCODE], "org_role": "MEMBER"}, format="json"
    )
    assert response.status_code == 201, response.content
    [result] = response.json()["results"]
    assert result["email"] == UNICODE and result["result"] == "invited"
    assert result["invitation"]["email"] == UNICODE


def test_accounts_are_saved_with_the_unicode_domain_whatever_the_spelling():
    user = User.objects.create_user(PUNYCODE.upper(), password=PASSWORD)
    assert user.email == UNICODE


def test_sign_up_with_the_punycode_a_browser_sends_stores_one_address(client):
    response = client.post(
        reverse("account_signup"), {"email": PUNYCODE, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert list(User.objects.values_list("email", flat=True)) == [UNICODE]
    # Signing up again in the other spelling makes no second account.
    Client().post(reverse("account_signup"), {"email": UNICODE, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert User.objects.count() == 1


@pytest.mark.parametrize("typed", [UNICODE, PUNYCODE, "Jurgen@EXÄMPLE.DE"])
def test_login_works_in_either_spelling(client, typed):
    UserFactory(email=UNICODE)
    response = client.post(reverse("account_login"), {"login": typed, "password": PASSWORD})
    assert response.status_code == 302, text(response)
    assert client.session.get("_auth_user_id")


def test_an_idn_invitee_signs_up_from_a_browser_that_sends_punycode_and_joins(tenancy, smtp_server):
    invitations.invitations_create(actor=tenancy.owner, organization=tenancy.org, emails=[UNICODE])
    invited = urlsplit(link_in(smtp_server.messages[0])).path
    visitor = Client()
    visitor.post(invited, {"action": "signup"})
    response = visitor.post(
        f"{reverse('account_signup')}?{urlencode({'next': invited})}",
        {"email": PUNYCODE, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1] == (reverse("organization_home", args=["acme"]), 302), text(response)
    assert OrganizationMembership.objects.filter(organization=tenancy.org, user__email=UNICODE).exists()


def test_an_existing_account_accepts_an_invitation_addressed_in_the_other_spelling(tenancy, smtp_server):
    jurgen = UserFactory(email=UNICODE)
    invitations.invitations_create(actor=tenancy.owner, organization=tenancy.org, emails=[PUNYCODE])
    invited = urlsplit(link_in(smtp_server.messages[0])).path
    visitor = Client()
    visitor.force_login(jurgen)
    response = visitor.post(invited, {"action": "accept"})
    assert response.status_code == 302 and response["Location"] == reverse("organization_home", args=["acme"])
    assert OrganizationMembership.objects.filter(organization=tenancy.org, user=jurgen).exists()


def test_the_migration_normalises_stored_addresses_and_leaves_a_clash_alone(tenancy):
    import importlib

    from allauth.account.models import EmailAddress
    from django.apps import apps

    migration = importlib.import_module("accounts.migrations.0004_normalize_email_domains")
    legacy = UserFactory(email="legacy@example.com")
    User.objects.filter(pk=legacy.pk).update(email="Legacy@XN--EXMPLE-CUA.DE")  # as saved before, unnormalised
    EmailAddress.objects.create(user=legacy, email="Legacy@XN--EXMPLE-CUA.DE", verified=True, primary=True)
    twin = UserFactory(email="twin@example.com")
    UserFactory(email="twin@exämple.de")
    User.objects.filter(pk=twin.pk).update(email=f"twin@{PUNYCODE.split('@')[1]}")

    migration.forwards(apps, None)

    assert User.objects.get(pk=legacy.pk).email == "legacy@exämple.de"
    assert EmailAddress.objects.get(user=legacy).email == "legacy@exämple.de"
    assert User.objects.get(pk=twin.pk).email == "twin@xn--exmple-cua.de"  # the same person twice: for staff


def test_an_idn_address_added_on_the_email_page_is_stored_in_unicode(client):
    user = UserFactory(email="ada@example.com")
    client.force_login(user)
    response = client.post("/accounts/email/", {"action_add": "", "email": PUNYCODE})
    assert response.status_code == 302
    assert user.emailaddress_set.filter(email=UNICODE).exists()
