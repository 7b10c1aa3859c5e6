"""Reads for the organisation overview: every Deployment the person can see, searched and sorted, with what each
requests (from its desired state), what that costs when prices are set, and the live figures Prometheus has."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower

from deployments import cost, quota
from deployments.models import Deployment
from deployments.selectors import for_listing

# Sort keys the page offers: those the database orders, and those computed from each Deployment's desired state
# (requests, cost), which are sorted in Python over every matching Deployment. Live figures are not sortable: they
# come from Prometheus for the shown page only.
DB_SORTS = {
    "name": (Lower("name"), "pk"),
    "workspace": (Lower("workspace__name"), Lower("name"), "pk"),
    "status": ("status", Lower("name"), "pk"),
    "updated": ("updated_at", "pk"),
}
COMPUTED_SORTS = {"cpu", "memory", "cost"}
SORTS = set(DB_SORTS) | COMPUTED_SORTS
DEFAULT_SORT = "name"
SEARCH_MAX_WORDS = 8

# Scheduler heartbeats per minute: a healthy scheduler beats about every 5 s (Airflow's
# `scheduler_heartbeat_sec`), some 11-12 a minute; fewer than half of that means it is struggling.
HEARTBEAT_HEALTHY_PER_MINUTE = 6.0


def parse_sort(value: str | None) -> tuple[str, bool]:
    """("name", descending?) from `?sort=-cpu`; unknown keys fall back to the default."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value.lstrip("-")
    if key not in SORTS:
        return DEFAULT_SORT, False
    return key, descending


def visible_deployments(*, actor, organization, search: str = "") -> QuerySet:
    """Live Deployments of the organisation the actor may view, every word of `search` in its name, release,
    description or workspace name."""
    deployments = (
        Deployment.objects.for_actor(actor, "deployment.view")
        .live()
        .filter(workspace__organization=organization)
        .select_related("workspace")
        .prefetch_related("queues")
    )
    for word in search.split()[:SEARCH_MAX_WORDS]:
        deployments = deployments.filter(
            Q(name__icontains=word)
            | Q(release_name__icontains=word)
            | Q(description__icontains=word)
            | Q(workspace__name__icontains=word)
        )
    return for_listing(deployments)


@dataclass
class Row:
    deployment: Deployment
    requested: quota.Requested
    estimate: cost.Estimate | None
    figures: object | None = None  # monitoring.metrics' OverviewFigures, once asked
    figures_error: str | None = None

    @property
    def health(self) -> tuple[str, str, str]:
        """(label, colour, explanation) combining provisioning's status with the scheduler's heartbeat."""
        return health_of(self.deployment.status, self.figures, self.figures_error)


def health_of(status: str, figures, figures_error: str | None) -> tuple[str, str, str]:
    S = Deployment.Status
    if status in (S.FAILED, S.UNHEALTHY):
        return "Unhealthy", "red", "Provisioning reports the Deployment as not working: see its status."
    if status != S.HEALTHY:
        return "—", "secondary", "Health is judged once the Deployment is running on a cluster."
    heartbeats = getattr(figures, "heartbeats_per_minute", None)
    if heartbeats is None:
        why = figures_error or "No scheduler heartbeat figures from Prometheus."
        return "Pods ready", "green", f"Every pod is ready. {why}"
    if heartbeats <= 0:
        return "Scheduler down", "red", "Pods are ready, but the scheduler sent no heartbeat in the last minutes."
    if heartbeats < HEARTBEAT_HEALTHY_PER_MINUTE:
        return "Degraded", "orange", f"The scheduler beats {heartbeats:.1f} times a minute (about 12 is healthy)."
    return "Healthy", "green", f"Pods ready; the scheduler beats {heartbeats:.1f} times a minute."


def rows(deployments, *, prices: cost.Prices | None) -> list[Row]:
    result = []
    for deployment in deployments:
        requested = quota.requested(deployment)
        estimate = cost.estimate(requested, prices) if prices is not None else None
        result.append(Row(deployment, requested, estimate))
    return result


def sorted_rows(deployments: QuerySet, *, key: str, descending: bool, prices: cost.Prices | None) -> list[Row]:
    """Every matching Deployment as a Row, in order. The totals need every row's requests anyway, so all are
    computed once; the database orders its own columns, requests and cost are sorted here."""
    if key in DB_SORTS:
        order = [F(f) if isinstance(f, str) else f for f in DB_SORTS[key]]
        return rows(deployments.order_by(*(f.desc() if descending else f.asc() for f in order)), prices=prices)
    by = {
        "cpu": lambda r: r.requested.cpu,
        "memory": lambda r: r.requested.memory_mib,
        "cost": lambda r: r.estimate.monthly if r.estimate else Decimal(0),
    }[key]
    ordered = sorted(rows(deployments.order_by(Lower("name"), "pk"), prices=prices), key=by, reverse=descending)
    return ordered


def totals(all_rows: list[Row], *, prices: cost.Prices | None) -> dict:
    """What the matching Deployments request together, and its estimated cost."""
    return {
        "count": len(all_rows),
        "cpu": sum((r.requested.cpu for r in all_rows), Decimal(0)),
        "memory_mib": sum(r.requested.memory_mib for r in all_rows),
        "monthly": sum((r.estimate.monthly for r in all_rows if r.estimate), Decimal(0)) if prices else None,
        "currency": prices.currency if prices else None,
    }
