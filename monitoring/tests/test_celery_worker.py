import pytest

from monitoring.tasks import ping


@pytest.mark.celery
def test_a_task_round_trips_through_a_real_worker_on_redis(celery_worker_queue, settings):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    result = ping.apply_async(queue=celery_worker_queue)
    assert result.get(timeout=30) == "pong"
