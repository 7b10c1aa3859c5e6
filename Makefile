# Aerodrome. Two commands matter: `make run` (try it) and `make test` (everything CI checks).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# pyenv's shims exist for versions that are not selected, so try each interpreter instead of trusting `command -v`.
PYTHON := $(shell for p in python3.14 python3.13 python3.12; do $$p -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1 && echo $$p && break; done)

.PHONY: run test install install-dev browser pgbouncer engines airflow-venv test-idp services check-python lint migrations-check pytest vendor clean

check-python:
	@if [ -z "$(PYTHON)" ]; then echo "Aerodrome needs Python 3.12 or newer (Django 6.1). Install it (e.g. 'pyenv install 3.12') and retry." >&2; exit 1; fi

$(VENV)/.installed: requirements.txt | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

# cli/pyproject.toml: the CLI (installed editable by requirements-dev.txt) is reinstalled when its pins change.
$(VENV)/.installed-dev: requirements-dev.txt cli/pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: install, migrate, create the demo organisation, then serve web + Celery worker + beat (Ctrl-C stops all).
run: install
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo
	DEBUG=$${DEBUG:-true} bash scripts/run-dev.sh

## make test: install everything the tests need, start PostgreSQL and Redis if needed, lint, check migrations, test.
test: install-dev browser pgbouncer engines airflow-venv test-idp services lint migrations-check pytest

browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "Could not install chromium (run as root, or: sudo apt-get install chromium)" >&2; exit 1; }; \
	fi

# The pgbouncer tests run Debian's pgbouncer with the rendered pgbouncer.ini (a private process on a free port).
pgbouncer:
	@if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then \
	  echo "Installing Debian's pgbouncer for the pgbouncer tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null) \
	  || { echo "Could not install pgbouncer (run as root, or: sudo apt-get install pgbouncer)" >&2; exit 1; }; \
	fi

# The monitoring and deploy tests run the real engines from Debian: Prometheus (with promtool), Alertmanager (with
# amtool) and the distribution registry, each started by a fixture on a free port with a generated config.
ENGINES := prometheus:prometheus prometheus-alertmanager:prometheus-alertmanager docker-registry:docker-registry
engines:
	@missing=""; for pair in $(ENGINES); do cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null || [ -x /usr/bin/$$cmd ] || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian's$$missing for the monitoring and deploy tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null) \
	  || { echo "Could not install$$missing (run as root, or: sudo apt-get install$$missing)" >&2; exit 1; }; \
	fi

# The real-Airflow tests run Airflow 3.1 (and its FAB and Celery providers) from a venv of their own, on Python 3.12
# like the official image. Rebuilt only when the pins change, so later runs need no network.
AIRFLOW_VENV := .airflow-venv
AIRFLOW_PYTHON := python3.12
$(AIRFLOW_VENV)/.installed: requirements-airflow.txt constraints-airflow.txt
	@$(AIRFLOW_PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null \
	  || { echo "The Airflow test venv needs Python 3.12 (e.g. 'pyenv install 3.12')" >&2; exit 1; }
	rm -rf $(AIRFLOW_VENV)
	$(AIRFLOW_PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/pip install --quiet -r requirements-airflow.txt
	@touch $@

airflow-venv: $(AIRFLOW_VENV)/.installed

# The SSO tests run a real OpenID Connect provider (npm `oidc-provider`, pinned by its lockfile). `npm ci` runs only
# when the lockfile changed since the last install, so later runs need no network.
OIDC_IDP := accounts/tests/oidc
$(OIDC_IDP)/node_modules/.installed: $(OIDC_IDP)/package.json $(OIDC_IDP)/package-lock.json
	@command -v npm >/dev/null || { \
	  echo "Installing Node.js and npm for the SSO tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null) \
	  || { echo "Could not install Node.js (run as root, or: sudo apt-get install nodejs npm)" >&2; exit 1; }; \
	}
	npm ci --prefix $(OIDC_IDP) --no-audit --no-fund --loglevel=error
	@touch $@

test-idp: $(OIDC_IDP)/node_modules/.installed

services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "Starting PostgreSQL"; pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; }
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; pg_isready -h 127.0.0.1 -p 5432
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "Starting Redis"; redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; }
	@for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done; redis-cli -h 127.0.0.1 -p 6379 ping

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

migrations-check:
	DJANGO_SETTINGS_MODULE=aerodrome.settings_test $(PY) manage.py makemigrations --check --dry-run

pytest:
	$(VENV)/bin/pytest -q --durations=20 $(PYTEST_ARGS)

## make vendor: fetch the front-end packages pinned in scripts/vendor_static.py into static/vendor/ (needs npm).
vendor: install
	$(PY) scripts/vendor_static.py

clean:
	rm -rf $(VENV) $(AIRFLOW_VENV) var $(OIDC_IDP)/node_modules
