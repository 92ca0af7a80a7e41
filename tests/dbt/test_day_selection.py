"""What a day's dbt build runs (the buildspec in cloudformation/orchestration.yaml): the flights
source and everything downstream of it, once the warehouse holds every model; the whole project
on a fresh warehouse. On the real local PostgreSQL, dbt in-process, the real job's staging."""

from __future__ import annotations

import time
from datetime import date

import pytest

from tests.fixtures.dbt import Dbt, DbtResult, LoadStaging

DAY1, DAY2 = date(2024, 1, 1), date(2024, 1, 2)
DAY_SELECTION = (
    "--select",
    "source:flightline.flights+ source:flightline.load_runs+ source:flightline.day_checks+",
)
# What a day's job writes: its flights, its run's record (staging.load_runs) and the day's
# checks (staging.day_checks).
FLIGHTS_BRANCH = {
    "model.flightline.stg_flightline__flights",
    "model.flightline.int_flights__delay_classified",
    "model.flightline.fct_flights",
    "model.flightline.mart_on_time_performance",
    "model.flightline.delayed_flights",
    "model.flightline.stg_flightline__load_runs",
    "model.flightline.mart_pipeline_health",
    "model.flightline.mart_pipeline_rejects",
    "model.flightline.stg_flightline__day_checks",
    "model.flightline.mart_day_checks",
}
AIRPORTS_BRANCH = {
    "model.flightline.stg_flightline__airports",
    "snapshot.flightline.airports_snapshot",
    "model.flightline.dim_airports",
}


def dates(day: date) -> tuple[str, str]:
    return ("--vars", f"{{flight_dates: '{day.isoformat()}'}}")


def unbuilt(dbt: Dbt, capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    result = dbt("run-operation", "flightline_unbuilt_relations", "--quiet")
    assert result.success, result.exception
    return capsys.readouterr().out.split()


def built(result: DbtResult) -> set[str]:
    return {k for k in result.statuses if k.startswith(("model.", "snapshot."))}


def test_a_day_builds_the_flights_branch_once_the_project_exists(
    dbt: Dbt, dbt_database, loaded_staging: LoadStaging, capsys: pytest.CaptureFixture[str]
) -> None:
    # A fresh warehouse lacks every model: the buildspec builds the whole project.
    assert set(unbuilt(dbt, capsys)) == {u.split(".")[-1] for u in FLIGHTS_BRANCH | AIRPORTS_BRANCH}
    loaded_staging(dbt_database, [DAY1])
    started = time.monotonic()
    full = dbt("build", *dates(DAY1))
    full_seconds = time.monotonic() - started
    assert full.success, full.failed()
    assert built(full) == FLIGHTS_BRANCH | AIRPORTS_BRANCH
    assert unbuilt(dbt, capsys) == []

    loaded_staging(dbt_database, [DAY2])
    started = time.monotonic()
    day = dbt("build", *dates(DAY2), *DAY_SELECTION)
    day_seconds = time.monotonic() - started
    assert day.success, day.failed()
    assert built(day) == FLIGHTS_BRANCH
    # The day's facts are still tested against the dimension (relationships) and reconciled
    # with staging.
    tests = {k for k in day.statuses if k.startswith("test.")}
    assert any("relationships_fct_flights" in t for t in tests)
    assert "test.flightline.assert_fct_flights_reconciles_with_staging" in tests
    full_tests = {k for k in full.statuses if k.startswith(("test.", "unit_test."))}
    print(
        f"\nmodels and snapshots run: full build {len(built(full))}, day build {len(built(day))};"
        f" nodes run: full {len(full.statuses)}, day {len(day.statuses)};"
        f" tests: full {len(full_tests)}, day {len(day.statuses) - len(built(day))};"
        f" seconds (in-process, no start-up): full {full_seconds:.1f}, day {day_seconds:.1f}"
    )
