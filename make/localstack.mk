# LocalStack in host mode (no Docker, no auth token) with its own Python 3.13 venv
# (.venv-localstack) and the project's plugin giving it a real Glue and CodeBuild.
# The manager (tools/local/) is standard-library Python: any Python 3.11+ runs it
# (LOCALSTACK_MANAGE is set in the Makefile).

.PHONY: localstack-install
localstack-install: ## Create/update .venv-localstack (Python 3.13, localstack-core + plugin)
	$(LOCALSTACK_MANAGE) install

.PHONY: localstack-up
localstack-up: ## Start LocalStack on 127.0.0.1 (installs on first use; reuses a running one)
	$(LOCALSTACK_MANAGE) start

.PHONY: localstack-down
localstack-down: ## Stop the LocalStack started by localstack-up
	$(LOCALSTACK_MANAGE) stop

.PHONY: localstack-restart
localstack-restart: ## Restart LocalStack (picks up plugin code changes; state is not kept)
	$(LOCALSTACK_MANAGE) restart

.PHONY: localstack-status
localstack-status: ## Show whether LocalStack runs and which services it has started
	$(LOCALSTACK_MANAGE) status || true

.PHONY: localstack-logs
localstack-logs: ## Print the last lines of LocalStack's log (.state/localstack/localstack.log)
	$(LOCALSTACK_MANAGE) logs
