"""What a day's dbt build runs: build_runner (dbt_project/build_runner), as CodeBuild runs it,
builds the flights source and everything downstream of it once the warehouse holds every model,
the whole project on a fresh warehouse, and parses once per build, partially from the parse the
last build saved whatever the date. On the real local PostgreSQL, dbt in-process, the real
job's staging."""

from __future__ import annotations

import json
import time
from datetime import date

from build_runner.plan import BuildRequest
from build_runner.runner import run_build
from build_runner.session import DbtSession

from tests.fixtures.dbt import Dbt, LoadStaging

DAY1, DAY2 = date(2024, 1, 1), date(2024, 1, 2)
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


def build_day(dbt: Dbt, day: date) -> tuple[list[str], dict[str, str], DbtSession]:
    """One CodeBuild run's build of `day`: (the models it found unbuilt, each node's status,
    the session)."""
    request = BuildRequest.from_environment(
        {"DBT_TARGET": "local", "FLIGHT_DATE": day.isoformat(),
         "TRIGGER_KEY": f"daily_flights/date={day}/flights.csv"}
    )  # fmt: skip
    session = DbtSession(
        request.target, dbt.common_args(), dbt.target_path / "partial_parse.msgpack"
    )
    with dbt.login():
        unbuilt = run_build(request, session)
    results = json.loads((dbt.target_path / "run_results.json").read_text())
    # The day's dates reach the build (the watermark would often pick the same day).
    assert results["args"]["vars"] == {"flight_dates": day.isoformat()}
    return unbuilt, {r["unique_id"]: r["status"] for r in results["results"]}, session


def built(statuses: dict[str, str]) -> set[str]:
    return {k for k in statuses if k.startswith(("model.", "snapshot."))}


def test_a_day_builds_the_flights_branch_once_the_project_exists(
    dbt: Dbt, dbt_database, loaded_staging: LoadStaging
) -> None:
    loaded_staging(dbt_database, [DAY1])
    started = time.monotonic()
    unbuilt, full, first = build_day(dbt, DAY1)
    full_seconds = time.monotonic() - started
    # A fresh warehouse lacks every model: the whole project.
    assert set(unbuilt) == {u.split(".")[-1] for u in FLIGHTS_BRANCH | AIRPORTS_BRANCH}
    assert first.parsed_in_full  # nothing saved yet
    assert set(full.values()) <= {"success", "pass", "no-op"}, full
    assert built(full) == FLIGHTS_BRANCH | AIRPORTS_BRANCH

    loaded_staging(dbt_database, [DAY2])
    started = time.monotonic()
    unbuilt, day, second = build_day(dbt, DAY2)
    day_seconds = time.monotonic() - started
    assert unbuilt == []
    # The first build's saved parse serves the next day's (the date is a run-time var).
    assert second.parsed_in_full is False
    assert set(day.values()) <= {"success", "pass", "no-op"}, day
    assert built(day) == FLIGHTS_BRANCH
    # The day's facts are still tested against the dimension (relationships) and reconciled
    # with staging.
    tests = {k for k in day if k.startswith("test.")}
    assert any("relationships_fct_flights" in t for t in tests)
    assert "test.flightline.assert_fct_flights_reconciles_with_staging" in tests
    full_tests = {k for k in full if k.startswith(("test.", "unit_test."))}
    print(
        f"\nmodels and snapshots run: full build {len(built(full))}, day build {len(built(day))};"
        f" nodes run: full {len(full)}, day {len(day)};"
        f" tests: full {len(full_tests)}, day {len(day) - len(built(day))};"
        f" seconds (in-process, no start-up): full {full_seconds:.1f}, day {day_seconds:.1f}"
    )
