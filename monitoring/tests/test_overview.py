"""The organisation overview page: every Deployment the person can see (and no other), searched, sorted and paged,
with requests, an estimated cost only when staff set prices, and live columns that say why they are empty."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import WorkspaceRole
from accounts.tests.factories import BindingFactory, WorkspaceFactory
from deployments.models import Deployment, WorkerQueue
from deployments.tests.factories import make_deployment
from monitoring import pricing
from monitoring.metrics.selectors import OverviewFigures
from monitoring.overview.selectors import health_of
from workspaces.models import WorkspaceRoleBinding

pytestmark = pytest.mark.django_db


def overview_url(org) -> str:
    return reverse("organization_overview", args=[org.slug])


def names_in(response) -> list[str]:
    """The Deployment names of the table's rows, in order."""
    html = response.content.decode()
    body = html[html.index('id="overview-table"') :]
    return re.findall(r'<a class="fw-medium" href="[^"]+">([^<]+)</a>', body)


@pytest.fixture
def estate(tenancy):
    """Two workspaces of Acme (the member sees only Analytics) and one of Globex."""
    private = WorkspaceFactory(organization=tenancy.org, name="Finance")
    make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Sales pipelines")
    make_deployment(
        actor=tenancy.owner,
        workspace=tenancy.workspace,
        name="Marketing ETL",
        queues=[{"name": "default", "worker_type": "A20", "min_workers": 2, "max_workers": 4}],
    )
    make_deployment(actor=tenancy.owner, workspace=private, name="Ledger close")
    make_deployment(actor=tenancy.outsider, workspace=tenancy.other_workspace, name="Globex secret")
    return tenancy


def test_owner_sees_every_deployment_of_the_organisation_and_none_of_another(client, estate):
    client.force_login(estate.owner)
    response = client.get(overview_url(estate.org))
    assert response.status_code == 200
    assert names_in(response) == ["Ledger close", "Marketing ETL", "Sales pipelines"]
    assert "Globex secret" not in response.content.decode()


def test_read_only_member_sees_only_the_workspaces_they_can_view(client, estate):
    client.force_login(estate.member)
    response = client.get(overview_url(estate.org))
    assert response.status_code == 200
    assert names_in(response) == ["Marketing ETL", "Sales pipelines"]
    assert "Ledger close" not in response.content.decode()


def test_outsider_gets_404_and_anonymous_goes_to_login(client, estate):
    client.force_login(estate.outsider)
    assert client.get(overview_url(estate.org)).status_code == 404
    client.logout()
    response = client.get(overview_url(estate.org))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_navigation_links_to_the_overview(client, estate):
    client.force_login(estate.member)
    page = client.get(reverse("organization_home", args=[estate.org.slug])).content.decode()
    assert f'href="{overview_url(estate.org)}"' in page


def test_member_with_no_workspace_sees_the_empty_state(client, estate):
    client.force_login(estate.member)
    WorkspaceRoleBinding.objects.filter(user=estate.member).delete()
    response = client.get(overview_url(estate.org))
    html = response.content.decode()
    assert 'data-testid="overview-empty"' in html
    assert "No Deployments to show yet" in html
    assert 'id="overview-search"' not in html  # nothing to search


def test_search_matches_every_word_in_name_release_or_workspace(client, estate):
    client.force_login(estate.owner)
    assert names_in(client.get(overview_url(estate.org), {"q": "finance"})) == ["Ledger close"]
    assert names_in(client.get(overview_url(estate.org), {"q": "analytics sales"})) == ["Sales pipelines"]
    response = client.get(overview_url(estate.org), {"q": "nothing-like-this"})
    html = response.content.decode()
    assert names_in(response) == []
    assert "No Deployment matches “nothing-like-this”" in html


def test_member_search_never_finds_a_workspace_they_cannot_view(client, estate):
    client.force_login(estate.member)
    assert names_in(client.get(overview_url(estate.org), {"q": "ledger"})) == []


