"""The organisation overview: every Deployment the person can see, with status, health, live figures, requests
and (when staff set prices) estimated cost. Searchable (`?q=`), sortable (`?sort=cpu`, `-cpu`), a page at a time."""

from urllib.parse import urlencode

from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.tenancy import organization_view
from aerodrome.views import paginate
from monitoring import pricing
from monitoring.alerts import selectors as alerts
from monitoring.overview import figures, selectors

SEARCH_MAX_LENGTH = 200
# Columns that sort, by the key `?sort=` takes.
SORTABLE = ("name", "workspace", "status", "cpu", "memory", "cost")


@require_GET
@organization_view()
def organization_overview(request, org):
    search = request.GET.get("q", "")[:SEARCH_MAX_LENGTH].strip()
    key, descending = selectors.parse_sort(request.GET.get("sort"))
    prices = pricing.current_prices()
    deployments = selectors.visible_deployments(actor=request.user, organization=org, search=search)
    all_rows = selectors.sorted_rows(deployments, key=key, descending=descending, prices=prices)
    page = paginate(request, all_rows)
    figures.attach(page.object_list)
    firing = alerts.firing_counts([row.deployment.pk for row in page.object_list])
    for row in page.object_list:
        row.incidents = firing.get(row.deployment.pk, 0)
    any_visible = bool(all_rows) or (
        bool(search) and selectors.visible_deployments(actor=request.user, organization=org).exists()
    )
    context = {
        "org": org,
        "tab": "overview",
        "page": page,
        "rows": page.object_list,
        "search": search,
        "sort": key,
        "descending": descending,
        "sort_links": {column: f"-{column}" if column == key and not descending else column for column in SORTABLE},
        "query": _query(search, key, descending),
        "prices": prices,
        "totals": selectors.totals(all_rows, prices=prices),
        "incidents": alerts.firing_total(deployments),
        "any_visible": any_visible,
    }
    if request.htmx and request.headers.get("HX-Target") == "overview-results":
        return render(request, "monitoring/overview.html#results", context)
    return render(request, "monitoring/overview.html", context)


def _query(search: str, key: str, descending: bool) -> str:
    """The query string pages keep (pagination links add `page`)."""
    params = {}
    if search:
        params["q"] = search
    if key != selectors.DEFAULT_SORT or descending:
        params["sort"] = f"-{key}" if descending else key
    return urlencode(params)
