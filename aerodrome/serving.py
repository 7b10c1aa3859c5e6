"""What serving needs outside DEBUG (settings.MISSING_TO_SERVE): build steps such as collectstatic and
makemigrations run without it, the web server and the worker refuse to start, `check --deploy` reports it."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def require_serving_settings() -> None:
    if settings.MISSING_TO_SERVE:
        raise ImproperlyConfigured(" ".join(settings.MISSING_TO_SERVE))


@checks.register(deploy=True)
def serving_settings_check(app_configs=None, **kwargs):
    return [checks.Error(message, id="aerodrome.E001") for message in settings.MISSING_TO_SERVE]
