# The Glue job, run locally: same package and run_job as on AWS Glue, local Spark and PostgreSQL.

SOURCE ?= data/sample
OUTPUT ?= var/output
SAMPLE_DATES := $(patsubst data/sample/daily_flights/date=%,%,$(wildcard data/sample/daily_flights/date=*))
RUN_JOB = $(PY) -m flightline_glue.local --source-root $(SOURCE) \
	--output-root $(OUTPUT) --warehouse-url "$$($(PY) -m tools.local postgres url --as loader)"

.PHONY: run
run: venv check-java pg-up ## Run the job for one day: make run DATE=2024-01-02 [SOURCE=data/generated]
	@test -n "$(DATE)" || { echo "usage: make run DATE=YYYY-MM-DD [SOURCE=folder]" >&2; exit 2; }
	$(RUN_JOB) --flight-date $(DATE)

.PHONY: load-sample
load-sample: venv check-java pg-up ## Run the job on every sample day into the local PostgreSQL
	@mkdir -p var
	@echo "Running the Glue job on $(SAMPLE_DATES) (Spark log: var/job.log)"
	@$(RUN_JOB) $(addprefix --flight-date ,$(SAMPLE_DATES)) > var/sample-run-summaries.json \
	  2> var/job.log || { tail -n 30 var/job.log; exit 1; }
	@$(PY) -m tools.demo.summaries var/sample-run-summaries.json

ROWS_BENCH ?= 1000000
.PHONY: bench
bench: venv check-java pg-up localstack-up ## Benchmark: job vs DuckDB + COPY vs bare COPY, then end-to-end latency in LocalStack
	$(PY) -m tools.bench.job --rows $(ROWS_BENCH) --small-rows $$(( $(ROWS_BENCH) / 4 ))
	$(PY) -m tools.bench.e2e
	$(PY) -m tools.bench.e2e --rows $(ROWS_BENCH)
