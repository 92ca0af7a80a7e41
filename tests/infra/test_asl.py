"""Structure of the state machines (stepfunctions/*.asl.json, one per job) and the offline
validator that lints them."""

from __future__ import annotations

from typing import Any

import pytest

from tools.deploy import asl_check

from .conftest import ASL_PATHS, REPO_ROOT

NESTED = "arn:aws:states:::states:startExecution.sync:2"


def every_state(asl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A machine's states by name, those in its Parallel branches included (names are unique
    in the whole machine). A Map's item states are the Map's own (its Catch covers them)."""
    found: dict[str, dict[str, Any]] = {}
    for name, state in asl["States"].items():
        found[name] = state
        for branch in state.get("Branches", []):
            found |= every_state(branch)
    return found


def branch_states(asl: dict[str, Any]) -> set[str]:
    """The names of the states inside a machine's Parallel branches."""
    return set(every_state(asl)) - set(asl["States"])


def tasks(asl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in every_state(asl).items() if s["Type"] == "Task"}


def nested_machine(task: dict[str, Any]) -> str:
    """The machine file a nested task starts: ${DayLoadStateMachineArn} -> day_load."""
    stem = task["Parameters"]["StateMachineArn"].removeprefix("${").removesuffix("StateMachineArn}")
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in stem).lstrip("_")


@pytest.mark.parametrize("name", sorted(ASL_PATHS))
def test_each_machine_passes_the_validator_with_the_stack_substitutions(name: str) -> None:
    template = REPO_ROOT / "cloudformation" / "orchestration.yaml"
    assert asl_check.check_file(ASL_PATHS[name], template) == []


def test_every_task_has_a_timeout_and_catches_everything(
    machines: dict[str, dict[str, Any]],
) -> None:
    assert sum(len(tasks(asl)) for asl in machines.values()) >= 7
    for machine, asl in machines.items():
        for name, state in tasks(asl).items():
            if state["Resource"] == NESTED:
                # A nested run is bounded by its own machine's timeout, which the task covers.
                child = machines[nested_machine(state)]
                assert state["TimeoutSeconds"] >= child["TimeoutSeconds"], (machine, name)
                assert state["TimeoutSeconds"] <= asl["TimeoutSeconds"], (machine, name)
            else:
                assert 0 < state["TimeoutSeconds"] <= 7200, (machine, name)
            assert state["Catch"][-1]["ErrorEquals"] == ["States.ALL"], (machine, name)
            assert state["Catch"][-1]["ResultPath"] == "$.error", (machine, name)


def test_sync_tasks_do_not_retry_their_own_timeout_or_failure(
    machines: dict[str, dict[str, Any]],
) -> None:
    # Retrying States.Timeout / TaskFailed on a .sync task would rerun a whole job, build or
    # nested run.
    for machine, asl in machines.items():
        for name, state in tasks(asl).items():
            if ".sync" in state["Resource"]:
                retried = {e for r in state.get("Retry", []) for e in r["ErrorEquals"]}
                assert not retried & {"States.ALL", "States.Timeout", "States.TaskFailed"}, (
                    machine,
                    name,
                )


def test_a_failed_nested_run_ends_its_parents_without_a_second_notice(
    machines: dict[str, dict[str, Any]],
) -> None:
    nested = {
        (machine, name): state
        for machine, asl in machines.items()
        for name, state in tasks(asl).items()
        if state["Resource"] == NESTED
    }
    assert {(m, nested_machine(s)) for (m, _), s in nested.items()} == {
        ("day", "day_fingerprint"),
        ("day", "day_load"),
        ("day_load", "day_crawl"),
        ("day_load", "marts_build"),
        ("airports", "marts_build"),
        ("backfill_build", "marts_build"),
    }
    for (machine, name), state in nested.items():
        # The whole state goes down; the child sent the failure notice.
        assert state["Parameters"]["Input.$"] == "$", (machine, name)
        handler = every_state(machines[machine])[state["Catch"][-1]["Next"]]
        if name in branch_states(machines[machine]):
            # In a Parallel branch: the child's outcome, or its error, is the branch's output
            # (the parent's choice ends on the error: the test of CatalogAndBuild).
            assert state["ResultPath"] == "$", (machine, name)
            assert state["End"], (machine, name)
            assert all(v.startswith("$.Output.") for v in state["ResultSelector"].values())
            assert handler["Parameters"] == {"error.$": "$.error"}, (machine, name)
            assert handler["End"], (machine, name)
        else:
            # The child's output comes back as the state.
            assert state["OutputPath"] == "$.Output", (machine, name)
            assert handler["Type"] == "Fail", (machine, name)


