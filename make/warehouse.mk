# The local warehouse: a throwaway PostgreSQL 15 cluster standing in for Redshift.

.PHONY: pg-up
pg-up: venv ## Start the local PostgreSQL (created on first use, 127.0.0.1 only)
	$(PY) -m tools.local postgres start

.PHONY: pg-down
pg-down: venv ## Stop the local PostgreSQL (keeps its data)
	$(PY) -m tools.local postgres stop

.PHONY: pg-destroy
pg-destroy: venv ## Stop the local PostgreSQL and delete its data
	$(PY) -m tools.local postgres destroy

.PHONY: psql
psql: pg-up ## Open psql on the local warehouse
	eval "$$($(PY) -m tools.local postgres env)" && psql
