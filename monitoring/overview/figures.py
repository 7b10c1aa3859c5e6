"""The live figures of the overview's shown rows (running and queued tasks, scheduler heartbeat), from the metrics
catalogue's `overview_figures` (one Prometheus query per cluster). Whatever goes wrong there costs the page its
live columns, shown as "—" with the reason, never the page."""

import logging

logger = logging.getLogger(__name__)

UNAVAILABLE = "Live figures from Prometheus are not available on this installation yet."


def attach(rows) -> None:
    """Sets each row's `figures` (or `figures_error`) for the given rows only."""
    if not rows:
        return
    try:
        from monitoring.metrics.selectors import overview_figures
    except ImportError:  # the metrics catalogue is not installed (yet): no live columns
        for row in rows:
            row.figures_error = UNAVAILABLE
        return
    try:
        figures = overview_figures(deployments=[row.deployment for row in rows])
    except Exception:  # noqa: BLE001 - a failing Prometheus must not take the page down
        logger.exception("overview_figures failed")
        figures = {}
    for row in rows:
        found = figures.get(row.deployment.pk)
        if found is None:
            row.figures_error = "Prometheus did not answer for this Deployment."
        elif getattr(found, "error", None):
            row.figures_error = found.error
        else:
            row.figures = found
