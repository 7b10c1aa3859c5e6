from django.apps import AppConfig


class AerodromeConfig(AppConfig):
    name = "aerodrome"

    def ready(self):
        from aerodrome import serving  # noqa: F401  (registers its system check)
