"""The state machines read what the job writes: every key it builds under the job's output
prefixes is the one the job's layout (flightline_glue.layout) gives for the same run, and the
landing bucket's rules and grants name the layout's prefixes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from flightline_glue import layout
from flightline_glue.headers import header_summary
from flightline_glue.summary import RunSummary

# `States.Format('literal', $.a.b, $.c)`: the only form the ASL uses for these keys.
_FORMAT = re.compile(r"^States\.Format\('(?P<template>[^']*)'(?P<args>(?:, *\$[.\w]+)*)\)$")
RUN_ID, FLIGHT_DATE = "exec-1", "2024-01-02"
# A state's input as the ASL sees it, with the run id and day the job gets (see below).
STATE_INPUT = {
    "event": {"run_id": RUN_ID, "bucket": "landing"},
    "date": {"flight_date": FLIGHT_DATE},
}
OUTPUT_PREFIXES = (layout.RUNS_PREFIX, layout.STAGED_PREFIX, layout.REJECTS_PREFIX)


def _states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from _states(branch["States"])
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from _states(state[key]["States"])


def _value(path: str, document: dict[str, Any]) -> Any:
    for part in path.removeprefix("$.").split("."):
        document = document[part]
    return document


def _evaluate(expression: str) -> str:
    match = _FORMAT.match(expression)
    assert match, f"not a States.Format of JSONPaths: {expression}"
    args = [a.strip() for a in match["args"].split(",") if a.strip()]
    return match["template"].format(*(_value(a, STATE_INPUT) for a in args))


def _every_state(machines: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for asl in machines.values():
        yield from _states(asl["States"])


def _output_keys(machines: dict[str, Any]) -> dict[str, str]:
    """Every S3 key the state machines build under one of the job's output prefixes."""
    keys = {}
    for name, state in _every_state(machines):
        key = state.get("Parameters", {}).get("Key.$", "")
        if ":s3:" in state.get("Resource", "") and key.startswith("States.Format"):
            value = _evaluate(key)
            if value.startswith(OUTPUT_PREFIXES):
                keys[name] = value
    return keys


def test_the_state_machine_reads_the_summaries_where_the_job_writes_them(
    machines: dict[str, Any],
) -> None:
    assert _output_keys(machines) == {
        "ReadRunSummary": layout.summary_key(RUN_ID, FLIGHT_DATE),
        "ReadAirportsSummary": layout.summary_key(RUN_ID),
    }
    assert layout.run_keys(RUN_ID)["summary"] == layout.summary_key(RUN_ID)
    # The job gets the run id (and day) from the same fields the keys are built from.
    states = dict(_every_state(machines))  # the two job states' names are unique
    day_run, airports_run = states["RunGlueJob"], states["LoadAirports"]
    assert day_run["Parameters"]["Arguments"]["--run_id.$"] == "$.event.run_id"
    assert day_run["Parameters"]["Arguments"]["--flight_date.$"] == "$.date.flight_date"
    assert airports_run["Parameters"]["Arguments"]["--run_id.$"] == "$.event.run_id"


def _bucket_paths(resources: Any) -> set[str]:
    """`${Bucket}/<path>` of each `!Sub [template, {Bucket: ...}]` resource."""
    found = set()
    for resource in resources if isinstance(resources, list) else [resources]:
        template = resource.get("Fn::Sub", [""])[0] if isinstance(resource, dict) else ""
        if template.startswith("${Bucket}/"):
            found.add(template.removeprefix("${Bucket}/"))
    return found


def _statement(templates: dict[str, dict[str, Any]], stack: str, sid: str) -> dict[str, Any]:
    """The IAM statement `sid` of a stack, in a role's inline policies or an IAM::Policy."""
    for resource in templates[stack]["Resources"].values():
        properties = resource.get("Properties", {})
        documents = [p["PolicyDocument"] for p in properties.get("Policies", [])]
        if resource["Type"] == "AWS::IAM::Policy":
            documents.append(properties["PolicyDocument"])
        for document in documents:
            for statement in document["Statement"]:
                if statement.get("Sid") == sid:
                    return statement
    raise AssertionError(f"no statement {sid} in {stack}")


_SUMMARY_PATH = re.compile(r"\$\.run\.summary((?:\.\w+|\[\d+\])*)")


def test_every_summary_field_the_machines_read_is_one_the_job_writes(
    machines: dict[str, Any],
) -> None:
    """A path into the run summary the job does not write fails the execution uncatchably
    (States.Runtime) on AWS: each one must exist in a summary the job writes."""
    written = RunSummary("2024-01-02", RUN_ID).__dict__
    written["headers"] = header_summary([("daily_flights/date=2024-01-02/a.csv", "A,B")])
    read = {m for m in _SUMMARY_PATH.findall(str(machines)) if m}
    assert {".headers.sha256", ".headers.lines[0]", ".headers.lines"} <= read
    for path in read:
        document: Any = written
        for part in re.findall(r"\.(\w+)|\[(\d+)\]", path):
            document = document[part[0]] if part[0] else document[int(part[1])]


def test_the_bucket_rules_and_grants_name_the_layouts_prefixes(
    templates: dict[str, dict[str, Any]],
) -> None:
    landing = templates["storage"]["Resources"]["LandingBucket"]["Properties"]
    expiring = {r["Prefix"] for r in landing["LifecycleConfiguration"]["Rules"] if "Prefix" in r}
    assert expiring == {layout.STAGED_PREFIX, layout.REJECTS_PREFIX}  # summaries are kept
    writes = _statement(templates, "glue", "WriteRunOutputs")
    assert _bucket_paths(writes["Resource"]) == {f"{prefix}*" for prefix in OUTPUT_PREFIXES}
    summary = _statement(templates, "orchestration", "RunSummary")
    assert _bucket_paths(summary["Resource"]) == {f"{layout.RUNS_PREFIX}*"}
