from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self):
        # Lower apps show what this one adds through their registries; they cannot import it.
        from aerodrome.subqueries import count_of
        from deployments import cost, tabs, tasks
        from deployments.kube import contributions
        from monitoring import pricing
        from monitoring.alerts import selectors as alert_selectors
        from monitoring.alerts.channels.models import Channel
        from monitoring.alerts.channels.views import workspace_section as channels_section
        from monitoring.alerts.rendering import alert_rules_for
        from monitoring.alerts.views import workspace_section as alerts_section
        from monitoring.platform_metrics import tally
        from workspaces import views as workspace_views

        # A Deployment's alert rules join its desired state (its PrometheusRule).
        contributions.register_alert_rules(alert_rules_for)
        # The Deployment page's tabs.
        tabs.register(tabs.Tab("logs", "Logs", "ti-file-text", "deployment_logs", order=10))
        tabs.register(tabs.Tab("metrics", "Metrics", "ti-chart-line", "deployment_metrics", order=20))
        tabs.register(tabs.Tab("alerts", "Alerts", "ti-bell", "deployment_alerts", order=30))
        # The workspace page: its notification channels card and its incidents badge.
        workspace_views.register_section(
            channels_section, counts={"channel_count": lambda: count_of(Channel, "workspace")}
        )
        workspace_views.register_section(alerts_section, counts={"incident_count": alert_selectors.incident_count})
        # The prices `deployments.cost` estimates with (Deployment pages and API); the tally of reconcile runs that
        # /metrics serves.
        cost.register_price_source(pricing.current_prices)
        tasks.register_run_observer(tally.record)
