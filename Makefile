# Partner Portal. `make run` serves the portal with its worker; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The loopback fake Heroku that `make run` starts (addons/heroku/fake/), and the portal's OAuth
# client registered on it for "Log in with Heroku" (made-up values: the fake is no Heroku).
FAKE_PORT ?= 5050
DEMO_OAUTH_CLIENT_ID ?= partner-portal-demo
DEMO_OAUTH_CLIENT_SECRET ?= partner-portal-demo-secret

.PHONY: run run-prod test test-fast lint bench bench-big bench-pages load check-python clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
		echo "error: Partner Portal needs Python 3.12 or newer, but '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
		echo "       Install Python 3.13 (the repo's .python-version) or run: make PYTHON=/path/to/python3.13 ..."; \
		exit 1; }

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet ".[dev]"
	touch $@

# A developer checkout reads .env (git-ignored) for DEBUG=true, so that plain `python manage.py …`
# works; production has no .env and sets its variables in the environment.
.env:
	cp .env.example $@
	@echo "Created .env from .env.example (DEBUG=true, for development only)."

# `make run`: the development server, the django-q2 worker and the loopback fake Heroku in demo
# mode (HEROKU_API_URL and HEROKU_ID_URL point at it, so nothing leaves the machine), after
# migrate and load_demo_data. SITE_URL follows HOST and PORT, so e-mailed links open this server.
# Ctrl-C stops all three.
run: SHELL := /bin/bash
run: $(VENV)/.installed | .env
	@set -euo pipefail; \
	export DEBUG=true SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}"; \
	export ALLOWED_HOSTS="$${ALLOWED_HOSTS:-$(HOST),127.0.0.1,localhost}"; \
	export HEROKU_API_URL=http://127.0.0.1:$(FAKE_PORT) HEROKU_ID_URL=http://127.0.0.1:$(FAKE_PORT); \
	export HEROKU_OAUTH_CLIENT_ID=$(DEMO_OAUTH_CLIENT_ID) HEROKU_OAUTH_CLIENT_SECRET=$(DEMO_OAUTH_CLIENT_SECRET); \
	$(BIN)/python manage.py fake_heroku --demo --port $(FAKE_PORT) & fake=$$!; \
	trap 'kill $$fake $${worker:-} 2>/dev/null; wait 2>/dev/null' EXIT; \
	trap 'exit 0' INT TERM; \
	$(BIN)/python manage.py migrate --no-input; \
	$(BIN)/python manage.py load_demo_data --wait 15; \
	echo "Serving $$SITE_URL/ with a django-q2 worker and the fake Heroku on $$HEROKU_API_URL."; \
	echo "Sign in as a Heroku customer: $$SITE_URL/demo/ (logins: README, Demo logins). Ctrl-C stops all three."; \
	$(BIN)/python manage.py qcluster & worker=$$!; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production rehearsal: the production settings (DEBUG off, manifest static files, gunicorn)
# on loopback. Plain http, so SECURE_SSL_REDIRECT is off. Throwaway secrets and the database URL
# live in the git-ignored .env.prod, written on first run; variables already set in the
# environment win over it.
.env.prod: | $(VENV)/.installed
	@umask 077; { \
		echo "# Throwaway settings for 'make run-prod' (git-ignored). Delete this file to regenerate."; \
		echo "SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))')"; \
		echo "FIELD_ENCRYPTION_KEY=$$($(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"; \
		echo "DATABASE_URL=sqlite:///$(CURDIR)/db.prod.sqlite3"; \
	} > $@
	@echo "Wrote throwaway secrets to $@."

run-prod: SHELL := /bin/bash
run-prod: $(VENV)/.installed .env.prod
	@set -euo pipefail; \
	while IFS='=' read -r key value; do \
		case "$$key" in ''|'#'*) continue ;; esac; \
		[ -n "$${!key:-}" ] || export "$$key=$$value"; \
	done < .env.prod; \
	export DEBUG=false SECURE_SSL_REDIRECT=false; \
	export ALLOWED_HOSTS="$${ALLOWED_HOSTS:-$(HOST),localhost}" SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}"; \
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0; \
	$(BIN)/python manage.py migrate --no-input; \
	echo "Serving http://$(HOST):$(PORT)/ with production settings (gunicorn and qcluster). Ctrl-C stops both."; \
	$(BIN)/python manage.py qcluster & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn portal.wsgi --bind $(HOST):$(PORT) --log-file -

test: $(VENV)/.installed | .env
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed | .env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports

# Sync benchmarks against the fake Heroku in its own process (bench/README.md, docs/benchmarks.md).
# `make bench`: the fake's capacity, N=1000 at C=32, the unchanged re-sync and its writes, queries
# per changed resource, and the straightforward client on 40 resources (a few minutes at most).
# `make bench-big`: N=2000 (the throughput target) and N=10000 (peak RSS). `make bench-pages`.
BENCH_ARGS ?= --resources 1000 --latency 0.1 --concurrency 32 --baseline 40
bench: $(VENV)/.installed
	$(BIN)/python bench/sync_bench.py $(BENCH_ARGS)

# 50 concurrent clients for 30 s against gunicorn on PostgreSQL: the Partner API, SSO, and 50
# identical provisions at once (docs/reliability.md, "Load"). Needs DATABASE_URL=postgres://…
LOAD_ARGS ?= --clients 50 --duration 30 --same-rounds 10
load: $(VENV)/.installed
	$(BIN)/python bench/load.py $(LOAD_ARGS)

bench-big: $(VENV)/.installed
	$(BIN)/python bench/sync_bench.py --resources 2000 --concurrency 32 --baseline 0
	$(BIN)/python bench/sync_bench.py --resources 10000 --concurrency 32 --baseline 0 --skip-capacity

bench-pages: $(VENV)/.installed
	$(BIN)/python bench/pages_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
