"""The bound on history events (tools/deploy/asl_history.py): a Standard execution fails at
25,000 events ("Step Functions service quotas"), so every loop must be bounded and its bound
times its events must fit. Synthetic machines show what the check refuses."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tools.deploy import asl_check, asl_history, config
from tools.deploy.asl_history import Machine, UnboundedLoop
from tools.deploy.config import PARAMETER_DIR, TEMPLATE_DIR

from .conftest import ASL_PATHS

CATCH_ALL = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}]
GET_CRAWLER = "arn:aws:states:::aws-sdk:glue:getCrawler"


def poller(*, counted: bool = True, retries: int = 0) -> dict[str, Any]:
    """Poll a crawler until READY; counted: at most ${MaxPolls} times, as day_crawl does."""
    poll: dict[str, Any] = {
        "Type": "Task",
        "Resource": GET_CRAWLER,
        "Parameters": {"Name": "crawler"},
        "ResultSelector": {"state.$": "$.Crawler.State"},
        "ResultPath": "$.crawler",
        "TimeoutSeconds": 60,
        "Catch": [*CATCH_ALL],
        "Next": "CountPoll" if counted else "Ready",
    }
    if retries:
        poll["Retry"] = [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": retries}]
    ready = [{"Variable": "$.crawler.state", "StringEquals": "READY", "Next": "Done"}]
    states: dict[str, Any] = {
        "Start": {
            "Type": "Pass",
            "Parameters": {"polls": 0, "max_polls.$": "States.StringToJson('${MaxPolls}')"},
            "ResultPath": "$.event",
            "Next": "Poll",
        },
        "Poll": poll,
        "Ready": {"Type": "Choice", "Choices": ready, "Default": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 30, "Next": "Poll"},
        "Done": {"Type": "Succeed"},
        "Failed": {"Type": "Fail", "Error": "Failed"},
        "TimedOut": {"Type": "Fail", "Error": "Flightline.CrawlerTimeout"},
    }
    if counted:
        states["CountPoll"] = {
            "Type": "Pass",
            "Parameters": {"count.$": "States.MathAdd($.event.polls, 1)"},
            "ResultPath": "$.poll",
            "Next": "StorePollCount",
        }
        states["StorePollCount"] = {
            "Type": "Pass",
            "InputPath": "$.poll.count",
            "ResultPath": "$.event.polls",
            "Next": "Ready",
        }
        ready.append(
            {
                "Variable": "$.event.polls",
                "NumericGreaterThanEqualsPath": "$.event.max_polls",
                "Next": "TimedOut",
            }
        )
    return {"StartAt": "Start", "States": states}


def bound(definition: dict[str, Any], **substitutions: str) -> asl_history.Bound:
    machine = Machine("poller", definition, substitutions)
    return asl_history.machine_bound(machine, [machine])


def test_a_loop_without_a_counter_is_refused() -> None:
    with pytest.raises(UnboundedLoop, match=r"unbounded loop through Poll, Ready, Wait"):
        bound(poller(counted=False), MaxPolls="60")


def test_a_loop_with_a_way_round_that_skips_the_counter_is_refused() -> None:
    definition = poller()
    # A throttled poll goes straight to the Choice: that way round adds nothing to the counter.
    throttled = {"ErrorEquals": ["Glue.ThrottlingException"], "ResultPath": None, "Next": "Ready"}
    definition["States"]["Poll"]["Catch"].insert(0, throttled)
    with pytest.raises(UnboundedLoop, match="a way round the loop does not add to"):
        bound(definition, MaxPolls="60")


def test_a_counter_whose_maximum_has_no_value_is_refused() -> None:
    with pytest.raises(UnboundedLoop, match=r"\$\{MaxPolls\} \(no value\)"):
        bound(poller())


def test_a_counted_loop_is_its_rounds_times_its_heaviest_round() -> None:
    small, large = bound(poller(), MaxPolls="10"), bound(poller(), MaxPolls="110")
    (loop,) = small.loops
    assert loop.states == ("CountPoll", "Poll", "Ready", "StorePollCount", "Wait")
    assert "Ready: $.event.polls from " in loop.bound
    assert "${MaxPolls} = 10" in loop.bound
    # Every state of the round once: the poll (a task of one attempt), four others.
    task = asl_history.STATE_EVENTS + asl_history.ATTEMPT_EVENTS
    assert loop.round_events == task + 4 * asl_history.STATE_EVENTS
    # 100 more polls allowed: 100 more rounds, nothing else changes.
    assert large.events - small.events == 100 * loop.round_events


def test_retries_count_towards_a_round() -> None:
    plain, retried = bound(poller(), MaxPolls="10"), bound(poller(retries=4), MaxPolls="10")
    assert retried.loops[0].round_events - plain.loops[0].round_events == (
        4 * asl_history.ATTEMPT_EVENTS
    )


def poller_stack(tmp_path: Path, **max_polls: str) -> tuple[Path, Path]:
    """The poller as a stack's only machine (MaxPolls defaults to 60), and a parameter file
    per env in `max_polls` setting it ("" keeps the default)."""
    asl = tmp_path / "stepfunctions" / "poller.asl.json"
    asl.parent.mkdir()
    asl.write_text(json.dumps(poller(retries=4)))
    template = tmp_path / "orchestration.yaml"
    machine = {
        "Type": "AWS::StepFunctions::StateMachine",
        "Metadata": {"DefinitionFile": "stepfunctions/poller.asl.json"},
        "Properties": {
            "StateMachineType": "STANDARD",
            "DefinitionSubstitutions": {"MaxPolls": {"Ref": "MaxPolls"}},
        },
    }
    parameters = {"MaxPolls": {"Type": "String", "Default": "60"}}
    template.write_text(json.dumps({"Parameters": parameters, "Resources": {"Poller": machine}}))
    (tmp_path / "parameters").mkdir()
    for env, polls in max_polls.items():
        values = {"EnvName": env, **({"MaxPolls": polls} if polls else {})}
        (tmp_path / "parameters" / f"{env}.json").write_text(json.dumps({"parameters": values}))
    return asl, template


def test_a_loop_whose_bound_times_its_events_reaches_the_quota_is_refused(
    tmp_path: Path,
) -> None:
    # dev keeps the default, 60 polls; prod allows 1,000 polls of 25 events (a retried poll).
    asl, template = poller_stack(tmp_path, dev="", prod="1000")
    lines, problems = asl_history.check([asl], template)
    (problem,) = problems
    assert problem.startswith("poller (prod): up to ")
    assert "not under the 25,000 of a Standard execution" in problem
    assert "loop CountPoll, Poll, Ready, StorePollCount, Wait" in problem
    assert "${MaxPolls} = 1000" in problem
    (line,) = lines
    assert line.startswith("poller: at most ")
    assert "(dev)" in line
    assert "(prod)" in line


def test_the_asl_check_of_make_lint_fails_on_the_history_bound(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asl, template = poller_stack(tmp_path, dev="", prod="1000")
    assert asl_check.main([str(asl), "--template", str(template)]) == 1
    assert "history: poller (prod): up to " in capsys.readouterr().err
    (tmp_path / "parameters" / "prod.json").unlink()
    assert asl_check.main([str(asl), "--template", str(template)]) == 0


@pytest.mark.parametrize("env", sorted(p.stem for p in PARAMETER_DIR.glob("*.json")))
def test_every_machine_stays_under_the_quota_in_every_environment(
    env: str, templates: dict[str, Any]
) -> None:
    template = templates["orchestration"]
    values = config.stack_parameter_values(config.load_env(env), template)
    machines = asl_history.env_machines(list(ASL_PATHS.values()), template, values)
    assert {m.name for m in machines} == set(ASL_PATHS)  # all Standard workflows
    for machine in machines:
        bound = asl_history.machine_bound(machine, machines)
        assert bound.events < asl_history.QUOTA, (machine.name, bound)


def test_make_lint_checks_the_bound_of_every_machine(capsys: pytest.CaptureFixture[str]) -> None:
    template = TEMPLATE_DIR / "orchestration.yaml"
    assert asl_check.main([*map(str, ASL_PATHS.values()), "--template", str(template)]) == 0
    said = capsys.readouterr().out
    for name in ASL_PATHS:
        assert f"\n{name}: at most " in said, name


def test_a_map_over_its_input_needs_a_choice_that_limits_its_length() -> None:
    record = {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:updateItem",
        "TimeoutSeconds": 60,
        "End": True,
    }
    definition: dict[str, Any] = {
        "StartAt": "Split",
        "States": {
            "Split": {
                "Type": "Pass",
                "Parameters": {"days.$": "States.StringSplit($.dates, ',')"},
                "ResultPath": "$.split",
                "Next": "EachDay",
            },
            "EachDay": {
                "Type": "Map",
                "ItemsPath": "$.split.days",
                "ItemProcessor": {"StartAt": "Record", "States": {"Record": record}},
                "End": True,
            },
        },
    }
    with pytest.raises(UnboundedLoop, match="whose length no Choice before it limits"):
        bound(definition)
    definition["StartAt"] = "Count"
    definition["States"]["Count"] = {
        "Type": "Pass",
        "Parameters": {
            "count.$": "States.ArrayLength(States.StringSplit($.dates, ','))",
            "max.$": "States.StringToJson('${MaxDays}')",
        },
        "ResultPath": "$.days",
        "Next": "TooMany",
    }
    definition["States"]["TooMany"] = {
        "Type": "Choice",
        "Choices": [
            {"Variable": "$.days.count", "NumericGreaterThanPath": "$.days.max", "Next": "No"}
        ],
        "Default": "Split",
    }
    definition["States"]["No"] = {"Type": "Fail", "Error": "TooLong"}
    limited = bound(definition, MaxDays="30")
    (loop,) = limited.loops
    assert (loop.states, loop.rounds) == (("EachDay",), 30)
    assert "TooMany refuses more than" in loop.bound


# --- marts_build: the wait for the dbt lock ends ---------------------------------------------
def _get(data: Any, path: str) -> Any:
    for key in path.removeprefix("$").strip(".").split(".") if path != "$" else []:
        data = data[key]
    return data


def _put(data: dict[str, Any], path: str | None, value: Any) -> dict[str, Any]:
    if path is None:
        return data
    if path == "$":
        return value
    *parents, last = path.removeprefix("$.").split(".")
    here = data
    for key in parents:
        here = here.setdefault(key, {})
    here[last] = value
    return data


FORMAT = re.compile(r"^States\.Format\('([^']*)', (.+)\)$")
SPLIT = re.compile(r"^States\.StringSplit\((\$[^,]+), '([^']*)'\)$")


def _evaluate(expression: str, data: Any, substitutions: dict[str, str]) -> Any:
    """The forms the lock loop's and the backfill guard's Pass states use: a path, MathAdd,
    StringToJson of a substitution, Format of paths, ArrayLength of a StringSplit; the
    context ($$) as a placeholder."""
    if expression.startswith("$$"):
        return "context"
    if length := asl_history.ARRAY_LENGTH.match(expression):
        return len(_evaluate(length[1], data, substitutions))
    if split := SPLIT.match(expression):
        return _get(data, split[1]).split(split[2])
    if added := asl_history.MATH_ADD.match(expression):
        return _get(data, added[1]) + int(added[2])
    if parameter := asl_history.FROM_PARAMETER.match(expression):
        return json.loads(substitutions[parameter[1]])
    if formatted := FORMAT.match(expression):
        return formatted[1].format(*(_get(data, p.strip()) for p in formatted[2].split(",")))
    assert expression.startswith("$"), expression
    return _get(data, expression)


def _parameters(template: Any, data: Any, substitutions: dict[str, str]) -> Any:
    if not isinstance(template, dict):
        return template
    return {
        key.removesuffix(".$"): (
            _evaluate(value, data, substitutions)
            if key.endswith(".$")
            else _parameters(value, data, substitutions)
        )
        for key, value in template.items()
    }


def _present(data: Any, path: str) -> bool:
    try:
        _get(data, path)
    except (KeyError, TypeError):
        return False
    return True


def _chosen(state: dict[str, Any], data: Any) -> str:
    """The rules walked here: IsPresent, StringEquals, NumericGreaterThan[Equals]Path."""
    for rule in state["Choices"]:
        variable = rule["Variable"]
        if "IsPresent" in rule:
            matched = _present(data, variable) == rule["IsPresent"]
        elif "StringEquals" in rule:
            matched = _get(data, variable) == rule["StringEquals"]
        elif "NumericGreaterThanEqualsPath" in rule:
            matched = _get(data, variable) >= _get(data, rule["NumericGreaterThanEqualsPath"])
        elif "NumericGreaterThanPath" in rule:
            matched = _get(data, variable) > _get(data, rule["NumericGreaterThanPath"])
        else:
            raise AssertionError(f"rule not modelled: {rule}")
        if matched:
            return rule["Next"]
    return state["Default"]


def walk(
    asl: dict[str, Any],
    data: dict[str, Any],
    answers: dict[str, list[Any]],
    substitutions: dict[str, str],
    until: str = "",
    steps: int = 10_000,
) -> tuple[list[str], dict[str, Any]]:
    """The states a run goes through (up to `until`, if it gets there), and its data at the
    end. Pass and Choice states are evaluated; a Task takes its next answer in `answers` (an
    error name goes to the catcher that names it, anything else is put at its ResultPath); a
    Wait passes."""
    name, path = asl["StartAt"], []
    for _ in range(steps):
        path.append(name)
        state = asl["States"][name]
        if state["Type"] in ("Succeed", "Fail") or name == until:
            return path, data
        if state["Type"] == "Choice":
            name = _chosen(state, data)
            continue
        if state["Type"] == "Pass":
            value = _parameters(state.get("Parameters", {}), data, substitutions)
            data = _put(data, state.get("ResultPath", "$"), value)
        elif state["Type"] == "Task":
            queue = answers[name]
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
            if isinstance(answer, str):
                catcher = next(
                    c
                    for c in state["Catch"]
                    if answer in c["ErrorEquals"] or c["ErrorEquals"] == ["States.ALL"]
                )
                data = _put(data, catcher.get("ResultPath", "$"), {"Error": answer})
                name = catcher["Next"]
                continue
            data = _put(data, state.get("ResultPath", "$"), answer)
        name = state["Next"]
    raise AssertionError(f"no end after {steps} states: {path[-12:]}")


BUSY = "DynamoDB.ConditionalCheckFailedException"
# A lock held all along by an execution that keeps running.
HELD = {
    "AcquireDbtLock": [BUSY],
    "ReadDbtLock": [{"Item": {"holder": {"S": "arn:aws:states:::execution:marts:other"}}}],
    "DescribeDbtLockHolder": [{"status": "RUNNING"}],
    "NotifyFailure": [{}],
}
MARTS_INPUT = {
    "event": {"bucket": "landing", "key": "daily_flights/date=2024-01-02/a.csv"},
    "date": {"flight_date": "2024-01-02", "trigger_key": "daily_flights/date=2024-01-02/a.csv"},
}


def _defaults(templates: dict[str, Any]) -> dict[str, str]:
    """The orchestration parameters' defaults, by the placeholder names that take them."""
    declared = templates["orchestration"]["Parameters"].items()
    return {name: str(spec["Default"]) for name, spec in declared if "Default" in spec}


