"""Alerts: rules Prometheus evaluates (rendered into each Deployment's PrometheusRule), the Alertmanager receiver
that records what fires, the history people acknowledge, and silences set in the cluster's Alertmanager.

Notification channels and their delivery live in `monitoring.alerts.channels` (branch `channels`); this package
hands each recorded change to them through `monitoring.alerts.delivery.notify`."""
