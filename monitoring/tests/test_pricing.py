"""Prices per CPU-hour and GiB-hour: staff set them in the admin (audited); while set, each Deployment's page and
the API show an estimated monthly cost, while unset nothing does."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.tests.admin_helpers import admin_url
from accounts.tests.api_helpers import api_client
from deployments.tests.factories import make_deployment
from monitoring import pricing
from monitoring.models import Pricing

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployment(tenancy):
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Sales pipelines")


def set_prices(actor, cpu="0.04", gib="0.005", currency="EUR"):
    return pricing.pricing_update(actor=actor, cpu_hour=Decimal(cpu), gib_hour=Decimal(gib), currency=currency)


def test_staff_set_prices_in_the_admin_and_the_change_is_audited(admin_client):
    changelist = admin_client.get(admin_url(Pricing))
    assert changelist.status_code == 302 and changelist["Location"] == admin_url(Pricing, "add")
    response = admin_client.post(
        admin_url(Pricing, "add"), {"cpu_hour": "0.04", "gib_hour": "0.005", "currency": "eur"}
    )
    assert response.status_code == 302
    row = Pricing.objects.get()
    assert (row.cpu_hour, row.gib_hour, row.currency) == (Decimal("0.04"), Decimal("0.005"), "EUR")
    # The one price list opens directly from then on, and cannot be deleted (clearing both prices is the way).
    assert admin_client.get(admin_url(Pricing))["Location"] == admin_url(Pricing, "change", row.pk)
    assert admin_client.get(admin_url(Pricing, "delete", row.pk)).status_code == 403

    admin_client.post(
        admin_url(Pricing, "change", row.pk), {"cpu_hour": "0.05", "gib_hour": "0.005", "currency": "EUR"}
    )
    entries = list(AuditEvent.objects.filter(action="pricing.update").order_by("created_at", "id"))
    assert [e.changes for e in entries] == [
        {"cpu_hour": [None, "0.04"], "gib_hour": [None, "0.005"], "currency": [None, "EUR"]},
        {"cpu_hour": ["0.04", "0.05"]},
    ]
    assert all(entry.actor.is_superuser and entry.target_type == "pricing" for entry in entries)


def test_one_price_without_the_other_is_refused_next_to_the_form(admin_client):
    response = admin_client.post(admin_url(Pricing, "add"), {"cpu_hour": "0.04", "gib_hour": "", "currency": "USD"})
    assert response.status_code == 200
    assert "Set both prices" in response.content.decode()
    assert not Pricing.objects.exists()


def test_only_staff_may_set_prices(tenancy):
    with pytest.raises(ValidationError):
        set_prices(tenancy.owner)
    assert pricing.current_prices() is None


def test_deployment_page_shows_the_estimate_only_while_prices_are_set(client, tenancy, deployment, admin_user):
    url = reverse("deployment_overview", args=[tenancy.org.slug, deployment.pk])
    client.force_login(tenancy.member)
    html = client.get(url).content.decode()
    assert 'data-testid="requested"' in html and "5.8 CPU · 11.2 GiB" in html
    assert 'data-testid="estimated-cost"' not in html

    set_prices(admin_user)
    html = client.get(url).content.decode()
    assert "210.42 EUR" in html  # 169.36 CPU + 41.06 memory
    assert "730 hours a month" in html

    pricing.pricing_update(actor=admin_user, cpu_hour=None, gib_hour=None, currency="EUR")
    assert 'data-testid="estimated-cost"' not in client.get(url).content.decode()


def test_api_gives_the_estimate_on_detail_and_list_or_null(tenancy, deployment, admin_user):
    client = api_client(tenancy.member)
    detail = f"/api/v1/deployments/{deployment.pk}/"
    assert client.get(detail).json()["estimated_monthly_cost"] is None

    set_prices(admin_user)
    assert client.get(detail).json()["estimated_monthly_cost"] == {
        "amount": "210.42",
        "currency": "EUR",
        "cpu_amount": "169.36",
        "memory_amount": "41.06",
        "cpu_cores": "5.8",
        "memory_gib": "11.25",
        "hours_per_month": 730,
    }
    listed = client.get("/api/v1/deployments/").json()["results"]
    assert [d["estimated_monthly_cost"]["amount"] for d in listed] == ["210.42"]
    # The outsider still sees nothing of it.
    assert api_client(tenancy.outsider).get(detail).status_code == 404


def test_openapi_documents_the_estimate(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    field = schema["components"]["schemas"]["Deployment"]["properties"]["estimated_monthly_cost"]
    assert field["allOf"] == [{"$ref": "#/components/schemas/Cost"}] and field["nullable"] is True
    assert field["description"].startswith("Null while platform staff have set no prices")
    cost = schema["components"]["schemas"]["Cost"]
    assert cost["properties"]["hours_per_month"]["description"] == "Always 730."
