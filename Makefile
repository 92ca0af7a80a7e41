# Flightline: every developer and CI entry point. `make help` lists the targets.
# Area-specific targets live in make/*.mk; this file holds the shared plumbing and the
# commands the README names.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# One Python for everything: 3.13, as AWS Glue 6.0 runs (and LocalStack 2026.x needs).
# The local-service manager finds it (FLIGHTLINE_PYTHON_313, pyenv, python3.13 on PATH) and
# says what is missing; it is standard-library Python that any python3 runs.
BOOTSTRAP_PYTHON ?= python3
LOCALSTACK_MANAGE := $(BOOTSTRAP_PYTHON) -m tools.local localstack
PYTHON_313 = $$($(LOCALSTACK_MANAGE) python)
# A venv built on another Python cannot be upgraded in place: remove it (shell, in a recipe).
drop_venv_not_313 = if [ -x $(1)/bin/python ] && ! $(1)/bin/python -c \
  'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then \
  echo "$(1) is not on Python 3.13: recreating it"; rm -rf $(1); fi
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
STATE_DIR := .state
# Targets append their lint step here (see make/*.mk), so `make lint` runs them all.
LINT_TARGETS :=

include make/*.mk

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) \
	  | awk 'BEGIN {FS = ":.*## "} {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(VENV_STAMP): requirements.txt requirements-dev.txt glue/pyproject.toml
	@python=$(PYTHON_313); $(call drop_venv_not_313,$(VENV)); \
	  echo "Creating $(VENV) with $$python"; "$$python" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

.PHONY: venv
venv: $(VENV_STAMP) ## Create .venv (Python 3.13) with the runtime, test, lint and dbt packages

.PHONY: check-java
check-java: venv
	@command -v java >/dev/null || { echo "error: Java not found: Spark 4.1 needs a JRE 17 (Debian/Ubuntu: apt-get install -y default-jre-headless)" >&2; exit 1; }
	@$(PY) -m tools.local spark-classes

# The suite in parallel workers; a module's tests stay in one worker (module-scoped fixtures:
# one dbt database, one set of lanes). Tiers are derived from what each test touches
# (tests/conftest.py, docs/tests.md). Services a run starts are stopped after it, unless
# KEEP_SERVICES=1.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL = -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder
RUN_TESTS = $(if $(filter 1,$(KEEP_SERVICES)),FLIGHTLINE_KEEP_SERVICES=1 )$(PY) -m tools.local \
  around -- $(PY) -m pytest $(PYTEST_PARALLEL)

.PHONY: test
test: venv check-java chromium $(IAM_SIMULATE_STAMP) ## Run the whole suite, every tier (what CI runs; KEEP_SERVICES=1 keeps the services up)
	$(RUN_TESTS) $(PYTEST_ARGS)

.PHONY: test-quick
test-quick: venv $(IAM_SIMULATE_STAMP) ## Tier 1: the tests that touch no local service (seconds, no Java needed)
	$(PY) -m pytest -m quick $(PYTEST_PARALLEL) $(PYTEST_ARGS)

.PHONY: test-services
test-services: venv check-java chromium ## Tier 2: the tests against PostgreSQL, Spark and LocalStack (started on demand)
	$(RUN_TESTS) -m services $(PYTEST_ARGS)

.PHONY: test-lanes
test-lanes: venv check-java ## Tier 3: the end-to-end lanes in LocalStack (LANES=day,files runs only those)
	$(if $(LANES),FLIGHTLINE_LANES=$(LANES) )$(RUN_TESTS) -m lanes $(PYTEST_ARGS)

.PHONY: lint
lint: venv lint-python $(LINT_TARGETS) ## Run every linter (ruff, sqlfluff, cfn-lint, checkov, ASL, actionlint, IAM check)

.PHONY: lint-python
lint-python: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

.PHONY: format
format: venv ## Format and auto-fix Python with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

.PHONY: demo
demo: demo-localstack ## The main job: the event-driven pipeline in LocalStack on the sample days

.PHONY: demo-local
demo-local: load-sample dbt-build ## The same without LocalStack: job on the sample days, dbt build, on-time mart
	@$(PY) -m tools.demo.marts

.PHONY: clean
clean: ## Stop local services and remove generated files (keeps the venvs)
	-$(LOCALSTACK_MANAGE) stop
	-$(PY) -m tools.local postgres destroy
	rm -rf var data/generated build dist .pytest_cache .ruff_cache
