"""The state machine's airports route: an upload of dim/airports.csv loads the airports
table on its own and rebuilds the dimension, instead of waiting for the next day."""

from __future__ import annotations

from typing import Any


def test_an_airports_upload_loads_the_file_then_rebuilds_the_dimension(
    asl: dict[str, Any],
) -> None:
    states = asl["States"]
    route = [c for c in states["RouteByKey"]["Choices"] if c.get("StringEquals")]
    assert [(c["StringEquals"], c["Next"]) for c in route] == [
        ("dim/airports.csv", "AirportsUpdated")
    ]
    path, name = [], "AirportsUpdated"
    while name != "Succeeded":
        path.append(name)
        name = _next_for_airports(states[name])
    # The rebuild is a dbt build like a day's: it takes the same DynamoDB lock (CodeBuild
    # refuses a build over the project's limit instead of queuing it) and releases it after.
    assert path == [
        "AirportsUpdated",
        "LoadAirports",
        "ReadAirportsSummary",
        "PrepareAirportsBuild",
        "AcquireDbtLock",
        "DbtBuildScope",
        "RebuildAirportsDimension",
        "ReleaseDbtLockAfterAirports",
        "BuildAirportsNotice",
        "NotifyAirportsUpdated",
    ]
    release = states["ReleaseDbtLockAfterAirports"]
    assert release["Parameters"] == states["ReleaseDbtLock"]["Parameters"]
    assert release["Catch"][-1]["Next"] == release["Next"]  # the notice is sent either way
    load = states["LoadAirports"]
    assert load["Resource"] == states["RunGlueJob"]["Resource"]  # the same job, .sync
    assert load["Parameters"]["JobName"] == "${GlueJobName}"
    assert load["Parameters"]["Arguments"]["--mode"] == "airports"
    assert "--flight_date.$" not in load["Parameters"]["Arguments"]
    summary_key = states["ReadAirportsSummary"]["Parameters"]["Key.$"]
    assert "runs/airports/run_id={}/summary.json" in summary_key
    rebuild = states["RebuildAirportsDimension"]
    overrides = {v["Name"]: v for v in rebuild["Parameters"]["EnvironmentVariablesOverride"]}
    assert overrides["DBT_SCOPE"]["Value"] == "airports"
    assert "FLIGHT_DATE" not in overrides
    # A failure is reported like a day's: one failure notice naming the step.
    assert load["Catch"][-1]["Next"] == "JobFailed"
    assert states["ReadAirportsSummary"]["Catch"][-1]["Next"] == "SummaryFailed"
    assert rebuild["Catch"][-1]["Next"] == "DbtFailed"
    notice = states["BuildAirportsNotice"]["Parameters"]
    assert notice["status"] == "AIRPORTS_UPDATED"
    assert {"glue_job_run_id.$", "dbt_build_id.$", "summary.$"} <= set(notice)


def _next_for_airports(state: dict[str, Any]) -> str:
    """The next state of an airports upload: Choices are resolved by the `$.airports`
    discriminator the route sets (a lock already free is taken at once)."""
    if state["Type"] != "Choice":
        return state["Next"]
    for choice in state["Choices"]:
        if choice.get("Variable") == "$.airports" and choice.get("IsPresent") is True:
            return choice["Next"]
    return state["Default"]
