"""Verified SSO domains: a claimed domain is pending until its DNS TXT record is found (a real DNS server on
localhost, dnslib); only verified domains are routed by email, enforced and provisioned just in time; a re-check
takes verification away when the record disappears; DNS that is down costs seconds and loses nothing."""

import secrets
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Invitation, OrganizationMembership, SSOConnection, SSODomain, User
from accounts.roles import OrgRole
from accounts.sso import domains
from accounts.sso import services as sso
from accounts.tasks import sso_domains_recheck
from accounts.tests.factories import PASSWORD, MembershipFactory, UserFactory
from accounts.tests.sso.oidc_harness import CLIENT_ID, CLIENT_SECRET
from accounts.tests.sso.sso_helpers import configure_sso, sso_login, start_sso_login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def save(actor, org, issuer, **fields):
    values = {"issuer_url": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "domains": "acme.test"}
    return sso.sso_connection_save(actor=actor, organization=org, **{**values, **fields})


def claim_of(org, domain="acme.test") -> SSODomain:
    return SSODomain.objects.get(connection__organization=org, domain=domain)


def publish(dns_server, claim: SSODomain, at: str | None = None) -> None:
    dns_server.publish(at or claim.record_name, claim.record_value)


def goes_to_idp(client, email: str) -> bool:
    response = client.post("/accounts/login/", {"login": email})
    return response.status_code == 302 and "/auth?" in response["Location"]


# ------------------------------------------------------------------------------------------------ claims


def test_a_new_domain_is_pending_with_a_record_to_publish(tenancy, idp):
    save(tenancy.owner, tenancy.org, idp.issuer, domains="acme.test, acme.example")
    claims = {claim.domain: claim for claim in SSODomain.objects.all()}
    assert set(claims) == {"acme.test", "acme.example"}
    claim = claims["acme.test"]
    assert claim.status == "pending" and claim.verified_at is None
    assert claim.record_name == "_aerodrome.acme.test"
    assert claim.record_value.startswith("aerodrome-verification=") and len(claim.token) >= 24
    assert claims["acme.example"].token != claim.token
    save(tenancy.owner, tenancy.org, idp.issuer, domains="acme.test")
    assert list(SSODomain.objects.values_list("domain", flat=True)) == ["acme.test"]
    assert claim_of(tenancy.org).token == claim.token  # a kept domain keeps its record