def test_the_dbt_lock_wait_ends_in_a_timeout_notice_after_dbt_lock_max_attempts(
    machines: dict[str, Any], templates: dict[str, Any]
) -> None:
    substitutions = _defaults(templates)
    limit = int(substitutions["DbtLockMaxAttempts"])
    data = {**MARTS_INPUT, "event": {**MARTS_INPUT["event"], "lock_poll_seconds": 30}}
    path, end = walk(
        machines["marts_build"], data, {k: [*v] for k, v in HELD.items()}, substitutions
    )
    assert path.count("AcquireDbtLock") == limit
    assert path.count("WaitForDbtLock") == limit - 1
    last = len(path) - path[::-1].index("AcquireDbtLock")
    assert path[last:] == [
        "CountDbtLockAttempt",
        "DbtLockAttemptsLeft",
        "DbtLockTimedOut",
        "BuildFailureNotice",
        "NotifyFailure",
        "PipelineFailed",
    ]
    assert end["failure"]["step"] == "dbt-lock"
    assert end["failure"]["error"]["Error"] == "Flightline.DbtLockTimeout"
    assert f"after {limit} attempts, 30 s apart" in end["failure"]["error"]["Cause"]


def test_a_lock_freed_before_the_last_attempt_is_taken(machines: dict[str, Any]) -> None:
    substitutions = {"DbtLockMaxAttempts": "3"}
    answers = {k: [*v] for k, v in HELD.items()}
    answers["AcquireDbtLock"] = [BUSY, BUSY, {}]  # free at the third attempt
    answers["RunDbt"] = [{"build_id": "b-1", "status": "SUCCEEDED"}]
    answers["ReleaseDbtLock"] = [{}]
    data = {**MARTS_INPUT, "event": {**MARTS_INPUT["event"], "lock_poll_seconds": 30}}
    path, end = walk(machines["marts_build"], data, answers, substitutions)
    assert path[-4:] == ["DbtBuildScope", "RunDbt", "ReleaseDbtLock", "Built"]
    assert end["lock_wait"] == {"attempts": 2, "max_attempts": 3}


