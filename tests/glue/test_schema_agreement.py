"""The contract, the staging migrations and dbt's staging model agree on staging.flights
(fast: no database). Adopting a column (docs/schema-evolution.md) touches all three; this
fails when one of them is left behind, or when the column order COPY relies on differs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from flightline_glue.contract import STAGED_FLIGHT_COLUMNS
from flightline_glue.warehouse.ddl import migrations

DBT = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "staging"
# Denormalised airport attributes the job stages but dbt takes from dim_airports instead.
NOT_IN_STAGING_MODEL = {
    "origin_city", "origin_state", "origin_airport_name",
    "dest_city", "dest_state", "dest_airport_name",
}  # fmt: skip


def flights_columns_from_migrations(dialect: str) -> list[str]:
    """staging.flights' columns in table order, as the migrations build it."""
    columns: list[str] = []
    for migration in migrations(dialect):
        for statement in migration.statements:
            created = re.match(r"create table if not exists staging\.flights \((.*)\)", statement,
                               re.S)  # fmt: skip
            if created:
                columns = [line.split()[0] for line in created[1].split(",\n") if line.strip()]
            added = re.match(r"alter table staging\.flights add column (\w+)", statement)
            if added:
                columns.append(added[1])
    return columns


def test_the_migrations_build_the_contracts_column_order_on_both_dialects():
    for dialect in ("postgres", "redshift"):
        assert flights_columns_from_migrations(dialect) == list(STAGED_FLIGHT_COLUMNS), dialect


def test_the_staging_model_selects_and_documents_every_staged_column():
    sql = (DBT / "stg_flightline__flights.sql").read_text()
    selected = re.findall(r"(?:as (\w+),?\s*$|^\s+(\w+),?\s*$)", sql, re.M)
    names = {a or b for a, b in selected} - {"select"}
    expected = set(STAGED_FLIGHT_COLUMNS) - NOT_IN_STAGING_MODEL
    assert names == expected
    spec = yaml.safe_load((DBT / "stg_flightline__flights.yml").read_text())
    documented = {c["name"] for c in spec["models"][0]["columns"]}
    assert documented == expected


def test_the_source_declares_the_semi_structured_extras():
    spec = yaml.safe_load((DBT / "_flightline__sources.yml").read_text())
    (flights,) = [t for t in spec["sources"][0]["tables"] if t["name"] == "flights"]
    assert {c["name"] for c in flights["columns"]} <= set(STAGED_FLIGHT_COLUMNS)
    assert "extra_columns" in {c["name"] for c in flights["columns"]}
