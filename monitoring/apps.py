from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self):
        from deployments import tabs
        from monitoring.alerts.channels.views import workspace_section
        from workspaces import views as workspace_views

        # The Deployment page (a lower app) shows this app's tabs through its registry.
        tabs.register(tabs.Tab("logs", "Logs", "ti-file-text", "deployment_logs", order=10))
        tabs.register(tabs.Tab("metrics", "Metrics", "ti-chart-line", "deployment_metrics", order=20))
        # The workspace page's notification channels card (the workspaces app cannot import this one).
        workspace_views.register_section(workspace_section)
