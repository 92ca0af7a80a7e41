"""mart_pipeline_health prices a run with dbt vars; they must be tools/cost's price of the
dev environment's Glue job (`make cost`), or the dashboard and the cost report disagree."""

from __future__ import annotations

import yaml

from tests.fixtures.dbt import DBT_PROJECT_DIR
from tools.cost import prices
from tools.cost.model import run_price
from tools.deploy.config import load_env


def test_the_marts_glue_price_is_the_cost_models_price_of_the_dev_job() -> None:
    dbt_vars = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    env = load_env("dev").parameters
    glue = {
        "workers": int(env["NumberOfWorkers"]),
        "worker_type": env["WorkerType"],
        "execution_class": env["ExecutionClass"],
    }
    assert dbt_vars["glue_job_minimum_seconds"] == prices.GLUE_MINIMUM_SECONDS
    for seconds in (12.5, 60, 754.0):
        expected = run_price({"usage": {"glue": {**glue, "execution_seconds": seconds}}})
        modelled = (
            max(seconds, dbt_vars["glue_job_minimum_seconds"])
            * dbt_vars["glue_job_dpus"]
            * dbt_vars["glue_job_usd_per_dpu_hour"]
            / 3600
        )
        assert round(modelled, 4) == expected["glue_job"], seconds
