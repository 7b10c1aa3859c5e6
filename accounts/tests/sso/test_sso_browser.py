"""Single sign-on in a real browser: Chromium (Playwright) goes through the whole redirect flow between Aerodrome's
live server and a real OpenID Connect provider (npm oidc-provider, the `browser_idp` fixture)."""

import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from playwright.sync_api import expect

from accounts.models import OrganizationMembership, SSOBypassLink, TeamMembership, User
from accounts.sso import services as sso
from accounts.tests.factories import PASSWORD
from accounts.tests.sso.oidc_harness import CLIENT_ID, CLIENT_SECRET
from accounts.tests.sso.sso_helpers import configure_sso

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
CALLBACK = re.compile(r".*/accounts/oidc/org-acme/login/callback/.*")
IDP_LOGIN_POST = re.compile(r".*/interaction/[^/]+/login$")

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def team_names(email: str) -> set[str]:
    return set(TeamMembership.objects.filter(user__email=email).values_list("team__name", flat=True))


def continue_with_sso(page, email: str) -> None:
    """The login page's email step, up to the organisation's IdP."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    expect(page.locator("#login-submit")).to_have_text("Continue with single sign-on")
    expect(page.get_by_label("Password")).to_be_hidden()
    page.locator("#login-submit").click()
    expect(page.get_by_role("heading", name="Test IdP sign-in")).to_be_visible()


def sign_in_at_idp(page, email: str | None = None) -> None:
    if email is not None:
        page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Sign in to the test IdP").click()


def log_out(page) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Log out").click()


def idp_answer(route, page) -> str:
    """Lets the test IdP handle its routed login form post, and follows its redirects up to the callback URL it
    sends the browser back to. (Playwright routes no redirected request, so the callback itself cannot be.)"""
    response = route.fetch(max_redirects=0)
    location = urljoin(response.url, response.headers["location"])
    while not CALLBACK.match(location):
        response = page.context.request.get(location, max_redirects=0)
        location = urljoin(response.url, response.headers["location"])
    return location


def expect_refused(page, title: str) -> None:
    expect(page.get_by_test_id("sso-error-title")).to_have_text(title)
    expect(page.get_by_role("link", name="Back to sign in")).to_be_visible()


def test_first_sso_login_creates_the_user_in_its_organisation_and_teams_and_the_next_login_syncs_them(
    page, tenancy, browser_idp
):
    configure_sso(tenancy.org, browser_idp.issuer)
    page.goto("/accounts/login/")
    expect(page.get_by_label("Password")).to_be_hidden()  # email first
    expect(page.locator("#login-submit")).to_have_text("Continue")
    expect(page.get_by_text("Your organisation signs in through its identity provider.")).to_be_hidden()
    screenshot(page, "login-email-first.png")
    page.get_by_label("Email").fill("grace@acme.test")
    expect(page.locator("#login-submit")).to_have_text("Continue with single sign-on")
    expect(page.get_by_text("Your organisation signs in through its identity provider.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in with a password instead")).to_be_visible()
    screenshot(page, "login-sso-domain.png")
    page.locator("#login-submit").click()

    expect(page.get_by_label("Email")).to_have_value("grace@acme.test")  # the IdP got the login_hint
    sign_in_at_idp(page)
    expect(page.get_by_role("heading", name="Acme Data")).to_be_visible()
    grace = User.objects.get(email="grace@acme.test")
    assert grace.full_name == "Grace Hopper"
    assert OrganizationMembership.objects.get(user=grace).organization == tenancy.org
    assert team_names("grace@acme.test") == {"Data Engineering", "Platform"}

    log_out(page)
    browser_idp.set_groups("grace@acme.test", ["data-engineers"])
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("grace@acme.test")
    expect(page.locator("#login-submit")).to_have_text("Continue with single sign-on")
    page.locator("#login-submit").click()  # the IdP still knows this browser: straight back
    expect(page.get_by_role("heading", name="Acme Data")).to_be_visible()
    assert team_names("grace@acme.test") == {"Data Engineering"}
    assert User.objects.filter(email="grace@acme.test").count() == 1


def test_other_domains_still_sign_in_with_a_password(page, tenancy, browser_idp):
    configure_sso(tenancy.org, browser_idp.issuer)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(tenancy.outsider.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Globex")).to_be_visible()


def test_an_address_outside_the_managed_domains_is_refused_without_creating_an_account(page, tenancy, browser_idp):
    configure_sso(tenancy.org, browser_idp.issuer)
    continue_with_sso(page, "ada@acme.test")
    sign_in_at_idp(page, "mallory@elsewhere.test")
    expect_refused(page, "This address is not managed here")
    expect(page.get_by_text("mallory@elsewhere.test is not in a domain Acme Data manages")).to_be_visible()
    screenshot(page, "sso-refused-domain.png")
    assert not User.objects.filter(email="mallory@elsewhere.test").exists()
    assert not SocialAccount.objects.exists()


def test_enforced_sso_blocks_the_password_form_and_a_bypass_link_lets_one_login_through(
    page, browser, live_server, tenancy, browser_idp
):
    configure_sso(tenancy.org, browser_idp.issuer, enforce_sso=True)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(tenancy.owner.email)
    expect(page.locator("#login-submit")).to_have_text("Continue with single sign-on")
    expect(page.get_by_label("Password")).to_be_hidden()
    expect(page.get_by_role("link", name="Sign in with a password instead")).to_be_hidden()

    # Without JavaScript the password field shows, and the server refuses it.
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        plain = context.new_page()
        plain.goto("/accounts/login/")
        plain.get_by_label("Email").fill(tenancy.owner.email)
        plain.get_by_label("Password").fill(PASSWORD)
        plain.get_by_role("button", name="Sign in").click()
        expect(plain.get_by_test_id("login-error")).to_contain_text(
            "Acme Data requires single sign-on for @acme.test addresses"
        )
        screenshot(plain, "login-sso-enforced.png")
        plain.goto("/orgs/")  # not signed in
        expect(plain).to_have_url(re.compile(r"/accounts/login/\?next=/orgs/$"))
    finally:
        context.close()

    link, token = sso.sso_bypass_link_create(actor=tenancy.owner, organization=tenancy.org)
    page.goto(f"/accounts/sso/bypass/{token}/")
    expect(page.get_by_text("One-time password sign-in for Acme Data")).to_be_visible()
    page.get_by_label("Email").fill(tenancy.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Acme Data")).to_be_visible()
    link.refresh_from_db()
    assert link.used_by == tenancy.owner

    log_out(page)
    page.goto(f"/accounts/sso/bypass/{token}/")
    expect_refused(page, "This bypass link cannot be used")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(tenancy.owner.email)
    expect(page.locator("#login-submit")).to_have_text("Continue with single sign-on")
    assert SSOBypassLink.objects.filter(used_at__isnull=True).count() == 0


def test_a_tampered_state_is_rejected_with_a_readable_page(page, tenancy, browser_idp):
    configure_sso(tenancy.org, browser_idp.issuer)
    continue_with_sso(page, "ada@acme.test")

    def tamper(route):
        callback = re.sub(r"state=[^&]+", "state=tampered", idp_answer(route, page))
        route.fulfill(status=303, headers={"location": callback})

    page.route(IDP_LOGIN_POST, tamper)
    sign_in_at_idp(page)
    expect_refused(page, "This sign-in attempt has expired")
    screenshot(page, "sso-bad-state.png")
    assert not User.objects.filter(email="ada@acme.test").exists()


def test_an_expired_state_is_rejected_with_a_readable_page(page, live_server, tenancy, browser_idp):
    configure_sso(tenancy.org, browser_idp.issuer)
    continue_with_sso(page, "ada@acme.test")
    session_key = next(c["value"] for c in page.context.cookies(live_server.url) if c["name"] == "sessionid")
    session = SessionStore(session_key)
    session["socialaccount_states"] = {
        state_id: [state, started - 3600, provider_id]  # started an hour ago; allauth allows ten minutes
        for state_id, (state, started, provider_id) in session["socialaccount_states"].items()
    }
    session.save()
    sign_in_at_idp(page)
    expect_refused(page, "This sign-in attempt has expired")
    assert not User.objects.filter(email="ada@acme.test").exists()


def test_an_idp_that_goes_down_during_the_login_is_a_readable_page(page, tenancy, browser_idp):
    configure_sso(tenancy.org, browser_idp.issuer)
    continue_with_sso(page, "ada@acme.test")

    def idp_goes_down(route):
        callback = idp_answer(route, page)
        browser_idp.stop()  # from now on Aerodrome meets a refused connection
        route.fulfill(status=303, headers={"location": callback})

    page.route(IDP_LOGIN_POST, idp_goes_down)
    sign_in_at_idp(page)
    expect_refused(page, "Your identity provider is unreachable")
    screenshot(page, "sso-idp-down.png")
    assert not User.objects.filter(email="ada@acme.test").exists()


def test_an_id_token_for_another_audience_is_rejected_with_a_readable_page(page, tenancy, browser_idp):
    configure_sso(tenancy.org, browser_idp.issuer)
    browser_idp.set_mode("wrong-audience")
    continue_with_sso(page, "ada@acme.test")
    sign_in_at_idp(page)
    expect_refused(page, "Token for another application")
    assert not User.objects.filter(email="ada@acme.test").exists()
    assert not SocialAccount.objects.exists()


def test_owner_configures_sso_maps_a_group_and_creates_a_bypass_link(page, tenancy, browser_idp):
    from accounts.tests.factories import TeamFactory

    TeamFactory(organization=tenancy.org, name="Data Engineering")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(tenancy.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="SSO").click()
    expect(page.get_by_test_id("sso-status")).to_have_text("Not configured")

    form = page.locator("#sso-connection-form")
    form.get_by_label("Issuer URL").fill(browser_idp.issuer)
    form.get_by_label("Client ID").fill(CLIENT_ID)
    form.get_by_label("Client secret").fill(CLIENT_SECRET)
    form.get_by_label("Email domains").fill("acme.test")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Single sign-on settings saved.")).to_be_visible()
    expect(page.get_by_test_id("sso-status")).to_contain_text("Enabled")
    expect(page.get_by_test_id("secret-set")).to_be_visible()
    expect(page.locator("#id_client_secret")).to_have_value("")

    mapping = page.locator("#sso-mapping-form")
    mapping.get_by_label("IdP group").fill("data-engineers")
    mapping.get_by_label("Team").select_option(label="Data Engineering")
    mapping.get_by_role("button", name="Map").click()
    expect(page.locator("#sso-mappings-table")).to_contain_text("data-engineers")

    page.get_by_role("button", name="Create a one-time bypass link").click()
    expect(page.get_by_test_id("new-bypass")).to_contain_text("shown only once")
    expect(page.get_by_label("Bypass link")).to_have_value(re.compile(r"/accounts/sso/bypass/[\w-]+/$"))
    screenshot(page, "sso-settings.png")


def test_owner_sees_domain_statuses_and_verifies_a_pending_domain(page, tenancy, browser_idp, dns_server):
    from django.utils import timezone

    from accounts.models import SSOConnection, SSODomain

    # The owner's own domain (acme.test) is not among them: they sign in with a password.
    domains = ["acme.example", "acme-data.example", "acme-labs.example"]
    setup = configure_sso(tenancy.org, browser_idp.issuer, domains=domains)
    SSODomain.objects.filter(domain="acme-data.example").update(verified_at=None)
    SSODomain.objects.filter(domain="acme-labs.example").update(verified_at=None, lost_at=timezone.now())
    SSOConnection.objects.filter(pk=setup.connection.pk).update(
        last_login_claims=["aud", "email", "email_verified", "exp", "groups", "iat", "iss", "name", "sub"],
        last_login_at=timezone.now(),
    )
    pending = SSODomain.objects.get(domain="acme-data.example")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(tenancy.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/orgs/{tenancy.org.slug}/sso/")
    rows = page.get_by_test_id("sso-domain")
    expect(rows).to_have_count(3)
    expect(page.locator('[data-status="verified"]')).to_contain_text("Verified")
    expect(page.locator('[data-status="lost"]')).to_contain_text("Verification lost")
    row = page.locator(f"#sso-domain-{pending.pk}")
    expect(row).to_contain_text("Pending")
    expect(row.get_by_test_id("sso-record-name")).to_have_text("_aerodrome.acme-data.example")
    expect(row.get_by_test_id("sso-record-value")).to_have_text(pending.record_value)
    expect(page.get_by_test_id("sso-last-claims")).to_contain_text("email_verified")
    page.locator("#sso-domains").scroll_into_view_if_needed()
    screenshot(page, "sso-domains-pending.png")

    row.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("sso-domain-outcome")).to_contain_text("No TXT record")
    dns_server.publish(pending.record_name, pending.record_value)
    page.locator(f"#sso-domain-{pending.pk}").get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("sso-domain-outcome")).to_contain_text("acme-data.example is verified.")
    expect(page.locator('[data-status="verified"]')).to_have_count(2)
    screenshot(page, "sso-domains-verified.png")
