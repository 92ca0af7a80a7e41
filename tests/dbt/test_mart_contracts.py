"""The marts' contracts are enforced: a model change that breaks a column's type or name
fails the build, before the table is replaced, instead of reaching the dashboard."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.fixtures.dbt import DBT_PROJECT_DIR, Dbt
from tests.fixtures.postgres import throwaway_database

MARTS = (
    "fct_flights",
    "dim_airports",
    "mart_on_time_performance",
    "mart_pipeline_health",
    "mart_pipeline_rejects",
    "mart_day_checks",
)


def mart_spec(name: str) -> dict:
    spec = yaml.safe_load((DBT_PROJECT_DIR / "models" / "marts" / f"{name}.yml").read_text())
    (model,) = [m for m in spec["models"] if m["name"] == name]
    return model


@pytest.mark.parametrize("name", MARTS)
def test_every_mart_column_has_a_contract_type(name):
    model = mart_spec(name)
    assert model["config"]["contract"] == {"enforced": True}
    untyped = [c["name"] for c in model["columns"] if not c.get("data_type")]
    assert untyped == []


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """The dbt project, copied so that a test can break one model."""
    copy = tmp_path / "dbt_project"
    shutil.copytree(
        DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    return copy


@pytest.fixture
def empty_warehouse(pg_info) -> Iterator:
    """Staging migrated and empty: the contract check needs the upstream views, not rows."""
    with throwaway_database(pg_info, "test_contract") as database:
        yield database


def build(project: Path, database, work: Path, *args: str):
    return Dbt(database, work, project_dir=project)(*(args or ("build",)))


def edit(project: Path, model: str, old: str, new: str) -> None:
    path = project / "models" / "marts" / f"{model}.sql"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_unchanged_models_meet_their_contract(project_copy, empty_warehouse, tmp_path):
    result = build(project_copy, empty_warehouse, tmp_path / "ok")
    assert result.success, result.failed()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # a type change: the line number becomes text
        ("    source_line,\n", "    cast(source_line as varchar(16)) as source_line,\n"),
        # a rename
        ("    run_id,\n", "    run_id as load_run_id,\n"),
    ],
    ids=["type", "name"],
)
def test_a_model_change_that_breaks_a_column_fails_the_build(
    project_copy, empty_warehouse, tmp_path, old, new
):
    edit(project_copy, "fct_flights", old, new)
    # The broken model and what it is built from (the rest cannot change it): a contract is
    # checked when its model is built, before the table is replaced, so `dbt run` shows it.
    result = build(
        project_copy, empty_warehouse, tmp_path / "broken", "run", "--select", "+fct_flights"
    )
    assert not result.success
    errors = {node for node, status in result.failed().items() if status == "error"}
    assert errors == {"model.flightline.fct_flights"}
    log = (tmp_path / "broken" / "logs" / "dbt.log").read_text()
    assert "contract" in log.lower()
