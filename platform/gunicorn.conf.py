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
