"""What a Deployment requests at rest and what that is estimated to cost a month (deployments/quota.py, cost.py)."""

from decimal import Decimal

import pytest

from deployments import catalog, cost, quota
from deployments.tests.factories import make_deployment

pytestmark = pytest.mark.django_db

PRICES = cost.Prices(cpu_hour=Decimal("0.04"), gib_hour=Decimal("0.005"), currency="EUR")


def test_requested_counts_every_component_at_its_configured_scale_and_workers_at_their_minimum(tenancy):
    deployment = make_deployment(
        actor=tenancy.owner,
        workspace=tenancy.workspace,
        queues=[{"name": "heavy", "worker_type": "A10", "min_workers": 2, "max_workers": 8}],
    )
    requested = quota.requested(deployment)
    # Scheduler 1 + API server 1 + triggerer 0.5 + DAG processor 1 + StatsD 0.1 + PgBouncer 0.25 + Redis 0.5
    # + Flower 0.25, the default queue's one A5 worker (1) and the heavy queue's two A10 workers (2 x 2), plus the
    # DAG sync sidecar (0.05 CPU, 64 MiB) beside each of the six pods that read DAGs.
    assert requested.cpu == Decimal("9.9")
    assert requested.memory_mib == 2048 + 2048 + 1024 + 2048 + 256 + 256 + 1024 + 512 + 2048 + 2 * 4096 + 6 * 64
    # The quota is the ceiling: every queue at its maximum, plus the rollout's surge.
    assert quota.for_deployment(deployment).cpu > requested.cpu


def test_requested_leaves_out_the_kubernetes_executors_task_pods(tenancy):
    deployment = make_deployment(
        actor=tenancy.owner,
        workspace=tenancy.workspace,
        executor=catalog.Executor.KUBERNETES,
        scaling={"max_task_pods": 50},
    )
    lines = {line.component for line in quota.requested(deployment).lines}
    assert "Task pods" not in lines and not any(name.startswith("Workers") for name in lines)
    # Scheduler, API server, triggerer, DAG processor, StatsD, PgBouncer, and three DAG sync sidecars.
    assert quota.requested(deployment).cpu == Decimal("4")


def test_a_queue_with_no_minimum_still_counts_the_one_worker_render_keeps(tenancy):
    deployment = make_deployment(
        actor=tenancy.owner,
        workspace=tenancy.workspace,
        queues=[{"name": "default", "worker_type": "A5", "min_workers": 0, "max_workers": 4}],
    )
    workers = [line for line in quota.requested(deployment).lines if line.component.startswith("Workers")]
    assert [(line.component, line.replicas) for line in workers] == [("Workers (default)", 1)]


def test_monthly_estimate_is_requests_times_prices_over_730_hours(tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    requested = quota.requested(deployment)
    estimate = cost.estimate(requested, PRICES)
    assert estimate.cpu_monthly == (requested.cpu * Decimal("0.04") * 730).quantize(Decimal("0.01"))
    assert estimate.memory_monthly == (requested.memory_gib * Decimal("0.005") * 730).quantize(Decimal("0.01"))
    assert estimate.monthly == estimate.cpu_monthly + estimate.memory_monthly
    assert estimate.as_dict()["hours_per_month"] == 730
    assert estimate.as_dict()["currency"] == "EUR"


def test_no_estimate_without_prices(tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    assert cost.for_deployment(deployment, None) is None
    assert cost.for_deployment(deployment) is None  # the monitoring app's source: nothing set yet
