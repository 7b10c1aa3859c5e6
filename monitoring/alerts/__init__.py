"""Alerts: rules Prometheus evaluates (rendered into each Deployment's PrometheusRule), the Alertmanager receiver
that records what fires, the history people acknowledge, and silences set in the cluster's Alertmanager.

Notification channels and their delivery live in `monitoring.alerts.channels` and `delivery`; this package hands
each recorded alert event to them through `monitoring.alerts.notices.alert_event_notify`."""
