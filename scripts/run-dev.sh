#!/usr/bin/env bash
# Runs the web server, a Celery worker and Celery beat together; Ctrl-C (or SIGTERM) stops all three.
# Used by `make run`. PORT (default 8000) and VAR_DIR may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${PORT:-8000}"
VAR_DIR="${VAR_DIR:-var}"
mkdir -p "$VAR_DIR"

pids=()
stop() {
  trap - INT TERM EXIT
  echo "Stopping Aerodrome…"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

$PY -m celery -A aerodrome worker --loglevel=INFO --concurrency=2 --pool=threads &
pids+=($!)
$PY -m celery -A aerodrome beat --loglevel=INFO --schedule="$VAR_DIR/celerybeat-schedule" &
pids+=($!)
$PY manage.py runserver --noreload "127.0.0.1:$PORT" &
pids+=($!)
echo "Aerodrome is starting on http://127.0.0.1:$PORT/ (Ctrl-C stops the web server, worker and beat)"
# Stop everything as soon as any one of the three exits.
wait -n "${pids[@]}"
