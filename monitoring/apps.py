from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self):
        from deployments import cost
        from monitoring import pricing

        # The apps below cannot import this one: the Deployment pages and API ask `deployments.cost` for estimates,
        # whose prices this app keeps.
        cost.register_price_source(pricing.current_prices)
