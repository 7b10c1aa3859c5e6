from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self):
        # A Deployment's alert rules join its desired state without deployments importing monitoring.
        from deployments.kube import contributions
        from monitoring.alerts.rendering import alert_rules_for

        contributions.register_alert_rules(alert_rules_for)

        from monitoring.alerts.views import workspace_section as alerts_section
        from workspaces import views as workspace_views

        workspace_views.register_section(alerts_section)  # the incidents badge

        from monitoring.alerts.channels.views import workspace_section
        from workspaces import views as workspace_views

        # The workspace page's notification channels card (the workspaces app cannot import this one).
        workspace_views.register_section(workspace_section)
