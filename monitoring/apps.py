from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self):
        from deployments import cost, tasks
        from monitoring import pricing
        from monitoring.platform_metrics import tally

        # The apps below cannot import this one: the Deployment pages and API ask `deployments.cost` for estimates,
        # whose prices this app keeps; reconcile runs report how they ended to the tally /metrics serves.
        cost.register_price_source(pricing.current_prices)
        tasks.register_run_observer(tally.record)
