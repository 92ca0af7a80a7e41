# AWS infrastructure: CloudFormation stacks (cloudformation/), the state machine
# (stepfunctions/, drawn into docs/state-machines/ by `make diagrams`) and the deploy tool
# (tools/deploy/).
#   make deploy ENV=dev                          deploy to the account of the current credentials
#   make deploy ENV=local ENDPOINT=http://...    deploy to an emulator
#   make deploy ENV=dev STACKS=ci-deploy-role    once per account/env, by an administrator
#   make deploy-local                            start LocalStack, deploy ENV=local to it
#   make smoke ENV=dev [ENDPOINT=http://...]     read-only checks of a deployed environment
#   make rotate-login ENV=dev [LOGIN=crawler]    new passwords for the warehouse logins (monthly in CI)
#   make e2e-aws ENV=sandbox                     one sample day through a deployed env, followed,
#                                                the emulated calls' answers recorded in var/parity/
#   make parity RECORDED=var/parity/sandbox-...  a local recording against the model and AWS's
# The workload stacks are created by the CI role stack's CloudFormation execution role (the
# deploy tool reads its ARN from that stack); CFN_ROLE_ARN=... names another one.

ENV ?= dev
ENDPOINT ?=
REGION ?=
STACKS ?=
CFN_ROLE_ARN ?=
# The local LocalStack, as tools/local reports it (FLIGHTLINE_LOCALSTACK_PORT decides the port).
LOCALSTACK_ENDPOINT ?= $(shell $(LOCALSTACK_MANAGE) url)
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
CFN_TEMPLATES := $(wildcard cloudformation/*.yaml)

LINT_TARGETS += lint-cfn

# checkov pins an older boto3 than the runtime, so it lives in its own venv.
$(CHECKOV_STAMP): requirements-checkov.txt
	@python=$(PYTHON_313); $(call drop_venv_not_313,$(CHECKOV_VENV)); \
	  "$$python" -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	@touch $@

.PHONY: venv-checkov
venv-checkov: $(CHECKOV_STAMP) ## Create .venv-checkov (the policy scanner's own venv)

.PHONY: lint-cfn
lint-cfn: venv $(CHECKOV_STAMP) ## Lint the templates (cfn-lint, checkov), validate the ASL and bound its history events
	$(VENV)/bin/cfn-lint $(CFN_TEMPLATES)
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --framework cloudformation \
	  --skip-download --directory cloudformation
	$(PY) -m tools.deploy.asl_check $(wildcard stepfunctions/*.asl.json) \
	  --template cloudformation/orchestration.yaml

.PHONY: deploy
deploy: venv ## Deploy the stacks: make deploy ENV=dev [ENDPOINT=http://...] [REGION=...] [STACKS=a,b]
	$(PY) -m tools.deploy --env $(ENV) $(if $(ENDPOINT),--endpoint-url $(ENDPOINT)) \
	  $(if $(REGION),--region $(REGION)) $(if $(STACKS),--stacks $(STACKS)) \
	  $(if $(CFN_ROLE_ARN),--cfn-role-arn $(CFN_ROLE_ARN))

.PHONY: smoke
smoke: venv ## Read-only checks of a deployed env: make smoke ENV=dev [ENDPOINT=http://...] [REGION=...]
	$(PY) -m tools.deploy.smoke --env $(ENV) $(if $(ENDPOINT),--endpoint-url $(ENDPOINT)) \
	  $(if $(REGION),--region $(REGION))

LOGIN ?= all

.PHONY: rotate-login
rotate-login: venv ## Rotate warehouse login passwords: make rotate-login ENV=dev [LOGIN=all|crawler|reader] [ENDPOINT=...]
	$(PY) -m tools.deploy.rotate --env $(ENV) --login $(LOGIN) \
	  $(if $(ENDPOINT),--endpoint-url $(ENDPOINT)) $(if $(REGION),--region $(REGION))

RECORD_DIR ?=
LOCAL ?=
RECORDED ?=

.PHONY: e2e-aws
e2e-aws: venv ## Upload a sample day to a deployed env, follow it, record the emulated calls' answers: make e2e-aws ENV=sandbox [REGION=...] [ENDPOINT=...] [RECORD_DIR=...]
	$(PY) -m tools.e2e.run_day --env $(ENV) $(if $(ENDPOINT),--endpoint-url $(ENDPOINT)) \
	  $(if $(REGION),--region $(REGION)) $(if $(RECORD_DIR),--record-dir $(RECORD_DIR))

.PHONY: parity
parity: venv ## Check a local recording against botocore's model and a sandbox one: make parity [LOCAL=var/parity/local-...] [RECORDED=var/parity/sandbox-...]
	$(PY) -m tools.parity check $(if $(LOCAL),--local $(LOCAL)) \
	  $(if $(RECORDED),--recorded $(RECORDED))

.PHONY: deploy-local
deploy-local: localstack-up ## Start LocalStack and deploy ENV=local to it
	$(PY) -m tools.deploy --env local --endpoint-url $(LOCALSTACK_ENDPOINT)

.PHONY: diagrams
diagrams: venv ## Redraw the state machine pictures in docs/state-machines/ from stepfunctions/*.asl.json
	$(PY) -m tools.deploy.asl_diagram
