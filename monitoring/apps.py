from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self):
        from deployments import cost, tabs, tasks
        from monitoring import pricing
        from monitoring.platform_metrics import tally

        # The apps below cannot import this one: the Deployment page shows this app's tabs through its registry; the
        # Deployment pages and API ask `deployments.cost` for estimates, whose prices this app keeps; reconcile runs
        # report how they ended to the tally /metrics serves.
        tabs.register(tabs.Tab("metrics", "Metrics", "ti-chart-line", "deployment_metrics", order=20))
        cost.register_price_source(pricing.current_prices)
        tasks.register_run_observer(tally.record)
