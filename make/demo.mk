# The whole event-driven pipeline on this machine: LocalStack (real Glue job and dbt build
# inside it) + the local PostgreSQL. tools/demo/demo.py; DEMO_ARGS=--force uploads the sample again.

DEMO_ARGS ?=

.PHONY: demo-localstack
demo-localstack: venv check-java localstack-up pg-up ## Deploy to LocalStack, upload the sample days, follow each execution, show summaries and the on-time mart
	$(PY) -m tools.demo $(DEMO_ARGS)
