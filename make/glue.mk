# The Glue job, run locally: same package and run_job as on AWS Glue, local Spark and PostgreSQL.

SOURCE ?= data/sample
OUTPUT ?= var/output
SAMPLE_DATES := $(patsubst data/sample/daily_flights/date=%,%,$(wildcard data/sample/daily_flights/date=*))
RUN_JOB = $(PY) -m flightline_glue.local --source-root $(SOURCE) \
	--output-root $(OUTPUT) --warehouse-url "$$($(PY) -m tools.local postgres url --as loader)"

# Run the job on the dates in $(1), quietly: Spark's own output goes to var/job.log, the run
# summaries to $(2), and the screen gets the summary table or the failure's one-line error.
define run_job_quietly
@mkdir -p var
@echo "Running the Glue job on $(1) (Spark log: var/job.log)"
@$(RUN_JOB) $(addprefix --flight-date ,$(1)) > $(2) 2> var/job.log \
  || { grep -v '^\(WARNING\|Using\|Setting\|To adjust\|[0-9/]* [0-9:]* WARN\)' var/job.log \
       | tail -n 5 >&2; echo "(full log: var/job.log)" >&2; exit 1; }
@$(PY) -m tools.demo.summaries $(2)
endef

.PHONY: run
run: venv check-java pg-setup ## Run the job for one day: make run DATE=2024-01-02 [SOURCE=data/generated]
	@test -n "$(DATE)" || { echo "usage: make run DATE=YYYY-MM-DD [SOURCE=folder]" >&2; exit 2; }
	$(call run_job_quietly,$(DATE),var/run-summary.json)

.PHONY: load-sample
load-sample: venv check-java pg-setup ## Run the job on every sample day into the local PostgreSQL
	$(call run_job_quietly,$(SAMPLE_DATES),var/sample-run-summaries.json)

ROWS_BENCH ?= 1000000
.PHONY: bench
bench: venv check-java pg-up localstack-up ## Benchmark: job vs DuckDB + COPY vs bare COPY, then end-to-end latency in LocalStack
	FLIGHTLINE_SPARK_DRIVER_JAVA_OPTIONS= $(PY) -m tools.bench.job --rows $(ROWS_BENCH) --small-rows $$(( $(ROWS_BENCH) / 4 ))
	$(PY) -m tools.bench.e2e
	$(PY) -m tools.bench.e2e --rows $(ROWS_BENCH)
