from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self):
        from monitoring.alerts.channels.views import workspace_section
        from workspaces import views as workspace_views

        # The workspace page's notification channels card (the workspaces app cannot import this one).
        workspace_views.register_section(workspace_section)
