import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aerodrome.settings")
application = get_wsgi_application()

from aerodrome.serving import require_serving_settings  # noqa: E402  (needs the settings loaded above)

require_serving_settings()
