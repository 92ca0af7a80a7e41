# The local warehouse: a throwaway PostgreSQL 15 cluster standing in for Redshift.

.PHONY: pg-up
pg-up: venv ## Start the local PostgreSQL (created on first use, 127.0.0.1 only; the deploy bootstraps it)
	$(PY) -m tools.local postgres start

# The commands that load or read PostgreSQL without a deploy (make run, dbt, the dashboard)
# apply the bootstrap and migrations themselves; make demo leaves them to the deploy.
.PHONY: pg-setup
pg-setup: venv ## Start the local PostgreSQL and apply the warehouse bootstrap and migrations directly
	$(PY) -m tools.local postgres set-up

.PHONY: pg-down
pg-down: venv ## Stop the local PostgreSQL (keeps its data)
	$(PY) -m tools.local postgres stop

.PHONY: pg-destroy
pg-destroy: venv ## Stop the local PostgreSQL and delete its data
	$(PY) -m tools.local postgres destroy

.PHONY: psql
psql: pg-up ## Open psql on the local warehouse
	eval "$$($(PY) -m tools.local postgres env)" && psql
