# Partner Portal. `make run` serves the portal with its worker; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run run-prod test test-fast lint bench check-python clean

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

run: $(VENV)/.installed
	DEBUG=true $(BIN)/python manage.py migrate --no-input
	DEBUG=true $(BIN)/python manage.py load_demo_data
	@echo "Serving http://$(HOST):$(PORT)/ with a django-q2 worker. Ctrl-C stops both."
	@DEBUG=true $(BIN)/python manage.py qcluster & worker=$$!; \
		trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
		DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

# A first sync of a generated world against the fake Heroku in its own process (bench/README.md).
BENCH_ARGS ?= --resources 1000 --latency 0.1 --concurrency 16
bench: $(VENV)/.installed
	$(BIN)/python bench/sync_bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