def test_htmx_search_answers_only_the_results(client, estate):
    client.force_login(estate.owner)
    response = client.get(
        overview_url(estate.org), {"q": "marketing"}, headers={"HX-Request": "true", "HX-Target": "overview-results"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="overview-results">')
    assert names_in(response) == ["Marketing ETL"]
    assert "<html" not in html


def test_sorts_by_requested_cpu_both_ways_and_by_workspace(client, estate):
    client.force_login(estate.owner)
    # Marketing ETL has two A20 workers (8 cores); the others one A5 worker each.
    assert names_in(client.get(overview_url(estate.org), {"sort": "-cpu"}))[0] == "Marketing ETL"
    assert names_in(client.get(overview_url(estate.org), {"sort": "cpu"}))[-1] == "Marketing ETL"
    assert names_in(client.get(overview_url(estate.org), {"sort": "workspace"})) == [
        "Marketing ETL",
        "Sales pipelines",
        "Ledger close",
    ]
    # An unknown sort key falls back to the name.
    assert names_in(client.get(overview_url(estate.org), {"sort": "drop table"}))[0] == "Ledger close"


def test_requested_cpu_and_memory_per_row_and_in_total(client, estate):
    client.force_login(estate.member)
    html = client.get(overview_url(estate.org)).content.decode()
    sales = html[html.index("Sales pipelines") :]
    assert re.search(r'data-testid="cpu">5\.8<', sales)  # the default Celery Deployment at rest
    assert re.search(r'data-testid="memory">11\.2 GiB<', sales)  # 11,520 MiB
    # 5.8 + 5.8 - 1.05 (A5 worker and its DAG sync) + 2 x 4.05 (A20 workers) for the member's two Deployments.
    assert re.search(r'data-testid="total-cpu">18\.65<', html)


def test_live_columns_say_why_they_are_empty(client, estate):
    client.force_login(estate.owner)
    html = client.get(overview_url(estate.org)).content.decode()
    cells = re.findall(r'data-testid="running"><span class="live-missing text-secondary" title="([^"]+)">—<', html)
    assert len(cells) == 3
    assert all(cell for cell in cells)


def test_cost_appears_only_once_prices_are_set(client, estate, admin_user):
    client.force_login(estate.member)
    html = client.get(overview_url(estate.org)).content.decode()
    assert 'data-testid="cost"' not in html and "Est. / month" not in html

    pricing.pricing_update(actor=admin_user, cpu_hour=Decimal("0.04"), gib_hour=Decimal("0.005"), currency="EUR")
    html = client.get(overview_url(estate.org)).content.decode()
    # Sales pipelines: 5.8 cores x 0.04 x 730 = 169.36, 11.25 GiB x 0.005 x 730 = 41.06.
    assert re.search(r'data-testid="cost"[^>]*>210 EUR<', html)
    assert "730 hours a month" in html
    costs = client.get(overview_url(estate.org), {"sort": "-cost"})
    assert names_in(costs)[0] == "Marketing ETL"


def test_pages_of_25_keep_search_and_sort(client, tenancy):
    deployments = Deployment.objects.bulk_create(
        Deployment(workspace=tenancy.workspace, name=f"batch {i:02d}", release_name=f"batch-{i}") for i in range(30)
    )
    WorkerQueue.objects.bulk_create(WorkerQueue(deployment=d, name="default") for d in deployments)
    BindingFactory(workspace=WorkspaceFactory(organization=tenancy.org), user=tenancy.member, role=WorkspaceRole.MEMBER)
    client.force_login(tenancy.member)
    first = client.get(overview_url(tenancy.org), {"q": "batch", "sort": "-name"})
    assert len(names_in(first)) == 25 and names_in(first)[0] == "batch 29"
    html = first.content.decode()
    assert 'href="?q=batch&amp;sort=-name&page=2"' in html
    second = client.get(overview_url(tenancy.org), {"q": "batch", "sort": "-name", "page": 2})
    assert names_in(second) == [f"batch {i:02d}" for i in range(4, -1, -1)]


@pytest.mark.parametrize(
    ("status", "heartbeats", "error", "label"),
    [
        (Deployment.Status.HEALTHY, 11.8, None, "Healthy"),
        (Deployment.Status.HEALTHY, 3.0, None, "Degraded"),
        (Deployment.Status.HEALTHY, 0.0, None, "Scheduler down"),
        (Deployment.Status.HEALTHY, None, "The cluster has no Prometheus URL.", "Pods ready"),
        (Deployment.Status.UNHEALTHY, 12.0, None, "Unhealthy"),
        (Deployment.Status.FAILED, None, None, "Unhealthy"),
        (Deployment.Status.DEPLOYING, 12.0, None, "—"),
    ],
)
def test_health_combines_provisioning_status_with_the_scheduler_heartbeat(status, heartbeats, error, label):
    figures = OverviewFigures(heartbeats_per_minute=heartbeats) if heartbeats is not None else None
    found, _colour, explanation = health_of(status, figures, error)
    assert found == label
    if error:
        assert error in explanation


def test_queries_do_not_grow_with_the_number_of_deployments(client, tenancy, admin_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pricing.pricing_update(actor=admin_user, cpu_hour=Decimal("0.04"), gib_hour=Decimal("0.005"), currency="EUR")
    client.force_login(tenancy.member)

    def queries_with(n: int) -> int:
        start = Deployment.objects.count()
        made = Deployment.objects.bulk_create(
            Deployment(workspace=tenancy.workspace, name=f"n{start + i}", release_name=f"n-{start + i}")
            for i in range(n)
        )
        WorkerQueue.objects.bulk_create(WorkerQueue(deployment=d, name="default") for d in made)
        client.get(overview_url(tenancy.org))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(overview_url(tenancy.org)).status_code == 200
        return len(captured)

    assert queries_with(3) == queries_with(40)


def _alert(deployment, *, state="FIRING", fingerprint="f1"):
    from django.utils import timezone

    from monitoring.alerts.models import Alert

    now = timezone.now()
    return Alert.objects.create(
        deployment=deployment,
        rule_key="scheduler_heartbeat",
        rule_name="Scheduler heartbeat missing",
        fingerprint=fingerprint,
        alertname="AirflowSchedulerHeartbeatMissing",
        state=state,
        starts_at=now,
        last_received_at=now,
    )


def test_firing_alerts_show_as_incidents_per_deployment_and_in_total(client, estate):
    sales = Deployment.objects.get(name="Sales pipelines")
    _alert(sales, fingerprint="a")
    _alert(sales, fingerprint="b")
    _alert(Deployment.objects.get(name="Marketing ETL"), state="RESOLVED")  # resolved: no incident
    _alert(Deployment.objects.get(name="Ledger close"), fingerprint="c")  # in Finance, which the member cannot see
    _alert(Deployment.objects.get(name="Globex secret"), fingerprint="d")  # another organisation's

    client.force_login(estate.owner)
    html = client.get(overview_url(estate.org)).content.decode()
    assert re.search(r'data-testid="total-incidents">3<', html)
    row = html[html.index(f'id="overview-{sales.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "2 firing" in row and reverse("deployment_alerts", args=[estate.org.slug, sales.pk]) in row
    assert html.count('data-testid="incidents"') == 2  # Sales pipelines and Ledger close

    client.force_login(estate.member)
    html = client.get(overview_url(estate.org)).content.decode()
    assert re.search(r'data-testid="total-incidents">2<', html)
    assert html.count('data-testid="incidents"') == 1


def test_no_firing_alert_says_so(client, estate):
    client.force_login(estate.owner)
    html = client.get(overview_url(estate.org)).content.decode()
    assert re.search(r'data-testid="total-incidents">0<', html) and "alerts firing" in html
    assert 'data-testid="incidents"' not in html