def test_the_pipeline_steps_in_order(machines: dict[str, dict[str, Any]]) -> None:
    day, load = machines["day"]["States"], machines["day_load"]["States"]
    crawl, marts = machines["day_crawl"]["States"], machines["marts_build"]["States"]
    assert crawl["StartCrawler"]["Resource"] == "arn:aws:states:::aws-sdk:glue:startCrawler"
    assert crawl["GetCrawler"]["Resource"] == "arn:aws:states:::aws-sdk:glue:getCrawler"
    assert load["RunGlueJob"]["Resource"] == "arn:aws:states:::glue:startJobRun.sync"
    assert load["ReadRunSummary"]["Resource"] == "arn:aws:states:::aws-sdk:s3:getObject"
    assert marts["RunDbt"]["Resource"] == "arn:aws:states:::codebuild:startBuild.sync"
    assert nested_machine(day["FingerprintDay"]) == "day_fingerprint"
    assert day["FingerprintDay"]["Next"] == "DayLoadedBefore"
    assert nested_machine(day["LoadDay"]) == "day_load"
    assert machines["day_load"]["StartAt"] == "RunGlueJob"
    assert load["RunGlueJob"]["Next"] == "ReadRunSummary"
    assert load["ReadRunSummary"]["Next"] == "RecordDayPending"
    # The crawl after the job: it decides on the headers the job read (the run summary); the
    # build at the same time (test_the_crawl_and_the_build_run_at_once below).
    assert load["RecordDayPending"]["Next"] == "CatalogAndBuild"
    catalog, build = load["CatalogAndBuild"]["Branches"]
    assert catalog["StartAt"] == "CrawlOrRegisterPartition"
    assert nested_machine(catalog["States"]["CrawlOrRegisterPartition"]) == "day_crawl"
    assert build["StartAt"] == "BuildNow"
    assert build["States"]["BuildNow"]["Default"] == "BuildMarts"
    assert nested_machine(build["States"]["BuildMarts"]) == "marts_build"
    assert machines["marts_build"]["StartAt"] == "PrepareDbtLock"  # the lock's attempts: none
    assert marts["PrepareDbtLock"]["Next"] == "AcquireDbtLock"
    assert marts["AcquireDbtLock"]["Next"] == "DbtBuildScope"
    assert marts["DbtBuildScope"]["Default"] == "RunDbt"  # a day's run has no $.airports
    assert marts["RunDbt"]["Next"] == "ReleaseDbtLock"
    assert marts["ReleaseDbtLock"]["Next"] == "Built"
    assert marts["Built"]["Type"] == "Succeed"
    assert load["CatalogAndBuild"]["Next"] == "CatalogAndBuildSucceeded"
    assert load["CatalogAndBuildSucceeded"]["Default"] == "RecordDayBuilt"
    assert load["RecordDayBuilt"]["Next"] == "BuildSuccessNotice"
    assert load["BuildSuccessNotice"]["Next"] == "NotifySuccess"
    assert load["NotifySuccess"]["Next"] == "Succeeded"


