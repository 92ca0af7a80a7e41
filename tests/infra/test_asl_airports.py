"""The airports machine: an upload of dim/airports.csv loads the airports
table on its own and rebuilds the dimension, instead of waiting for the next day."""

from __future__ import annotations

from typing import Any


def test_an_airports_upload_loads_the_file_then_rebuilds_the_dimension(
    machines: dict[str, Any],
) -> None:
    airports, marts = machines["airports"], machines["marts_build"]
    states, build = airports["States"], marts["States"]
    # The airports-file-created rule routes dim/airports.csv to this machine alone
    # (tests/infra/test_templates.py); it reads the event and goes on.
    assert states[airports["StartAt"]]["Choices"][0]["Next"] == "ReadAirportsEvent"
    assert states["ReadAirportsEvent"]["Next"] == "AirportsUpdated"
    assert _path(states, "AirportsUpdated", "Succeeded") == [
        "AirportsUpdated",
        "LoadAirports",
        "ReadAirportsSummary",
        "PrepareAirportsBuild",
        "BuildMarts",
        "BuildAirportsNotice",
        "NotifyAirportsUpdated",
    ]
    # The rebuild is a dbt build like a day's, in the marts build machine: it takes the same
    # DynamoDB lock (CodeBuild refuses a build over the project's limit instead of queuing
    # it) and releases it after.
    assert states["BuildMarts"]["Parameters"]["StateMachineArn"] == ("${MartsBuildStateMachineArn}")
    assert _path(build, marts["StartAt"], "Built") == [
        "PrepareDbtLock",
        "AcquireDbtLock",
        "DbtBuildScope",
        "RebuildAirportsDimension",
        "ReleaseDbtLock",
    ]
    load = states["LoadAirports"]
    day_job = machines["day_load"]["States"]["RunGlueJob"]
    assert load["Resource"] == day_job["Resource"]  # the same job, .sync
    assert load["Parameters"]["JobName"] == "${GlueJobName}"
    assert load["Parameters"]["Arguments"]["--mode"] == "airports"
    assert "--flight_date.$" not in load["Parameters"]["Arguments"]
    summary_key = states["ReadAirportsSummary"]["Parameters"]["Key.$"]
    assert "runs/airports/run_id={}/summary.json" in summary_key
    rebuild = build["RebuildAirportsDimension"]
    overrides = {v["Name"]: v for v in rebuild["Parameters"]["EnvironmentVariablesOverride"]}
    assert overrides["DBT_SCOPE"]["Value"] == "airports"
    assert "FLIGHT_DATE" not in overrides
    # A failure is reported like a day's: one failure notice naming the step (a failed
    # rebuild's by the marts build, which releases the lock first).
    assert load["Catch"][-1]["Next"] == "JobFailed"
    assert states["ReadAirportsSummary"]["Catch"][-1]["Next"] == "SummaryFailed"
    assert rebuild["Catch"][-1]["Next"] == "DbtFailed"
    assert states[states["BuildMarts"]["Catch"][-1]["Next"]]["Type"] == "Fail"
    notice = states["BuildAirportsNotice"]["Parameters"]
    assert notice["status"] == "AIRPORTS_UPDATED"
    assert {"glue_job_run_id.$", "dbt_build_id.$", "summary.$"} <= set(notice)


def _path(states: dict[str, Any], start: str, end: str) -> list[str]:
    path, name = [], start
    while name != end:
        path.append(name)
        name = _next_for_airports(states[name])
    return path


def _next_for_airports(state: dict[str, Any]) -> str:
    """The next state of an airports upload: Choices are resolved by the `$.airports`
    discriminator the route sets (a lock already free is taken at once)."""
    if state["Type"] != "Choice":
        return state["Next"]
    for choice in state["Choices"]:
        if choice.get("Variable") == "$.airports" and choice.get("IsPresent") is True:
            return choice["Next"]
    return state["Default"]
