# The dashboard (dashboards/flightline.yaml, docs/dashboards.md): one offline page locally,
# Amazon QuickSight on AWS (cloudformation/dashboards.yaml, generated from the same file).
#   make dashboard                     build/dashboard/index.html from the local warehouse
#   make dashboard-template            regenerate cloudformation/dashboards.yaml

DASHBOARD_TEMPLATE := cloudformation/dashboards.yaml

.PHONY: dashboard
dashboard: venv pg-setup ## Build the dashboard page build/dashboard/index.html from the local warehouse
	$(PY) -m tools.dashboard build

.PHONY: dashboard-check
dashboard-check: venv ## Validate the dashboard definition (dashboards/*.yaml)
	$(PY) -m tools.dashboard check

.PHONY: dashboard-template
dashboard-template: venv ## Regenerate the QuickSight template cloudformation/dashboards.yaml from the definition
	$(PY) -m tools.dashboard quicksight --output $(DASHBOARD_TEMPLATE)

.PHONY: chromium
chromium: ## Install Debian's chromium when missing (the dashboard's browser test; apt-get, as root)
	@command -v chromium >/dev/null && exit 0; \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "error: chromium not found: the dashboard test needs it (Debian/Ubuntu: apt-get install -y chromium)" >&2; exit 1; fi; \
	  echo "Installing chromium (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
