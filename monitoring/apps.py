from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self):
        from deployments import cost, tabs, tasks
        from monitoring import pricing
        from monitoring.alerts.channels.views import workspace_section
        from monitoring.platform_metrics import tally
        from workspaces import views as workspace_views

        # The apps below cannot import this one, so it registers with them: the Deployment page's Metrics tab; the
        # workspace page's notification channels card; the prices `deployments.cost` estimates with (Deployment pages
        # and API); and the tally of reconcile runs that /metrics serves.
        tabs.register(tabs.Tab("metrics", "Metrics", "ti-chart-line", "deployment_metrics", order=20))
        workspace_views.register_section(workspace_section)
        cost.register_price_source(pricing.current_prices)
        tasks.register_run_observer(tally.record)