def test_dbt_runs_under_a_lock_that_a_dead_holder_cannot_keep(
    machines: dict[str, dict[str, Any]],
) -> None:
    states = machines["marts_build"]["States"]
    acquire = states["AcquireDbtLock"]
    assert acquire["Resource"] == "arn:aws:states:::dynamodb:putItem"
    assert acquire["Parameters"]["ConditionExpression"] == (
        "attribute_not_exists(pk) OR holder = :me"
    )
    assert acquire["Parameters"]["Item"]["holder"] == {"S.$": "$$.Execution.Id"}
    busy = acquire["Catch"][0]
    assert busy["ErrorEquals"] == ["DynamoDB.ConditionalCheckFailedException"]
    assert busy["Next"] == "CountDbtLockAttempt"  # at most DbtLockMaxAttempts (test_asl_history)
    assert states["DbtLockAttemptsLeft"]["Default"] == "ReadDbtLock"
    # A live holder is waited for; an ended (or unknown) one loses the lock.
    alive = states["DbtLockHolderAlive"]
    assert alive["Choices"] == [
        {"Variable": "$.lock_holder.status", "StringEquals": "RUNNING", "Next": "WaitForDbtLock"}
    ]
    assert alive["Default"] == "BreakStaleDbtLock"
    assert states["DescribeDbtLockHolder"]["Catch"][0] == {
        "ErrorEquals": ["Sfn.ExecutionDoesNotExistException"],
        "ResultPath": None,
        "Next": "BreakStaleDbtLock",
    }
    breaking = states["BreakStaleDbtLock"]["Parameters"]
    assert breaking["ConditionExpression"] == "holder = :stale"
    assert states["WaitForDbtLock"]["Next"] == "AcquireDbtLock"
    # Released on both ends of the build, only by its holder.
    for release in ("ReleaseDbtLock", "ReleaseDbtLockAfterFailure"):
        assert states[release]["Parameters"]["ConditionExpression"] == "holder = :me"
    assert states["RunDbt"]["Catch"][-1]["Next"] == "DbtFailed"
    assert states["DbtFailed"]["Next"] == "ReleaseDbtLockAfterFailure"


def test_a_day_loads_once_after_its_quiet_period_and_never_twice_for_the_same_files(
    machines: dict[str, dict[str, Any]],
) -> None:
    states = machines["day"]["States"]
    assert states["ValidateDate"]["Choices"][0]["Next"] == "RecordDayEvent"
    record = states["RecordDayEvent"]["Parameters"]
    assert record["Key"] == {"pk": {"S.$": "States.Format('day#{}', $.date.flight_date)"}}
    assert "latest_run = :me" in record["UpdateExpression"]
    assert states["RecordDayEvent"]["Next"] == "QuietPeriodNeeded"
    assert states["QuietPeriodNeeded"]["Default"] == "WaitQuietPeriod"
    assert states["WaitQuietPeriod"]["SecondsPath"] == "$.event.quiet_seconds"
    # Only the day's latest event goes on; the others end quietly.
    assert states["LatestEventOfDay"]["Choices"] == [
        {
            "Variable": "$.day.Item.latest_run.S",
            "StringEqualsPath": "$.event.run_id",
            "Next": "CountDayFiles",
        }
    ]
    assert states["LatestEventOfDay"]["Default"] == "Superseded"
    assert states["Superseded"]["Type"] == "Succeed"
    # Files already loaded (same keys and ETags): a notice, no job.
    same = states["SameContentLoaded"]["Choices"][0]
    assert same["And"][-1]["StringEqualsPath"] == "$.fingerprint.value"
    assert same["Next"] == "BuildUnchangedNotice"
    assert states["SameContentLoaded"]["Default"] == "LoadDay"
    assert states["DayLoadedBefore"]["Default"] == "LoadDay"
    pending = machines["day_load"]["States"]["RecordDayPending"]["Parameters"]
    assert pending["ExpressionAttributeValues"][":fp"] == {"S.$": "$.fingerprint.value"}


