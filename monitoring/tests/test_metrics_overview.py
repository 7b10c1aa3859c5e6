"""overview_figures: running and queued tasks and heartbeats per minute for many Deployments, one query per
cluster, from a real Prometheus."""

import pytest

from deployments.tests.factories import make_cluster, make_deployment
from monitoring.metrics import prometheus
from monitoring.metrics.selectors import overview_figures


def test_overview_figures_for_two_deployments_in_one_query(world):
    with prometheus.recording() as calls:
        figures = overview_figures(deployments=[world.a, world.b])
    assert len(calls) == 1
    a, b = figures[world.a.pk], figures[world.b.pk]
    assert (a.running_tasks, a.queued_tasks, a.error) == (4.0, 2.0, None)
    assert a.heartbeats_per_minute == pytest.approx(12.0, rel=0.05)  # the newest rate: within part of a scrape
    assert (b.running_tasks, b.queued_tasks, b.error) == (1.0, 7.0, None)
    assert b.heartbeats_per_minute == pytest.approx(6.0, rel=0.05)


def test_overview_figures_say_why_there_are_none(tenancy):
    bare = make_cluster(name="no-prometheus")
    down = make_cluster(name="down", prometheus_url="http://127.0.0.1:1")
    first = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="One", cluster=bare)
    second = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Two", cluster=down)
    figures = overview_figures(deployments=[first, second])
    assert figures[first.pk].running_tasks is None
    assert "no Prometheus" in figures[first.pk].error
    assert figures[second.pk].heartbeats_per_minute is None
    assert "cannot be reached" in figures[second.pk].error
