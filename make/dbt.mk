# dbt: the marts on top of the staging tables the Glue job lands (dbt_project/).
# Local targets run against the project's PostgreSQL, bootstrapped directly (`pg-setup`); the
# prod target (Redshift Serverless, IAM) is only parsed and compiled here, offline.

DBT := $(VENV)/bin/dbt
DBT_DIR := dbt_project
DBT_DOCS_DIR := build/dbt-docs
# Extra dbt arguments, e.g. make dbt-build DBT_ARGS="--vars '{flight_dates: [2024-01-02]}'"
DBT_ARGS ?=
# Run dbt with the project's committed profiles.yml and the local warehouse's libpq variables.
DBT_LOCAL = eval "$$($(PY) -m tools.local postgres env --as dbt)" && DBT_PROFILES_DIR=$(DBT_DIR) $(DBT)

.PHONY: dbt-build
dbt-build: venv pg-setup ## Build and test the dbt models on the local PostgreSQL (DBT_ARGS=... to pass more)
	$(DBT_LOCAL) build --project-dir $(DBT_DIR) $(DBT_ARGS)

.PHONY: dbt-freshness
dbt-freshness: venv pg-setup ## Check the freshness of the staging tables (loaded_at) on the local PostgreSQL
	$(DBT_LOCAL) source freshness --project-dir $(DBT_DIR)

.PHONY: dbt-parse-prod
dbt-parse-prod: venv ## Parse and compile the dbt project for the prod target (Redshift) without a connection
	DBT_PROFILES_DIR=$(DBT_DIR) $(DBT) parse --project-dir $(DBT_DIR) --target prod --target-path target/prod
	DBT_PROFILES_DIR=$(DBT_DIR) $(DBT) compile --project-dir $(DBT_DIR) --target prod --target-path target/prod \
	  --no-introspect --no-populate-cache --exclude "resource_type:unit_test"

.PHONY: docs
docs: venv pg-setup ## Generate the single-file dbt docs site into build/dbt-docs/index.html
	$(DBT_LOCAL) docs generate --static --project-dir $(DBT_DIR) --target-path target/docs
	mkdir -p $(DBT_DOCS_DIR)
	cp $(DBT_DIR)/target/docs/static_index.html $(DBT_DOCS_DIR)/index.html
	@echo "docs site: $(DBT_DOCS_DIR)/index.html"

.PHONY: lint-sql
# The dbt templater needs the database: started for the lint and stopped after it when it
# was not running before (as make test does; KEEP_SERVICES=1 keeps it).
lint-sql: venv ## Lint the dbt models and tests with sqlfluff (dbt templater)
	$(if $(filter 1,$(KEEP_SERVICES)),FLIGHTLINE_KEEP_SERVICES=1 )$(PY) -m tools.local around -- \
	  sh -c '$(PY) -m tools.local postgres set-up && \
	    eval "$$($(PY) -m tools.local postgres env --as dbt)" && \
	    cd $(DBT_DIR) && ../$(VENV)/bin/sqlfluff lint .'

LINT_TARGETS += lint-sql

.PHONY: dbt-lock
dbt-lock: venv ## Rewrite requirements-dbt.lock (the dbt build's hash-locked wheels) after a dbt pin change
	$(PY) -m tools.deploy.wheelhouse lock
