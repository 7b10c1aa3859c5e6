"""With DEBUG on (`make run`), a missing page looks like the product, as in production, not like Django's debug page
listing every URL pattern. The API keeps answering JSON."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def debug(settings):
    settings.DEBUG = True


def assert_branded_404(response):
    assert response.status_code == 404
    body = response.content.decode()
    assert "This page does not exist" in body and "Aerodrome" in body
    assert "Using the URLconf" not in body and "Django tried these URL patterns" not in body


def test_an_unknown_address_shows_the_branded_404(client):
    assert_branded_404(client.get("/no-such-page/"))


def test_another_tenants_page_shows_the_branded_404(login, tenancy):
    assert_branded_404(login(tenancy.owner).get(f"/orgs/{tenancy.other_org.slug}/"))


def test_the_api_still_answers_its_404_in_json(login, tenancy):
    response = login(tenancy.owner).get(f"/api/v1/workspaces/{tenancy.other_workspace.pk}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"
