"""Every page's title says what it is, then "Aerodrome" once: "Teams · Acme Data · Aerodrome"."""

import html
import re

import pytest
from django.test import Client

from accounts.tests.factories import TeamFactory
from deployments.tests.factories import make_deployment

pytestmark = pytest.mark.django_db

ANONYMOUS_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/no-such-page/",
]


def title_of(response) -> str:
    match = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert match, f"{response.wsgi_request.path} has no title"
    return html.unescape(" ".join(match.group(1).split()))


def assert_well_titled(path: str, title: str) -> None:
    parts = title.split(" · ")
    assert parts[-1] == "Aerodrome", f"{path}: {title!r}"
    assert title.count("Aerodrome") == 1, f"{path}: {title!r}"
    assert len(parts) >= 2 and all(part.strip() for part in parts), f"{path}: {title!r}"


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_pages_for_visitors_say_aerodrome_once(client, db, path):
    assert_well_titled(path, title_of(client.get(path)))


def test_signed_in_pages_say_what_they_are_then_aerodrome_once(tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    team = TeamFactory(organization=tenancy.org, name="Data Engineering")
    org, d = "/orgs/acme", f"/orgs/acme/deployments/{deployment.pk}"
    expected = {
        "/profile/": "Your profile · Aerodrome",
        "/orgs/": "Organisations · Aerodrome",
        f"{org}/": "Acme Data · Aerodrome",
        f"{org}/members/": "Members · Acme Data · Aerodrome",
        f"{org}/settings/": "Settings · Acme Data · Aerodrome",
        f"{org}/teams/": "Teams · Acme Data · Aerodrome",
        f"{org}/teams/{team.pk}/": "Data Engineering · Teams · Aerodrome",
        f"{org}/workspaces/{tenancy.workspace.pk}/": "Analytics · Aerodrome",
        f"{d}/": "Overview · Sales pipelines · Aerodrome",
        f"{d}/resources/": "Resources · Sales pipelines · Aerodrome",
        "/accounts/email/": None,  # allauth's own wording
        "/accounts/password/change/": None,
        "/accounts/logout/": None,
    }
    client = Client()
    client.force_login(tenancy.owner)
    for path, title in expected.items():
        response = client.get(path)
        assert response.status_code == 200, path
        if title:
            assert title_of(response) == title
        assert_well_titled(path, title_of(response))
