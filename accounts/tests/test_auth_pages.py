"""Login, sign-up, password reset and email change come from django-allauth, styled as ours."""

import re

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_asks_for_email_and_password(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="email"' in html and 'type="password"' in html
    assert "tabler.min.css" in html


def test_password_login_lands_on_the_organisation_list_for_a_user_without_one(client):
    user = UserFactory(email="new@example.com")
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/orgs/"
    assert "You are not in any organisation yet" in response.content.decode()


def test_wrong_password_is_refused_with_a_message(client):
    UserFactory(email="someone@example.com")
    response = client.post("/accounts/login/", {"login": "someone@example.com", "password": "nope"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_empty_password_sent_from_the_password_step_is_refused_in_red(client):
    UserFactory(email="someone@example.com")
    response = client.post("/accounts/login/", {"login": "someone@example.com", "password": "", "step": "password"})
    assert response.status_code == 200
    body = response.content.decode()
    assert '<div class="invalid-feedback d-block">Enter your password.</div>' in body
    assert "is-invalid" in body
    assert "_auth_user_id" not in client.session


def test_sign_up_creates_an_account_with_email_as_login(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "Fresh@Example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(email="fresh@example.com").exists()


def test_sign_up_can_be_turned_off(client, settings):
    settings.ACCOUNT_ALLOW_SIGNUP = False
    response = client.get("/accounts/signup/")
    assert "Sign Up Closed" in response.content.decode()
    client.post(
        "/accounts/signup/",
        {
            "email": "late@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert not User.objects.filter(email="late@example.com").exists()


def test_password_reset_sends_a_link_by_email(client):
    UserFactory(email="forgetful@example.com")
    response = client.post("/accounts/password/reset/", {"email": "forgetful@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["forgetful@example.com"]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_email_page_lets_a_signed_in_user_change_their_address(client):
    user = UserFactory(email="mover@example.com")
    client.force_login(user)
    response = client.get("/accounts/email/")
    assert response.status_code == 200
    assert "mover@example.com" in response.content.decode()
    response = client.post("/accounts/email/", {"action_add": "", "email": "moved@example.com"})
    assert response.status_code == 302
    assert user.emailaddress_set.filter(email="moved@example.com").exists()


def test_logout_needs_a_post_and_ends_the_session(client):
    client.force_login(UserFactory())
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session


# Nothing tells whether an address has an account (ACCOUNT_PREVENT_ENUMERATION)


class CountingHasher(MD5PasswordHasher):
    """The test suite's fast hasher, counting how often a password is hashed (the slow step in production)."""

    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


def _page_without(body: str, address: str) -> str:
    body = body.replace(address, "ADDRESS")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", body)


def test_signing_up_with_a_taken_address_answers_exactly_like_a_new_one(settings):
    settings.PASSWORD_HASHERS = ["accounts.tests.test_auth_pages.CountingHasher"]
    UserFactory(email="taken@example.com")
    answers, work = {}, {}
    for address in ("taken@example.com", "newcomer@example.com"):
        visitor = Client()
        sent, hashed = len(mail.outbox), CountingHasher.calls
        response = visitor.post(
            "/accounts/signup/",
            {"email": address, "password1": "a-long-unusual-passphrase", "password2": "a-long-unusual-passphrase"},
        )
        page = visitor.get(response["Location"])
        answers[address] = (
            response.status_code,
            response["Location"],
            page.status_code,
            _page_without(page.content.decode(), address),
            "_auth_user_id" in visitor.session,
        )
        work[address] = (len(mail.outbox) - sent, CountingHasher.calls - hashed, mail.outbox[-1].to)

    assert answers["taken@example.com"] == answers["newcomer@example.com"]
    assert answers["newcomer@example.com"][:2] == (302, "/accounts/confirm-email/")
    assert not answers["newcomer@example.com"][-1]  # nobody is logged in before confirming the address
    # The same work on both paths: one email to the address (a confirmation link, or "you already have an
    # account"), one password hashed.
    assert work["taken@example.com"] == (1, 1, ["taken@example.com"])
    assert work["newcomer@example.com"] == (1, 1, ["newcomer@example.com"])
    assert User.objects.filter(email="newcomer@example.com").exists()
    assert User.objects.filter(email="taken@example.com").count() == 1


def test_password_reset_answers_the_same_for_an_unknown_address(client):
    UserFactory(email="known@example.com")
    answers = {}
    for address in ("known@example.com", "unknown@example.com"):
        visitor = Client()
        response = visitor.post("/accounts/password/reset/", {"email": address})
        page = visitor.get(response["Location"])
        answers[address] = (response.status_code, response["Location"], _page_without(page.content.decode(), address))
    assert answers["known@example.com"] == answers["unknown@example.com"]
    assert [m.to for m in mail.outbox] == [["known@example.com"], ["unknown@example.com"]]


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(client):
    UserFactory(email="known@example.com")
    answers = {}
    for address in ("known@example.com", "unknown@example.com"):
        response = Client().post("/accounts/login/", {"login": address, "password": "wrong-password"})
        answers[address] = (response.status_code, _page_without(response.content.decode(), address))
    assert answers["known@example.com"] == answers["unknown@example.com"]


def test_a_new_account_confirms_its_address_from_the_email_and_logs_in(client):
    client.post(
        "/accounts/signup/",
        {
            "email": "confirmer@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    [message] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+)", message.body).group(1)
    client.post(link)
    user = User.objects.get(email="confirmer@example.com")
    assert user.emailaddress_set.get().verified
    response = client.post(
        "/accounts/login/", {"login": "confirmer@example.com", "password": "a-long-unusual-passphrase"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/orgs/"
    assert client.session["_auth_user_id"] == str(user.pk)
