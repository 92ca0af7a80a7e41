"""The contract, the staging migrations and dbt agree on staging.flights (fast: no database).
Adopting a column (docs/schema-evolution.md) touches all of them; this fails when one is left
behind (a column the contract declares that a migration, the dbt source, the staging model
or fct_flights' contract lacks, or gives another type), or when the column order COPY relies
on differs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from flightline_glue.contract import OPTIONAL_FLIGHT_COLUMNS, STAGED_FLIGHT_COLUMNS
from flightline_glue.warehouse.ddl import migrations

MODELS = Path(__file__).resolve().parents[2] / "dbt_project" / "models"
DBT = MODELS / "staging"
# Denormalised airport attributes the job stages but dbt takes from dim_airports instead.
NOT_IN_STAGING_MODEL = {
    "origin_city", "origin_state", "origin_airport_name",
    "dest_city", "dest_state", "dest_airport_name",
}  # fmt: skip


def flights_table_from_migrations(dialect: str) -> dict[str, tuple[str, str]]:
    """staging.flights' columns in table order, as the migrations build it:
    {column: (its type, the migration version that made it)}."""
    columns: dict[str, tuple[str, str]] = {}
    for migration in migrations(dialect):
        for statement in migration.statements:
            created = re.match(r"create table if not exists staging\.flights \((.*)\)", statement,
                               re.S)  # fmt: skip
            if created:
                definitions = [line.split() for line in created[1].split(",\n") if line.strip()]
                columns = {d[0]: (d[1], migration.version) for d in definitions}
            added = re.match(r"alter table staging\.flights add column (\w+) (\S+)", statement)
            if added:
                columns[added[1]] = (added[2], migration.version)
    return columns


def flights_columns_from_migrations(dialect: str) -> list[str]:
    return list(flights_table_from_migrations(dialect))


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


def _ids(column) -> str:
    return column.header


@pytest.mark.parametrize("column", OPTIONAL_FLIGHT_COLUMNS, ids=_ids)
def test_an_adopted_column_has_its_migration_with_the_declared_type(column):
    for dialect in ("postgres", "redshift"):
        table = flights_table_from_migrations(dialect)
        assert column.staged in table, f"no migration adds staging.flights.{column.staged}"
        assert table[column.staged] == (column.sql_type, column.migration), dialect
    assert column.max_bytes == int(re.fullmatch(r"varchar\((\d+)\)", column.sql_type)[1])


@pytest.mark.parametrize("column", OPTIONAL_FLIGHT_COLUMNS, ids=_ids)
def test_an_adopted_column_reaches_the_source_the_staging_model_and_fct_flights(column):
    sources = yaml.safe_load((DBT / "_flightline__sources.yml").read_text())
    (flights,) = [t for t in sources["sources"][0]["tables"] if t["name"] == "flights"]
    assert column.staged in {c["name"] for c in flights["columns"]}, "the dbt source"
    staging_sql = (DBT / "stg_flightline__flights.sql").read_text()
    cast = f"cast({column.staged} as {column.sql_type}) as {column.staged}"
    assert cast in staging_sql, "stg_flightline__flights selects it with the declared type"
    # fct_flights is the mart of flights: an adopted column is a fact attribute, and its
    # enforced contract gives the type readers may rely on.
    spec = yaml.safe_load((MODELS / "marts" / "fct_flights.yml").read_text())
    (fct,) = [m for m in spec["models"] if m["name"] == "fct_flights"]
    types = {c["name"]: c.get("data_type") for c in fct["columns"]}
    assert types.get(column.staged) == column.sql_type, "fct_flights' contract"