def test_the_marts_build_bound_follows_dbt_lock_max_attempts(machines: dict[str, Any]) -> None:
    def marts(attempts: str) -> asl_history.Bound:
        machine = Machine("marts_build", machines["marts_build"], {"DbtLockMaxAttempts": attempts})
        return asl_history.machine_bound(machine, [machine])

    (loop,) = marts("100").loops
    assert "AcquireDbtLock" in loop.states
    assert loop.bound.startswith("DbtLockAttemptsLeft: $.lock_wait.attempts from ")
    assert marts("200").events - marts("100").events == 100 * loop.round_events


# --- backfill_build: the Map over the days is bounded by BackfillMaxDays ---------------------
def _dates(count: int) -> str:
    first = dt.date(2024, 1, 1)
    return ",".join((first + dt.timedelta(days=n)).isoformat() for n in range(count))


def test_a_backfill_build_of_more_than_backfill_max_days_is_refused_before_it_builds(
    machines: dict[str, Any], templates: dict[str, Any]
) -> None:
    substitutions = _defaults(templates)
    limit = int(substitutions["BackfillMaxDays"])
    asl, answers = machines["backfill_build"], {"NotifyFailure": [{}]}
    refused, end = walk(
        asl, {"flightline": {"dbt_dates": _dates(limit + 1)}}, answers, substitutions
    )
    assert refused == [
        "CheckInput",
        "CountBackfillDays",
        "BackfillLength",
        "BackfillTooLong",
        "BuildFailureNotice",
        "NotifyFailure",
        "PipelineFailed",
    ]
    assert end["failure"]["error"]["Error"] == "Flightline.BackfillTooLong"
    assert end["failure"]["error"]["Cause"].startswith(f"{limit + 1} days, more than ")
    built, _ = walk(
        asl,
        {"flightline": {"dbt_dates": _dates(limit)}},
        answers,
        substitutions,
        until="BuildMarts",
    )
    assert built[-2:] == ["PrepareBackfillBuild", "BuildMarts"]
    # The Map records the very dates the Choice counted.
    split = asl["States"]["SplitBuiltDates"]["Parameters"]["dates.$"]
    assert split in asl["States"]["CountBackfillDays"]["Parameters"]["count.$"]


def test_the_backfill_build_bound_follows_backfill_max_days(machines: dict[str, Any]) -> None:
    def backfill(days: str) -> asl_history.Bound:
        machine = Machine("backfill_build", machines["backfill_build"], {"BackfillMaxDays": days})
        return asl_history.machine_bound(machine, [machine])

    (loop,) = backfill("100").loops
    assert (loop.states, loop.rounds) == (("RecordBackfillBuilt",), 100)
    assert "BackfillLength refuses more than" in loop.bound
    assert backfill("200").events - backfill("100").events == 100 * loop.round_events
