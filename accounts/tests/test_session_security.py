"""Session security: a new session key at login, rate-limited failed logins, and signing out other sessions."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def log_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_login_rotates_the_session_key(client, tenancy):
    client.get(reverse("account_login"))
    client.session.save()
    before = client.session.session_key

    response = log_in(client, tenancy.owner.email)

    assert response.status_code == 302
    assert client.session.session_key and client.session.session_key != before


def test_repeated_failed_logins_are_refused_even_with_the_right_password(client, tenancy):
    for _ in range(5):
        assert log_in(client, tenancy.owner.email, "wrong-password").status_code == 200

    response = log_in(client, tenancy.owner.email)

    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_failed_logins_of_one_account_do_not_lock_out_another(client, tenancy):
    for _ in range(5):
        log_in(client, tenancy.owner.email, "wrong-password")
    assert log_in(Client(), tenancy.member.email).status_code == 302


def test_log_out_other_sessions_keeps_this_one(tenancy):
    laptop, phone = Client(), Client()
    log_in(laptop, tenancy.owner.email)
    log_in(phone, tenancy.owner.email)
    assert phone.get(reverse("profile")).status_code == 200

    response = laptop.post(reverse("logout_other_sessions"), follow=True)

    assert "Signed out of every other session." in response.content.decode()
    assert laptop.get(reverse("profile")).status_code == 200
    assert phone.get(reverse("profile")).status_code == 302  # back to the login page
    assert AuditEvent.objects.filter(action="user.logout_other_sessions", actor=tenancy.owner).count() == 1


def test_log_out_other_sessions_needs_a_post_and_a_login(client, tenancy):
    assert client.post(reverse("logout_other_sessions")).status_code == 302
    client.force_login(tenancy.owner)
    assert client.get(reverse("logout_other_sessions")).status_code == 405


def test_profile_lists_the_users_organisations(client, tenancy):
    client.force_login(tenancy.member)
    page = client.get(reverse("profile")).content.decode()
    assert "Acme Data" in page and "Globex" not in page
