"""What a CodeBuild run of dbt builds (dbt_project/build_runner/plan.py), from the variables
the state machine sets. The runner against the real warehouse: tests/dbt/test_day_selection.py."""

from __future__ import annotations

import json

import pytest
from build_runner.plan import DAY_SELECTION, BuildRequest, BuildRequestError


def request(**env: str) -> BuildRequest:
    return BuildRequest.from_environment({"DBT_TARGET": "prod", **env})


def test_a_day_builds_its_branch_once_the_project_exists_else_everything() -> None:
    day = request(FLIGHT_DATE="2024-01-02", TRIGGER_KEY="daily_flights/date=2024-01-02/f.csv")
    assert (day.scope, day.dates, day.checks_unbuilt) == ("day", ("2024-01-02",), True)
    dates = ["--vars", json.dumps({"flight_dates": "2024-01-02"})]
    assert day.build_args() == ["build", *dates, "--select", DAY_SELECTION]
    # A fresh warehouse (or one without the airports branch yet): the whole project.
    assert day.build_args(["airports_snapshot", "dim_airports"]) == ["build", *dates]


def test_a_backfill_builds_the_whole_project_for_its_dates() -> None:
    backfill = request(FLIGHT_DATE="2024-01-01, 2024-01-02", TRIGGER_KEY="backfill")
    assert backfill.checks_unbuilt is False
    assert backfill.build_args() == [
        "build", "--vars", json.dumps({"flight_dates": "2024-01-01,2024-01-02"}),
    ]  # fmt: skip


def test_an_airports_upload_builds_the_whole_project_without_dates() -> None:
    airports = request(DBT_SCOPE="airports", FLIGHT_DATE="2024-01-02")
    assert (airports.scope, airports.checks_unbuilt) == ("airports", False)
    assert airports.build_args() == ["build"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "FLIGHT_DATE is not set"),
        ({"FLIGHT_DATE": " , "}, "FLIGHT_DATE is not set"),
        ({"FLIGHT_DATE": "2024-01-02,2024-1-3"}, "not a YYYY-MM-DD date: 2024-1-3"),
        # a quote would end the YAML string of --vars: refused before dbt sees it
        ({"FLIGHT_DATE": "2024-01-02'}"}, "not a YYYY-MM-DD date: 2024-01-02'}"),
    ],
)
def test_variables_that_name_no_build_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(BuildRequestError, match=message):
        request(**env)


def test_the_target_is_required() -> None:
    with pytest.raises(BuildRequestError, match="DBT_TARGET is not set"):
        BuildRequest.from_environment({"FLIGHT_DATE": "2024-01-02"})
