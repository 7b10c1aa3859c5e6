from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self):
        from deployments import tabs
        from monitoring.alerts.channels.views import workspace_section
        from workspaces import views as workspace_views

        # The workspace page's notification channels card (the workspaces app cannot import this one).
        workspace_views.register_section(workspace_section)
        # The Deployment page (a lower app) shows this app's tabs through its registry.
        tabs.register(tabs.Tab("metrics", "Metrics", "ti-chart-line", "deployment_metrics", order=20))
