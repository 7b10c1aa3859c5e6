"""The live figures of the overview's shown rows (running and queued tasks, scheduler heartbeat), from the metrics
catalogue's `overview_figures` (one Prometheus query per cluster, for the shown page only). Whatever goes wrong
there costs the page its live columns, shown as "—" with the reason, never the page."""

import logging

from monitoring.metrics.selectors import overview_figures

logger = logging.getLogger(__name__)

FAILED = "Live figures could not be read from Prometheus."


def attach(rows) -> None:
    """Sets each row's `figures`, or its `figures_error` (the reason) when there are none."""
    if not rows:
        return
    try:
        figures = overview_figures(deployments=[row.deployment for row in rows])
    except Exception:  # noqa: BLE001 - a failing Prometheus must not take the page down
        logger.exception("overview_figures failed")
        figures = {}
    for row in rows:
        found = figures.get(row.deployment.pk)
        if found is None:
            row.figures_error = FAILED
        elif found.error:
            row.figures_error = found.error
        else:
            row.figures = found
