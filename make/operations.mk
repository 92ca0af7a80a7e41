# Operating a deployed environment: backfills (tools/backfill/), the cost model (tools/cost/).
#   make backfill ENV=dev FROM=2024-01-01 TO=2024-01-31 [CONCURRENCY=n] [REGION=...]
#   (CONCURRENCY defaults to the job's MaxConcurrentRuns less one for daily loads)
#   make backfill ENV=local FROM=... TO=...        (against LocalStack: make deploy-local first)

FROM ?=
TO ?=
CONCURRENCY ?=

.PHONY: backfill
backfill: venv ## Load past days: make backfill ENV=dev FROM=YYYY-MM-DD TO=YYYY-MM-DD [CONCURRENCY=n]
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "error: set FROM=YYYY-MM-DD and TO=YYYY-MM-DD" >&2; exit 2; }
	$(PY) -m tools.backfill --env $(ENV) --from $(FROM) --to $(TO) $(if $(CONCURRENCY),--concurrency $(CONCURRENCY)) \
	  $(if $(filter local,$(ENV)),--endpoint-url $(or $(ENDPOINT),$(LOCALSTACK_ENDPOINT)),$(if $(ENDPOINT),--endpoint-url $(ENDPOINT))) \
	  $(if $(REGION),--region $(REGION),$(if $(filter local,$(ENV)),--region us-east-1))

COST_ARGS ?=

.PHONY: cost
cost: venv ## Modelled monthly cost of an environment: make cost ENV=dev [NOTICE=notice.json] [COST_ARGS="--set ExecutionClass=FLEX"]
	$(PY) -m tools.cost --env $(ENV) $(if $(NOTICE),--notice $(NOTICE)) $(COST_ARGS)
