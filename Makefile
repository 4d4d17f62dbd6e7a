# `make demo` and `make test` work on a fresh machine: they build the virtual environment
# (and the Debian packages the tests need) from nothing, then run.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; done)
DEMO_DIR ?= .tenure-demo
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test lint typecheck audit unit coverage bench clean

$(STAMP): pyproject.toml scripts/install-system-packages
	@test -n "$(PYTHON)" || { echo "Tenure needs Python 3.11 or newer on PATH" >&2; exit 1; }
	bash scripts/install-system-packages chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	TENURE_DATA_DIR=$(DEMO_DIR) $(BIN)/tenure demo up --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest --numprocesses auto --maxprocesses 4

# The whole suite with a line and branch coverage report of src/tenure/.
coverage: install
	$(BIN)/pytest --numprocesses auto --maxprocesses 4 --cov --cov-report=term

# pip-audit of the pinned dependencies; skipped with a message where PyPI is not reachable.
audit: install
	bash scripts/audit-dependencies $(BIN)

test: lint typecheck audit unit

clean:
	rm -rf $(VENV) .tenure $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
