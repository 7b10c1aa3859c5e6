# Gunicorn settings for the Aerodrome web process (docker-compose `web` service).
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
wsgi_app = "aerodrome.wsgi:application"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The platform's /metrics counts requests in every worker process: prometheus-client's multiprocess mode keeps each
# process's values in files under this directory (set before any worker imports the client), emptied when gunicorn
# starts, and drops a dead worker's live values (monitoring/platform_metrics/instruments.py).
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(os.environ.get("VAR_DIR", "var"), "prometheus"))


def on_starting(server):
    import shutil

    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
