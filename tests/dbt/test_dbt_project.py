"""The dbt project on the real local PostgreSQL, driven in-process through dbt's Python API.

One module-scoped scenario loads staging and builds, step by step, the way the pipeline does:
two days, then a new day, then a corrected file for a loaded day, then a rerun with nothing
new. Each step keeps a snapshot (rows plus PostgreSQL row versions `xmin`, which change when
a row is rewritten), and the tests below only read those snapshots, so they are independent
of each other's order.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.fixtures.dbt import (
    MARTS,
    UNJOINED_FACTS,
    Dbt,
    DbtResult,
    LoadStaging,
    StagingLoad,
)
from tools.local import postgres as localpg

DAY1, DAY2, DAY3 = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)
RECONCILIATION = "test.flightline.assert_fct_flights_reconciles_with_staging"
MODELS = (
    "stg_flightline__flights",
    "stg_flightline__airports",
    "int_flights__delay_classified",
    "dim_airports",
    "fct_flights",
    "delayed_flights",
    "mart_on_time_performance",
)
STAGED_COLUMNS = (
    "flight_id, flight_date, carrier_code, origin_airport_id, dest_airport_id, "
    "dep_delay_minutes, arr_delay_minutes, is_cancelled, is_diverted, is_origin_known, "
    "is_dest_known, source_line, run_id"
)
SEED_COLUMNS = [
    "carrier",
    "dep_airport",
    "dep_city",
    "dep_state",
    "arr_airport",
    "arr_city",
    "arr_state",
    "dep_delay",
    "arr_delay",
]


@dataclass
class Step:
    """What one build did and what the marts held afterwards."""

    loaded: StagingLoad
    result: DbtResult
    facts: dict[str, tuple[Any, ...]]  # flight_id -> fact row
    fact_versions: dict[str, str]  # flight_id -> xmin (changes when the row is rewritten)
    mart: dict[tuple[Any, ...], tuple[Any, ...]]  # (date, carrier, origin, dest) -> row
    mart_versions: dict[tuple[Any, ...], str]
    fct_run_sql: str
    staged: dict[str, dict[str, Any]]  # flight_id -> staging.flights row, as dbt saw it
    extras: dict[str, Any] = field(default_factory=dict)

    def staged_on(self, day: date) -> dict[str, dict[str, Any]]:
        return {fid: row for fid, row in self.staged.items() if row["flight_date"] == day}

    def ids_on(self, day: date) -> set[str]:
        return {fid for fid, row in self.facts.items() if row[1] == day}


def _query(conn: psycopg.Connection, sql: str) -> list[tuple[Any, ...]]:
    return conn.execute(sql).fetchall()


def _snapshot(dbt: Dbt, info: localpg.ConnInfo, loaded: StagingLoad, result: DbtResult) -> Step:
    with psycopg.connect(info.url, autocommit=True) as conn:
        facts = _query(conn, f"select xmin::text, * from {MARTS}.fct_flights")
        mart = _query(conn, f"select xmin::text, * from {MARTS}.mart_on_time_performance")
        with conn.cursor(row_factory=dict_row) as cur:
            staged = cur.execute(f"select {STAGED_COLUMNS} from staging.flights").fetchall()
    run_sql = dbt.target_path / "run/flightline/models/marts/fct_flights.sql"
    return Step(
        loaded=loaded,
        result=result,
        facts={row[1]: row[1:] for row in facts},
        fact_versions={row[1]: row[0] for row in facts},
        mart={(r[1], r[2], r[3], r[5]): r[1:] for r in mart},
        mart_versions={(r[1], r[2], r[3], r[5]): r[0] for r in mart},
        fct_run_sql=run_sql.read_text(),
        staged={row["flight_id"]: row for row in staged},
    )


@pytest.fixture(scope="module")
def scenario(dbt: Dbt, dbt_database: localpg.ConnInfo, loaded_staging: LoadStaging) -> dict:
    steps: dict[str, Any] = {}

    def build(name: str, loaded: StagingLoad, *args: str) -> None:
        steps[name] = _snapshot(dbt, dbt_database, loaded, dbt("build", *args))

    build("first", loaded_staging(dbt_database, [DAY1, DAY2]))
    build("new_day", loaded_staging(dbt_database, [DAY3]))
    build("corrected", loaded_staging(dbt_database, [DAY2], revision=1))
    build("rerun", {})
    extras = steps["rerun"].extras
    with psycopg.connect(dbt_database.url, autocommit=True) as conn:
        with contextlib.suppress(psycopg.errors.UndefinedTable):  # a failed build: tests say so
            cur = conn.execute(f"select * from {MARTS}.delayed_flights")
            extras["delayed_columns"] = [c.name for c in cur.description or []]
            extras["delayed"] = cur.fetchall()
        extras["staged"] = _query(
            conn,
            "select dep_delay_minutes, is_origin_known, is_dest_known from staging.flights",
        )
        extras["unjoined_facts"] = _query(conn, UNJOINED_FACTS)[0][0]
    # The orchestrator may name the dates to rebuild; nothing new in staging, DAY1 forced.
    build("explicit_dates", {}, "--select", "fct_flights", "--vars", "{flight_dates: [2024-01-01]}")

    with psycopg.connect(dbt_database.url, autocommit=True) as conn:
        # Drift the fact away from staging: the reconciliation test must notice.
        conn.execute(
            f"delete from {MARTS}.fct_flights where flight_id = "
            f"(select min(flight_id) from {MARTS}.fct_flights where flight_date = %s)",
            (DAY1,),
        )
    steps["drift_check"] = dbt("test", "--select", "assert_fct_flights_reconciles_with_staging")
    return steps


def test_first_build_passes_models_data_tests_and_unit_tests(scenario: dict) -> None:
    result: DbtResult = scenario["first"].result
    assert result.success, result.failed()
    assert result.failed() == {}
    assert {f"model.flightline.{m}" for m in MODELS} <= set(result.statuses)
    assert len(result.with_prefix("unit_test.flightline.int_flights__delay_classified")) == 2
    assert result.statuses[RECONCILIATION] == "pass"
    assert len(result.with_prefix("test.")) > 50


def test_first_build_holds_every_staged_flight_once(scenario: dict) -> None:
    first: Step = scenario["first"]
    assert set(first.loaded) == {DAY1, DAY2}
    for day in (DAY1, DAY2):
        assert first.ids_on(day) == set(first.staged_on(day))
        assert len(first.ids_on(day)) == first.loaded[day] > 0
    assert len(first.facts) == sum(first.loaded.values())


def test_new_day_adds_its_rows_and_rewrites_no_other_day(scenario: dict) -> None:
    first: Step = scenario["first"]
    new_day: Step = scenario["new_day"]
    assert new_day.result.success, new_day.result.failed()
    assert new_day.ids_on(DAY3) == set(new_day.staged_on(DAY3))
    assert len(new_day.ids_on(DAY3)) == new_day.loaded[DAY3] > 0
    old = first.ids_on(DAY1) | first.ids_on(DAY2)
    assert {fid: new_day.fact_versions[fid] for fid in old} == {
        fid: first.fact_versions[fid] for fid in old
    }
    # The delete names only the new day, as a literal the planner can prune on.
    assert "flight_date in (cast('2024-01-03' as date))" in new_day.fct_run_sql
    assert "2024-01-01" not in new_day.fct_run_sql
    assert "2024-01-02" not in new_day.fct_run_sql


def test_corrected_reload_leaves_exactly_the_new_rows_of_that_day(scenario: dict) -> None:
    before: Step = scenario["new_day"]
    after: Step = scenario["corrected"]
    assert after.result.success, after.result.failed()
    expected = after.staged_on(DAY2)
    assert expected != before.staged_on(DAY2)  # precondition: the correction changed the day
    assert len(expected) == after.loaded[DAY2]
    assert after.ids_on(DAY2) == set(expected)
    for fid, row in expected.items():
        fact = after.facts[fid]
        assert (fact[7], fact[8], fact[15], fact[16]) == (
            row["dep_delay_minutes"],
            row["arr_delay_minutes"],
            row["source_line"],
            row["run_id"],
        )
    untouched = before.ids_on(DAY1) | before.ids_on(DAY3)
    assert {f: after.fact_versions[f] for f in untouched} == {
        f: before.fact_versions[f] for f in untouched
    }
    assert {k for k in after.mart if k[0] != DAY2} == {k for k in before.mart if k[0] != DAY2}
    assert all(
        after.mart_versions[k] == before.mart_versions[k] for k in after.mart if k[0] != DAY2
    )


def _expected_mart(rows: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        origin = r["origin_airport_id"] if r["is_origin_known"] else -1
        dest = r["dest_airport_id"] if r["is_dest_known"] else -1
        groups[(r["flight_date"], r["carrier_code"], origin, dest)].append(r)

    def avg(values: list[int]) -> Decimal | None:
        if not values:
            return None
        return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP)

    expected = {}
    for key, flights in groups.items():
        completed = [f for f in flights if not f["is_cancelled"] and not f["is_diverted"]]
        delayed = [f for f in completed if f["arr_delay_minutes"] >= 15]
        share = (
            (Decimal(len(delayed)) / len(completed)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
            if completed
            else None
        )
        expected[key] = {
            "flights": len(flights),
            "completed": len(completed),
            "delayed": len(delayed),
            "delayed_share": share,
            "avg_dep": avg([f["dep_delay_minutes"] for f in flights if not f["is_cancelled"]]),
            "avg_arr": avg([f["arr_delay_minutes"] for f in completed]),
        }
    return expected


def test_on_time_mart_is_recomputed_for_the_corrected_day(scenario: dict) -> None:
    after: Step = scenario["corrected"]
    expected = _expected_mart(list(after.staged_on(DAY2).values()))
    actual = {k: v for k, v in after.mart.items() if k[0] == DAY2}
    assert set(actual) == set(expected)
    for key, row in actual.items():
        e = expected[key]
        got = {
            "flights": row[6],
            "completed": row[7],
            "delayed": row[9],
            "delayed_share": row[13],
            "avg_dep": row[15],
            "avg_arr": row[16],
        }
        assert got == e, key
    # Shares are fractions, not integer-divided zeros.
    assert any(0 < row[13] < 1 for row in actual.values() if row[13] is not None)


def test_rerun_without_new_loads_changes_and_rewrites_nothing(scenario: dict) -> None:
    before: Step = scenario["corrected"]
    rerun: Step = scenario["rerun"]
    assert rerun.result.success, rerun.result.failed()
    assert rerun.facts == before.facts
    assert rerun.fact_versions == before.fact_versions
    assert rerun.mart == before.mart
    assert rerun.mart_versions == before.mart_versions
    assert "delete from" not in rerun.fct_run_sql


def test_flight_dates_var_rebuilds_exactly_the_named_dates(scenario: dict) -> None:
    before: Step = scenario["rerun"]
    after: Step = scenario["explicit_dates"]
    assert after.result.success, after.result.failed()
    assert after.facts == before.facts
    rewritten = {f for f, v in after.fact_versions.items() if v != before.fact_versions[f]}
    assert rewritten == before.ids_on(DAY1)
    assert "flight_date in (cast('2024-01-01' as date))" in after.fct_run_sql


def test_every_fact_joins_the_airport_dimension(scenario: dict) -> None:
    rerun: Step = scenario["rerun"]
    assert rerun.extras["unjoined_facts"] == 0
    unknown = [fid for fid, row in rerun.staged.items() if not row["is_origin_known"]]
    assert unknown, "the staged days need a flight from an airport the airports file lacks"
    assert {rerun.facts[fid][3] for fid in unknown} == {-1}
    assert all(rerun.facts[fid][5] == rerun.staged[fid]["origin_airport_id"] for fid in unknown)


def test_delayed_flights_keeps_the_seed_columns_and_rule(scenario: dict) -> None:
    extras = scenario["rerun"].extras
    assert extras.get("delayed_columns") == SEED_COLUMNS
    staged = [row for row in extras["staged"] if row[0] is not None and row[0] >= 60]
    assert sorted(r[7] for r in extras["delayed"]) == sorted(row[0] for row in staged)
    # Airports missing from the airports file show as the unknown member, not as lost rows.
    unknown_origin = sum(1 for row in staged if not row[1])
    assert unknown_origin > 0
    assert sum(1 for r in extras["delayed"] if r[1] == "Unknown") == unknown_origin


def test_reconciliation_test_passes_each_build_and_catches_drift(scenario: dict) -> None:
    for name in ("first", "new_day", "corrected", "rerun"):
        assert scenario[name].result.statuses[RECONCILIATION] == "pass", name
    drift: DbtResult = scenario["drift_check"]
    assert not drift.success
    assert drift.statuses == {RECONCILIATION: "fail"}


def test_source_freshness_passes_after_a_load(scenario: dict, dbt: Dbt) -> None:
    result = dbt("source", "freshness")
    assert result.success
    assert set(result.statuses.values()) == {"pass"}
    assert len(result.statuses) == 4  # flights, airports, load_runs, day_checks


def test_docs_site_is_one_static_file_with_every_model(dbt: Dbt) -> None:
    result = dbt("docs", "generate", "--static")
    assert result.success, result.exception
    html = (dbt.target_path / "static_index.html").read_text()
    for model in MODELS:
        assert f"model.flightline.{model}" in html
    assert "How a day is (re)loaded" in html  # the overview page


def test_prod_target_parses_and_compiles_without_a_connection(tmp_path) -> None:
    offline = Dbt(None, tmp_path)
    no_credentials = {
        k: None
        for k in ("PGHOST", "PGPASSWORD", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "REDSHIFT_HOST")
    }
    parsed = offline("parse", "--target", "prod", env=no_credentials)
    assert parsed.success, parsed.exception
    manifest = json.loads((offline.target_path / "manifest.json").read_text())
    assert manifest["metadata"]["adapter_type"] == "redshift"
    fct = manifest["nodes"]["model.flightline.fct_flights"]["config"]
    assert (fct["dist"], fct["sort"], fct["incremental_strategy"]) == (
        "even",
        ["flight_date"],
        "replace_dates",
    )
    assert manifest["nodes"]["model.flightline.dim_airports"]["config"]["dist"] == "all"

    compiled = offline(
        "compile",
        "--target",
        "prod",
        "--no-introspect",
        "--no-populate-cache",
        "--exclude",
        "resource_type:unit_test",
        env=no_credentials,
    )
    assert compiled.success, compiled.exception
    out = offline.target_path / "compiled/flightline/models"
    sql = "\n".join(p.read_text() for p in out.rglob("*.sql"))
    assert "getdate()" in sql  # dbt's cross-database macros rendered for Redshift
    assert "::" not in sql
    assert "distinct on" not in sql.lower()
