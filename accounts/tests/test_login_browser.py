"""The login page in a real browser: nothing shows in red before the person has typed and sent a password."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect_nothing_red(page):
    expect(page.locator(".is-invalid")).to_have_count(0)
    expect(page.locator(".invalid-feedback:visible, .alert-danger:visible, .text-danger:visible")).to_have_count(0)


def test_the_email_step_then_the_password_step_show_no_error_before_a_password_is_sent(page, tenancy):
    page.goto("/accounts/login/")
    expect_nothing_red(page)

    # Enter right after the address, as people do: the server answers with the password step.
    page.get_by_label("Email").fill(tenancy.owner.email)
    page.get_by_label("Email").press("Enter")
    password = page.get_by_label("Password")
    expect(password).to_be_visible()
    expect(password).to_be_focused()
    expect(page.get_by_label("Email")).to_have_value(tenancy.owner.email)
    expect_nothing_red(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "login-password-step.png"))

    password.fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Acme Data")).to_be_visible()


def test_a_wrong_password_is_shown_in_red(page, tenancy):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(tenancy.owner.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("not correct")