def _reachable(states: dict[str, Any], start: str, stop: set[str]) -> set[str]:
    """States reachable from `start` (Next, Default, Choices, Catch), not walking past `stop`."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in stop:
            continue
        state = states[name]
        todo += [state[k] for k in ("Next", "Default") if k in state]
        todo += [c["Next"] for c in state.get("Choices", []) + state.get("Catch", [])]
    return seen


def test_a_day_counts_as_loaded_only_once_its_dbt_build_succeeded(
    machines: dict[str, dict[str, Any]],
) -> None:
    # The marker every "already done" check reads (replay, missed-day check, backfill) is
    # loaded_fingerprint: the job's load writes only a pending one and drops the old marker
    # (the day's staging rows changed); a successful build promotes it.
    readers = {
        "day": {"DayLoadedBefore", "SameContentLoaded"},
        "missed_day": {"CheckedDayLoaded"},
    }
    for machine, names in readers.items():
        for name in names:
            choice = machines[machine]["States"][name]["Choices"][0]
            choice = choice["And"][-1] if "And" in choice else choice
            assert choice["Variable"].endswith(".Item.loaded_fingerprint.S"), name
    load = machines["day_load"]["States"]
    pending = load["RecordDayPending"]["Parameters"]["UpdateExpression"]
    assert pending.startswith("SET pending_fingerprint = :fp, pending_run = :me")
    assert pending.endswith("REMOVE loaded_fingerprint")
    writers = {
        (machine, name)
        for machine, asl in machines.items()
        for name, state in asl["States"].items()
        if "loaded_fingerprint =" in state.get("Parameters", {}).get("UpdateExpression", "")
    }
    assert writers == {("day_load", "RecordDayBuilt")}
    # A failed build, or a lock never acquired, never reaches a state that sets the marker:
    # the marts build ends failed, and its parents end on the failure (NestedRunFailed).
    marts = machines["marts_build"]["States"]
    failed = _reachable(marts, "DbtFailed", {"PipelineFailed", "NoticeFailed"})
    failed |= _reachable(marts, "DbtLockFailed", {"PipelineFailed", "NoticeFailed"})
    failed |= _reachable(marts, "DbtLockTimedOut", {"PipelineFailed", "NoticeFailed"})
    assert "Built" not in failed
    catch = machines["backfill_build"]["States"]["BuildMarts"]["Catch"][-1]["Next"]
    assert machines["backfill_build"]["States"][catch]["Type"] == "Fail"
    # Only a successful build leads there: the day's own run, guarded by its pending run id,
    # after its crawl succeeded too (test_the_crawl_and_the_build_run_at_once).
    assert marts["RunDbt"]["Next"] == "ReleaseDbtLock"
    assert marts["ReleaseDbtLock"]["Catch"][-1]["Next"] == "Built"
    assert load["CatalogAndBuildSucceeded"]["Default"] == "RecordDayBuilt"
    built = load["RecordDayBuilt"]["Parameters"]
    assert built["ConditionExpression"] == "pending_run = :me"
    assert built["ExpressionAttributeValues"][":me"] == {"S.$": "$.event.run_id"}
    assert built["ExpressionAttributeValues"][":fp"] == {"S.$": "$.fingerprint.value"}
    superseded = load["RecordDayBuilt"]["Catch"][0]
    assert superseded["ErrorEquals"] == ["DynamoDB.ConditionalCheckFailedException"]
    assert superseded["Next"] == "BuildSuccessNotice"


def test_the_crawl_and_the_build_run_at_once_and_neither_branch_can_fail(
    machines: dict[str, dict[str, Any]],
) -> None:
    # A failed branch would stop the other (a build holding the dbt lock, a crawl): every
    # branch ends in its outcome or its error instead, and the choice after reads both.
    # What LocalStack runs of it: test_asl_catalog_and_build.py.
    load = machines["day_load"]["States"]
    parallel = load["CatalogAndBuild"]
    assert parallel["Type"] == "Parallel"
    assert parallel["ResultPath"] == "$.branches"
    for branch in parallel["Branches"]:
        inner = every_state(branch)
        assert not [name for name, state in inner.items() if state["Type"] in ("Fail", "Succeed")]
        for name, state in inner.items():
            if state["Type"] == "Task":
                assert state["Catch"][-1]["ErrorEquals"] == ["States.ALL"], name
                assert inner[state["Catch"][-1]["Next"]]["End"], name
    choices = load["CatalogAndBuildSucceeded"]["Choices"]
    failed = [{"Variable": f"$.branches[{i}].error", "IsPresent": True} for i in (0, 1)]
    assert choices[:2] == [{**f, "Next": "NestedRunFailed"} for f in failed]
    assert load["NestedRunFailed"]["Type"] == "Fail"  # each child sent its own notice
    assert load[parallel["Catch"][-1]["Next"]]["Next"] == "BuildFailureNotice"


def test_a_backfills_days_count_as_loaded_once_its_final_build_succeeded(
    machines: dict[str, dict[str, Any]],
) -> None:
    states = machines["backfill_build"]["States"]
    assert states["BuildMarts"]["Next"] == "SplitBuiltDates"
    split = states["SplitBuiltDates"]
    # the dates the backfill asked for, which BackfillLength counted (test_asl_history)
    assert split["Parameters"] == {"dates.$": "States.StringSplit($.flightline.dbt_dates, ',')"}
    each = states[split["Next"]]
    assert each["Type"] == "Map"
    assert each["ItemsPath"] == "$.built.dates"
    assert each["Next"] == "BuildSuccessNotice"
    assert each["Catch"][-1] == {
        "ErrorEquals": ["States.ALL"],
        "ResultPath": "$.error",
        "Next": "DayStateFailed",
    }
    inner = each["ItemProcessor"]["States"][each["ItemProcessor"]["StartAt"]]
    assert inner["Parameters"]["UpdateExpression"].startswith(
        "SET loaded_fingerprint = pending_fingerprint"
    )
    assert inner["Parameters"]["ConditionExpression"] == "attribute_exists(pending_fingerprint)"
    assert 0 < inner["TimeoutSeconds"] <= 60
    assert inner["Retry"]


def test_a_backfill_loads_days_without_dbt_then_builds_once_under_the_lock(
    machines: dict[str, dict[str, Any]],
) -> None:
    day, load = machines["day"]["States"], machines["day_load"]["States"]
    backfill = {"Variable": "$.flightline.backfill", "IsPresent": True}
    assert day["QuietPeriodNeeded"]["Choices"] == [{**backfill, "Next": "ReadDay"}]
    branch = every_state(machines["day_load"])
    assert branch["BuildNow"]["Choices"] == [{**backfill, "Next": "DeferDbt"}]
    assert branch["DeferDbt"]["Parameters"]["dbt"]["status"] == "DEFERRED"
    assert branch["DeferDbt"]["End"]
    # a deferred build goes to the notice without recording the day as built
    deferred = {"Variable": "$.branches[1].dbt.status", "StringEquals": "DEFERRED"}
    assert {**deferred, "Next": "BuildSuccessNotice"} in load["CatalogAndBuildSucceeded"]["Choices"]
    build = machines["backfill_build"]
    first = build["States"][build["StartAt"]]["Choices"][0]
    assert first == {
        "Variable": "$.flightline.dbt_dates",
        "IsPresent": True,
        "Next": "CountBackfillDays",  # at most BackfillMaxDays (test_asl_history)
    }
    assert build["States"]["BackfillLength"]["Default"] == "PrepareBackfillBuild"
    prepare = build["States"]["PrepareBackfillBuild"]
    assert prepare["Parameters"]["date"]["flight_date.$"] == "$.flightline.dbt_dates"
    assert prepare["Next"] == "BuildMarts"
    assert nested_machine(build["States"]["BuildMarts"]) == "marts_build"  # under the lock


def test_the_crawler_runs_only_for_a_new_table_or_changed_columns(
    machines: dict[str, dict[str, Any]],
) -> None:
    states = machines["day_crawl"]["States"]
    reasons = {
        name: state["Result"]
        for name, state in states.items()
        if state["Type"] == "Pass" and state.get("ResultPath") == "$.crawl"
    }
    ran = {name for name, result in reasons.items() if result["ran"]}
    assert ran == {"CrawlNewTable", "CrawlNoRecord", "CrawlHeadersChanged"}
    assert all(states[name]["Next"] == "StartCrawler" for name in ran)
    # No state reads a file: the headers are the job's, every file's, gzip included.
    assert not [n for n, s in states.items() if "s3:" in s.get("Resource", "")]
    # Skipped or done, the crawl machine ends and the day load goes on to dbt.
    assert states["CrawlSkipped"]["Next"] == "CatalogReady"
    assert states["CatalogReady"]["Type"] == "Succeed"
    assert machines["day_crawl"]["StartAt"] == "GetCatalogTable"
    assert states["GetCatalogTable"]["Catch"][0]["Next"] == "CrawlNewTable"
    assert states["ReadCrawledHeaders"]["Next"] == "CompareHeaders"
    no_record, no_headers, no_files, same = states["CompareHeaders"]["Choices"]
    assert no_record["Next"] == "CrawlNoRecord"
    assert no_headers["Next"] == "CrawlHeadersChanged"  # a summary without headers
    assert no_files["Next"] == "RegisterPartition"  # a declared-empty day: nothing to learn
    # One digest over every distinct header line of the day (flightline_glue.headers).
    assert same == {
        "Variable": "$.run.summary.headers.sha256",
        "StringEqualsPath": "$.crawled.Item.headers_sha256.S",
        "Next": "RegisterPartition",
    }
    assert states["CompareHeaders"]["Default"] == "CrawlHeadersChanged"
    # the headers are recorded only after a successful crawl, the digest the next comparison
    assert states["CrawlerReady"]["Choices"][0]["Next"] == "CheckLastCrawl"
    assert states["LastCrawlSucceeded"]["Choices"][0]["Next"] == "RecordCrawledHeaders"
    item = states["RecordCrawledHeaders"]["Parameters"]["Item"]
    assert item["headers_sha256"] == {"S.$": "$.run.summary.headers.sha256"}
    # and the notice says whether it ran and why
    notice = machines["day_load"]["States"]["BuildSuccessNotice"]["Parameters"]
    assert notice["crawler.$"] == "$.branches[0].crawl"


def test_the_missed_day_check_notifies_only_a_day_not_loaded(
    machines: dict[str, dict[str, Any]],
) -> None:
    check = machines["missed_day"]
    states = check["States"]
    assert states[check["StartAt"]]["Choices"] == [
        {"Variable": "$.flightline.check_time", "IsTimestamp": True, "Next": "DayBefore"}
    ]
    assert states["CheckedDayLoaded"]["Choices"][0]["Next"] == "DayArrived"
    assert states["DayArrived"]["Type"] == "Succeed"
    assert states["CheckedDayArrived"]["Default"] == "NeverArrived"
    for name in ("NeverArrived", "ArrivedNotLoaded"):
        assert states[name]["Parameters"]["status"] == "MISSED"
        assert states[name]["Next"] == "NotifyMissedDay"


def test_job_gets_the_per_run_arguments(machines: dict[str, dict[str, Any]]) -> None:
    arguments = machines["day_load"]["States"]["RunGlueJob"]["Parameters"]["Arguments"]
    assert arguments == {
        "--flight_date.$": "$.date.flight_date",
        "--run_id.$": "$.event.run_id",
        "--trigger_key.$": "$.date.trigger_key",
    }
    # The run id is the day execution's name; the nested runs inherit it with the state.
    assert machines["day"]["States"]["ParseEvent"]["Parameters"]["run_id.$"] == (
        "$$.Execution.Name"
    )


def test_summary_is_read_from_the_contract_location(machines: dict[str, dict[str, Any]]) -> None:
    read = machines["day_load"]["States"]["ReadRunSummary"]
    assert read["Parameters"]["Bucket.$"] == "$.event.bucket"
    assert "'runs/date={}/run_id={}/summary.json'" in read["Parameters"]["Key.$"]
    assert read["ResultSelector"] == {"summary.$": "States.StringToJson($.Body)"}


def test_dbt_build_gets_the_date(machines: dict[str, dict[str, Any]]) -> None:
    run_dbt = machines["marts_build"]["States"]["RunDbt"]
    overrides = run_dbt["Parameters"]["EnvironmentVariablesOverride"]
    assert {"Name": "FLIGHT_DATE", "Type": "PLAINTEXT", "Value.$": "$.date.flight_date"} in (
        overrides
    )


def test_a_running_crawler_is_waited_for_and_the_poll_is_bounded(
    machines: dict[str, dict[str, Any]],
) -> None:
    states = machines["day_crawl"]["States"]
    catchers = states["StartCrawler"]["Catch"]
    assert catchers[0] == {
        "ErrorEquals": ["Glue.CrawlerRunningException"],
        "ResultPath": None,
        "Next": "WaitForCrawler",
    }
    ready = states["CrawlerReady"]["Choices"]
    assert ready[0] == {
        "Variable": "$.crawler.state",
        "StringEquals": "READY",
        "Next": "CheckLastCrawl",
    }
    assert states["LastCrawlSucceeded"]["Default"] == "CatalogReady"
    assert ready[1]["NumericGreaterThanEqualsPath"] == "$.event.max_polls"
    assert ready[1]["Next"] == "CrawlerTimedOut"
    assert states["CrawlerReady"]["Default"] == "WaitForCrawler"


def test_keys_outside_the_contract_go_straight_to_the_failure_notice(
    machines: dict[str, dict[str, Any]],
) -> None:
    states = machines["day"]["States"]
    # The rules route (a daily file here, the airports file to its own machine); what a
    # daily-file rule passes must still be a dated key.
    assert states["CheckEvent"]["Default"] == "EventRejected"
    assert states["CheckPartitionFolder"]["Default"] == "KeyRejected"
    # ... and a file directly in the date folder, a CSV: the rule's wildcard matches deeper
    # keys too, and a start by hand may carry any key.
    for choice in states["CheckPartitionFolder"]["Choices"]:
        assert {"Variable": "$.event.part_count", "NumericEquals": 3} in choice["And"]
        assert {
            "Or": [
                {"Variable": "$.event.key", "StringMatches": "*.csv"},
                {"Variable": "$.event.key", "StringMatches": "*.csv.gz"},
            ]
        } in choice["And"]
    assert states["ValidateDate"]["Default"] == "KeyRejected"
    assert states["KeyRejected"]["Next"] == "BuildFailureNotice"
    assert states["BuildFailureNotice"]["Next"] == "NotifyFailure"
    assert states["NotifyFailure"]["Next"] == "PipelineFailed"
    assert states["PipelineFailed"]["Type"] == "Fail"


LOCK_RELEASES = {"ReleaseDbtLock", "ReleaseDbtLockAfterFailure"}


def test_every_failure_path_publishes_exactly_one_notice(
    machines: dict[str, dict[str, Any]],
) -> None:
    marts = machines["marts_build"]["States"]
    assert marts["ReleaseDbtLock"]["Next"] == "Built"  # the parent sends the notice
    assert marts["ReleaseDbtLockAfterFailure"]["Next"] == "BuildFailureNotice"
    publishers = {
        (machine, n)
        for machine, asl in machines.items()
        for n, s in tasks(asl).items()
        if s["Resource"].endswith("sns:publish")
    }
    # Each machine sends its own failure notice; the successes come from where a run ends.
    assert publishers == {(m, "NotifyFailure") for m in machines} | {
        ("day_load", "NotifySuccess"),
        ("backfill_build", "NotifySuccess"),
        ("airports", "NotifyAirportsUpdated"),
        ("day", "NotifyUnchanged"),
        ("missed_day", "NotifyMissedDay"),
    }
    for machine, asl in machines.items():
        states = asl["States"]
        for name, state in tasks(asl).items():
            if (machine, name) in publishers:
                assert state["Catch"][-1]["Next"] == "NoticeFailed"  # never a second notice
            elif name in LOCK_RELEASES:
                # Cleanup: a failed release goes where success goes (the lock frees itself
                # when this execution ends), so the outcome and its one notice stay the same.
                assert state["Catch"][-1]["Next"] == state["Next"]
            elif state["Resource"] == NESTED:
                continue  # the child sent the notice (test above)
            else:
                handler = states[state["Catch"][-1]["Next"]]
                assert handler["Type"] == "Pass", (machine, name)
                # after dbt the lock is released first, then the notice
                assert handler["Next"] in ("BuildFailureNotice", "ReleaseDbtLockAfterFailure")
                assert handler["ResultPath"] == "$.failure"
                assert isinstance(handler["Parameters"]["step"], str)
                # The whole error object: Cause is optional in the error output.
                assert handler["Parameters"]["error.$"] == "$.error"


def test_date_is_derived_from_both_key_spellings(machines: dict[str, dict[str, Any]]) -> None:
    states = machines["day"]["States"]
    rules = states["CheckPartitionFolder"]["Choices"]
    patterns = [r["And"][1]["StringMatches"] for r in rules]
    assert patterns == ["date=*-*-*", "date%3D*-*-*"]
    assert states["DeriveDate"]["Next"] == states["DeriveDateFromEncodedKey"]["Next"]
    assert states["ValidateDate"]["Choices"][0] == {
        "Variable": "$.date.as_timestamp",
        "IsTimestamp": True,
        "Next": "RecordDayEvent",
    }
