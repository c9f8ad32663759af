# Relief: named entry points. A newcomer needs two: `make run` and `make test`.
# Each target creates or updates the virtual environment in .venv itself: `make run` installs
# only what running Relief needs, `make test` (and lint, format) adds the test tools.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Stamps, each redone whenever pyproject.toml is newer: Relief and what running it needs
# (make run), then the test extra on top (make test, make lint).
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PASSWORD ?= relief-demo
# Extra arguments, e.g. `make test ARGS="tests/cases -x"`.
ARGS ?=
# Test processes (pytest-xdist): one per core; `make test JOBS=0` runs in this process only.
JOBS ?= auto

.PHONY: help run test lint format check bench bench-payments bench-calculation messages clean

help:
	@echo "make run       set up, migrate, load demo data, serve on http://$(HOST):$(PORT)/"
	@echo "make test      run the test suite (ARGS=... passes arguments to pytest)"
	@echo "make lint      ruff check + ruff format --check + the import contracts (lint-imports)"
	@echo "make format    ruff format + ruff check --fix"
	@echo "make check     makemigrations --check and Django's system checks"
	@echo "make bench     registry search benchmark (bench/registry_search.py)"
	@echo "make bench-payments  payment run benchmark on 1,000,000 grants (bench/payment_run.py)"
	@echo "make bench-calculation  a town's 10,000 dibao calculations (bench/calculation.py)"
	@echo "make messages  extract and compile the zh_Hans translations"
	@echo "make clean     remove .venv, var/ (SQLite database, dev secret) and caches"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { echo "==> creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Relief needs Python 3.11 or newer: run 'make clean' and 'make PYTHON=python3.11 ...'"; exit 1; }
	@echo "==> installing Relief into $(VENV)"
	$(BIN)/python -m pip install --disable-pip-version-check -e .
	@touch $(STAMP)

# The test tools (pytest, Playwright, ruff, import-linter) on top of what running needs.
$(TEST_STAMP): $(STAMP) pyproject.toml
	@echo "==> installing the test tools into $(VENV)"
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[test]'
	@touch $(TEST_STAMP)

# The quick start: development settings (DEBUG on, a development secret generated under var/,
# SQLite under var/, Celery tasks run eagerly in-process because REDIS_URL is unset).
run: export DEBUG := 1
run: export ALLOWED_HOSTS := localhost,127.0.0.1
run: export DEMO_PASSWORD := $(DEMO_PASSWORD)
run: $(STAMP)
	$(MANAGE) migrate --noinput
	@# seed_demo is safe to run twice: it adds only missing demo households and resets the demo
	@# users' passwords to DEMO_PASSWORD, so the logins printed below always work.
	$(MANAGE) seed_demo
	@# Payments are another app (cases never imports payments): demo grants with payee accounts,
	@# the last three months paid, so next month's run has work, and a recovery and a back-pay
	@# waiting for a town supervisor. Also safe to run twice.
	$(MANAGE) seed_payments_demo
	@# A month of partner registry extracts for those recipients and the monthly check run on
	@# them, so the findings page has work at once (a few of each kind). Also safe to run twice.
	$(MANAGE) seed_registry_demo
	@echo
	@echo "  Relief is starting at http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password: $$DEMO_PASSWORD):"
	@echo "    worker-chashan       case worker, 茶山 (every town has worker-<slug>)"
	@echo "    supervisor-chashan   town supervisor, 茶山 (every town has supervisor-<slug>);"
	@echo "                         a recovery waits for 茶山, a back-pay for supervisor-dalang"
	@echo "    supervisor           city supervisor"
	@echo "    supervisor2          second city supervisor (confirms what supervisor proposes)"
	@echo "    finance              finance officer"
	@echo "    auditor              auditor (read-only)"
	@echo "    admin                administrator (also /admin/)"
	@echo "    registry-provider    registry provider (uploads partner extracts)"
	@echo "                         last month's findings wait for the case workers (Findings)"
	@echo "  API docs: http://$(HOST):$(PORT)/api/docs/    Stop with Ctrl-C."
	@echo
	$(MANAGE) runserver $(HOST):$(PORT)

test: $(TEST_STAMP)
	$(BIN)/pytest -n $(JOBS) $(ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(TEST_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: export DEBUG := 1
check: $(STAMP)
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check

bench: $(STAMP)
	$(BIN)/python bench/registry_search.py $(ARGS)

bench-payments: $(STAMP)
	$(BIN)/python bench/payment_run.py $(ARGS)

bench-calculation: $(STAMP)
	$(BIN)/python bench/calculation.py $(ARGS)

# Needs GNU gettext (Debian: apt-get install gettext).
messages: export DEBUG := 1
messages: $(STAMP)
	@command -v msgfmt >/dev/null || { echo "make messages needs GNU gettext: apt-get install gettext"; exit 1; }
	mkdir -p locale
	$(MANAGE) makemessages --locale zh_Hans --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'
	$(MANAGE) compilemessages --locale zh_Hans --ignore '.venv/*'

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache relief.egg-info
	find . -name __pycache__ -type d -not -path './.git/*' -prune -exec rm -rf {} +