def test_a_pending_domain_is_neither_routed_nor_enforced(client, tenancy, idp):
    save(tenancy.owner, tenancy.org, idp.issuer, enforce_sso=True)
    assert not goes_to_idp(client, "ada@acme.test")
    assert client.get("/accounts/login/realm/", {"email": "ada@acme.test"}).json() == {"sso": False, "password": True}
    # Password logins at the domain are not refused: nothing proves the domain is Acme's.
    UserFactory(email="someone@acme.test")
    response = client.post("/accounts/login/", {"login": "someone@acme.test", "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_a_pending_domain_does_not_enforce_sso_on_accounts_linked_to_the_idp(client, tenancy, idp):
    from allauth.socialaccount.models import SocialAccount

    configure_sso(tenancy.org, idp.issuer, verified=False, enforce_sso=True)
    SocialAccount.objects.create(user=tenancy.member, provider="org-acme", uid="subject-7")
    tenancy.member.email = "mo@personal.example"
    tenancy.member.save()
    response = client.post("/accounts/login/", {"login": "mo@personal.example", "password": PASSWORD})
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == tenancy.member.pk
    client.logout()
    SSODomain.objects.update(verified_at=timezone.now())  # once verified, enforcement follows the account
    response = client.post("/accounts/login/", {"login": "mo@personal.example", "password": PASSWORD})
    assert "Acme Data requires single sign-on" in response.content.decode()


def test_publishing_the_record_and_verifying_routes_and_enforces_the_domain(client, tenancy, idp, dns_server):
    save(tenancy.owner, tenancy.org, idp.issuer, enforce_sso=True)
    claim = claim_of(tenancy.org)
    publish(dns_server, claim)
    domains.sso_domain_verify(actor=tenancy.owner, claim=claim)
    claim.refresh_from_db()
    assert claim.status == "verified" and claim.verified_at and claim.checked_at
    event = AuditEvent.objects.get(action="sso.domain_verified")
    assert event.actor == tenancy.owner and event.organization == tenancy.org
    assert event.changes == {"domain": "acme.test", "record": "_aerodrome.acme.test"}
    assert goes_to_idp(client, "ada@acme.test")
    UserFactory(email="someone@acme.test")
    response = client.post("/accounts/login/", {"login": "someone@acme.test", "password": PASSWORD})
    assert "requires single sign-on" in response.content.decode()


def test_a_record_at_the_domain_itself_also_verifies(tenancy, idp, dns_server):
    save(tenancy.owner, tenancy.org, idp.issuer)
    claim = claim_of(tenancy.org)
    dns_server.publish("acme.test", "v=spf1 -all")
    publish(dns_server, claim, at="acme.test")
    assert domains.sso_domain_verify(actor=tenancy.owner, claim=claim).status == "verified"


def test_a_missing_or_wrong_record_says_what_to_publish_and_verifies_nothing(tenancy, idp, dns_server):
    save(tenancy.owner, tenancy.org, idp.issuer)
    claim = claim_of(tenancy.org)
    dns_server.publish(claim.record_name, "aerodrome-verification=someone-elses-token")
    with pytest.raises(ValidationError) as error:
        domains.sso_domain_verify(actor=tenancy.owner, claim=claim)
    assert claim.record_value in error.value.messages[0] and "_aerodrome.acme.test" in error.value.messages[0]
    claim.refresh_from_db()
    assert claim.status == "pending" and claim.checked_at and claim.check_error
    assert not AuditEvent.objects.filter(action="sso.domain_verified").exists()


def test_dns_that_does_not_answer_fails_fast_with_a_clear_message_and_loses_nothing(tenancy, idp, dns_server):
    configure_sso(tenancy.org, idp.issuer, domains=["acme.test", "acme.example"])
    SSODomain.objects.filter(domain="acme.example").update(verified_at=None)
    pending = claim_of(tenancy.org, "acme.example")
    for name in ("_aerodrome.acme.test", "acme.test", "_aerodrome.acme.example", "acme.example"):
        dns_server.slow[name] = 10  # far beyond SSO_DNS_TIMEOUT (2 s in the fixture)
    started = time.monotonic()
    with pytest.raises(ValidationError) as error:
        domains.sso_domain_verify(actor=tenancy.owner, claim=pending)
    assert time.monotonic() - started < 4
    assert "DNS did not answer within 2 seconds" in error.value.messages[0]
    assert "Nothing was changed" in error.value.messages[0]
    started = time.monotonic()
    assert sso_domains_recheck() == {"checked": 0, "lost": 0, "unavailable": 1}
    assert time.monotonic() - started < 4
    assert claim_of(tenancy.org).status == "verified"  # an outage takes no verification away
    assert not AuditEvent.objects.filter(action="sso.domain_lost").exists()


def test_two_organisations_may_claim_a_domain_but_only_one_holds_it_verified(tenancy, idp, dns_server):
    save(tenancy.owner, tenancy.org, idp.issuer)
    save(tenancy.outsider, tenancy.other_org, idp.issuer, domains="acme.test")  # a squatter cannot lock Acme out
    squatter, acme = claim_of(tenancy.other_org), claim_of(tenancy.org)
    publish(dns_server, acme)
    domains.sso_domain_verify(actor=tenancy.owner, claim=acme)
    publish(dns_server, squatter)  # even with its record published too
    with pytest.raises(ValidationError) as error:
        domains.sso_domain_verify(actor=tenancy.outsider, claim=squatter)
    assert "already verified by another organisation" in error.value.messages[0]
    assert "Acme" not in error.value.messages[0]
    assert SSODomain.objects.filter(domain="acme.test", verified_at__isnull=False).count() == 1
    with pytest.raises(ValidationError):
        save(tenancy.outsider, tenancy.other_org, idp.issuer, domains="acme.test, globex.test")


def test_the_database_holds_one_verified_claim_per_domain(tenancy, idp):
    configure_sso(tenancy.org, idp.issuer)
    other = SSOConnection.objects.create(
        organization=tenancy.other_org, issuer_url=idp.issuer, client_id="x", client_secret="y", domains=["acme.test"]
    )
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        SSODomain.objects.create(connection=other, domain="acme.test", token="t", verified_at=timezone.now())


def test_a_member_cannot_verify_a_domain(tenancy, idp, dns_server):
    save(tenancy.owner, tenancy.org, idp.issuer)
    with pytest.raises(PermissionDenied):
        domains.sso_domain_verify(actor=tenancy.member, claim=claim_of(tenancy.org))


# ------------------------------------------------------------------------------------------------ re-checks


def test_a_recheck_keeps_a_published_record_and_takes_a_vanished_one_away(client, tenancy, idp, dns_server, settings):
    save(tenancy.owner, tenancy.org, idp.issuer, domains="acme.test, acme.example", enforce_sso=True)
    kept, gone = claim_of(tenancy.org, "acme.example"), claim_of(tenancy.org, "acme.test")
    for claim in (kept, gone):
        publish(dns_server, claim)
        domains.sso_domain_verify(actor=tenancy.owner, claim=claim)
    dns_server.unpublish(gone.record_name)
    assert "accounts.tasks.sso_domains_recheck" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    from aerodrome.celery import app

    app.loader.import_default_modules()
    assert "accounts.tasks.sso_domains_recheck" in app.tasks  # the worker finds it
    assert sso_domains_recheck() == {"checked": 2, "lost": 1, "unavailable": 0}
    kept.refresh_from_db()
    gone.refresh_from_db()
    assert kept.status == "verified"
    assert gone.status == "lost" and gone.lost_at and gone.verified_at is None
    event = AuditEvent.objects.get(action="sso.domain_lost")
    assert event.actor is None and event.organization == tenancy.org and event.changes["domain"] == "acme.test"
    assert not goes_to_idp(client, "ada@acme.test")  # neither routed nor enforced any more
    assert goes_to_idp(client, "ada@acme.example")


# ------------------------------------------------------------------------------------------------ logins


def test_until_verified_no_one_is_provisioned_just_in_time(client, tenancy, idp):
    configure_sso(tenancy.org, idp.issuer, verified=False)
    client.get("/accounts/sso/acme/")  # the organisation's sign-in link
    response = sso_login(client, idp, "ada@acme.test")
    assert response.status_code == 403
    assert "not verified yet" in response.content.decode()
    assert not User.objects.filter(email="ada@acme.test").exists()


def test_until_verified_members_sign_in_through_the_organisations_link(client, tenancy, idp):
    configure_sso(tenancy.org, idp.issuer, verified=False)
    ada = UserFactory(email="ada@acme.test")
    MembershipFactory(user=ada, organization=tenancy.org, role=OrgRole.MEMBER)
    assert not goes_to_idp(client, "ada@acme.test")  # the login page alone does not route an unverified domain
    client.get("/accounts/sso/acme/")
    response = sso_login(client, idp, "ada@acme.test")
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == ada.pk


def test_until_verified_an_invitee_joins_through_sso_with_the_invited_role(client, tenancy, idp):
    configure_sso(tenancy.org, idp.issuer, verified=False)
    invitation_url = invite(tenancy, "ada@acme.test", OrgRole.OWNER)
    client.post(invitation_url, {"action": "login"})  # the invitation names the organisation to sign in to
    response = sso_login(client, idp, "ada@acme.test")
    assert response.status_code == 302
    ada = User.objects.get(email="ada@acme.test")
    assert OrganizationMembership.objects.get(user=ada, organization=tenancy.org).role == OrgRole.OWNER
    assert Invitation.objects.get(email="ada@acme.test").accepted_by == ada


def invite(tenancy, email, role) -> str:
    """A pending invitation (as the members page makes it); returns its link's path."""
    from accounts.invitations import services as invitations

    token = secrets.token_urlsafe(32)
    Invitation.objects.create(
        organization=tenancy.org,
        email=email,
        org_role=role,
        token_hash=invitations.hash_token(token),
        invited_by=tenancy.owner,
        expires_at=timezone.now() + timedelta(days=7),
    )
    return reverse("invitation_accept", args=[token])


def test_an_invitee_at_a_verified_enforced_domain_accepts_through_sso_and_not_with_a_password(client, tenancy, idp):
    configure_sso(tenancy.org, idp.issuer, enforce_sso=True)
    invitation_url = invite(tenancy, "ada@acme.test", OrgRole.OWNER)
    page = client.get(invitation_url)
    assert page.status_code == 200 and "Acme" in page.content.decode()

    # The password ways are refused, saying why.
    client.post(invitation_url, {"action": "signup"})
    response = client.post(
        "/accounts/signup/",
        {"email": "ada@acme.test", "password1": "A-long-passw0rd!", "password2": "A-long-passw0rd!"},
    )
    assert "signs in @acme.test addresses through single sign-on" in response.content.decode()
    assert not User.objects.filter(email="ada@acme.test").exists()
    client.post(invitation_url, {"action": "login"})
    response = client.post("/accounts/login/", {"login": "ada@acme.test", "password": "whatever-it-is"})
    assert "Acme Data requires single sign-on for @acme.test addresses" in response.content.decode()
    assert "_auth_user_id" not in client.session

    # Through single sign-on: the account is created, joins with the invited role, and lands in the organisation.
    client.post(invitation_url, {"action": "login"})
    response = sso_login(client, idp, "ada@acme.test", next=invitation_url)
    assert response.status_code == 302
    ada = User.objects.get(email="ada@acme.test")
    assert int(client.session["_auth_user_id"]) == ada.pk
    assert OrganizationMembership.objects.get(user=ada, organization=tenancy.org).role == OrgRole.OWNER
    invitation = Invitation.objects.get(email="ada@acme.test")
    assert invitation.accepted_by == ada and invitation.status == "ACCEPTED"
    assert AuditEvent.objects.filter(action="invitation.accept", actor=ada).count() == 1
    assert not AuditEvent.objects.filter(action="sso.provision").exists()  # joined by the invitation, not by default
    followed = client.get(response["Location"], follow=True)
    assert followed.redirect_chain[-1][0].endswith(f"/orgs/{tenancy.org.slug}/") or "Acme" in followed.content.decode()


def test_the_organisation_sign_in_link_of_an_unknown_organisation_is_not_found(client):
    assert client.get("/accounts/sso/nobody/").status_code == 404


def test_start_sso_login_is_unaffected_for_verified_domains(client, tenancy, idp):
    configure_sso(tenancy.org, idp.issuer)
    assert start_sso_login(client, "ada@acme.test").startswith(idp.issuer)


# ------------------------------------------------------------------------------------------------ the page


def test_owner_sees_pending_and_verified_domains_and_verifies_through_htmx(client, login, tenancy, idp, dns_server):
    save(tenancy.owner, tenancy.org, idp.issuer, domains="acme.test, acme.example")
    pending = claim_of(tenancy.org, "acme.example")
    login(tenancy.owner)
    page = client.get("/orgs/acme/sso/").content.decode()
    assert page.count('data-status="pending"') == 2
    assert pending.record_name in page and pending.record_value in page
    assert "/accounts/sso/acme/" in page  # the members' sign-in link while nothing is verified
    url = f"/orgs/acme/sso/domains/{pending.pk}/verify/"
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "No TXT record" in response.content.decode() and 'id="sso-domains"' in response.content.decode()
    publish(dns_server, pending)
    response = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert "acme.example is verified." in response and 'data-status="verified"' in response and "Verified" in response


def test_a_member_cannot_verify_and_an_outsider_does_not_find_the_domain(client, login, tenancy, idp):
    save(tenancy.owner, tenancy.org, idp.issuer)
    claim = claim_of(tenancy.org)
    login(tenancy.member)
    assert client.post(f"/orgs/acme/sso/domains/{claim.pk}/verify/").status_code == 403
    login(tenancy.outsider)
    assert client.post(f"/orgs/acme/sso/domains/{claim.pk}/verify/").status_code == 404
    assert client.post(f"/orgs/globex/sso/domains/{claim.pk}/verify/").status_code in (403, 404)
