import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aerodrome.settings")

app = Celery("aerodrome")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def _refuse_to_work_without_serving_settings(**kwargs):
    from aerodrome.serving import require_serving_settings

    require_serving_settings()  # a worker sends invitation mail and signs Airflow logins too
