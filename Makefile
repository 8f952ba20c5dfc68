# MACHE: `make run` (demo on this machine) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

# The test suite talks to the real services of this machine.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/mache
TEST_REDIS_URL ?= redis://127.0.0.1:6379/2

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# `make run PORT=8100` serves on another port; links in e-mails follow it (SITE_URL)
# unless SITE_URL is set. The demo runs with DEBUG off, so a newcomer meets the site's
# own French error pages; `make run DEBUG=1` brings Django's debug pages back.
PORT ?= 8000
RUN_ENV := SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} DEBUG=$${DEBUG:-0}

run: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py load_demo
	$(RUN_ENV) $(PY) manage.py serve --port $(PORT)

# The whole suite runs on two processes (pytest-xdist): tests/conftest.py gives each its own
# test database, Redis databases (TEST_REDIS_URL's and the two above it) and var folder.
# A subset (PYTEST_ARGS) runs in one process unless PYTEST_WORKERS says otherwise;
# PYTEST_WORKERS=0 runs the whole suite in one process.
PYTEST_WORKERS ?= $(if $(PYTEST_ARGS),0,2)
PYTEST_PARALLEL := $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist worksteal)

test: install
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) MACHE_VAR_DIR=$(CURDIR)/var/test \
		$(VENV)/bin/pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# ruff (rules, then the one format), then the layers of the apps (import-linter,
# contract in pyproject.toml).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

bench: install
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m bench

clean:
	rm -rf $(VENV) var
