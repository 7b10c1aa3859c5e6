from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self):
        from deployments import tabs

        # The Deployment page (a lower app) shows this app's tabs through its registry.
        tabs.register(tabs.Tab("metrics", "Metrics", "ti-chart-line", "deployment_metrics", order=20))
