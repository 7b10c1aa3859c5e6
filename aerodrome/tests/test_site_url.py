"""Links that leave the page (invitation emails, SSO bypass links) point at SITE_URL; in DEBUG, when SITE_URL is
unset, at the address the person is using."""

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import OrgRole
from accounts.tests.invitations.test_invitations import link_in
from accounts.tests.page_helpers import HTMX, text
from accounts.tests.sso.sso_helpers import configure_sso

pytestmark = pytest.mark.django_db


def test_invitation_links_follow_the_address_in_use_when_site_url_is_unset(tenancy, smtp_server, settings):
    settings.DEBUG = True
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = ["aerodrome.internal"]
    owner = Client(HTTP_HOST="aerodrome.internal:8080")
    owner.force_login(tenancy.owner)
    response = owner.post(
        reverse("invitation_create", args=["acme"]), {"emails": "ada@example.com", "org_role": OrgRole.MEMBER}
    )
    assert response.status_code == 302, text(response)
    [message] = smtp_server.messages
    link = urlsplit(link_in(message))
    assert (link.scheme, link.netloc) == ("http", "aerodrome.internal:8080")
    # The link works: the invitee's browser opens it.
    assert Client(HTTP_HOST="aerodrome.internal:8080").get(link.path).status_code == 200


def test_sso_bypass_links_point_at_site_url(login, tenancy, settings):
    settings.SITE_URL = "https://aerodrome.example.com/"
    configure_sso(tenancy.org, "http://127.0.0.1:9")
    response = login(tenancy.owner).post(reverse("sso_bypass_create", args=["acme"]), **HTMX)
    link = text(response).split('aria-label="Bypass link" onfocus="this.select()">')[1].split("<")[0]
    assert link.startswith("https://aerodrome.example.com/accounts/sso/bypass/")
