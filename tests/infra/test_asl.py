"""Structure of stepfunctions/pipeline.asl.json and the offline validator that lints it."""

from __future__ import annotations

from typing import Any

from tools.deploy import asl_check

from .conftest import ASL_PATH, REPO_ROOT


def tasks(asl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in asl["States"].items() if s["Type"] == "Task"}


def test_the_asl_passes_the_validator_with_the_stack_substitutions() -> None:
    template = REPO_ROOT / "cloudformation" / "orchestration.yaml"
    assert asl_check.check_file(ASL_PATH, template) == []


def test_every_task_has_a_timeout_and_catches_everything(asl: dict[str, Any]) -> None:
    assert len(tasks(asl)) >= 7
    for name, state in tasks(asl).items():
        assert 0 < state["TimeoutSeconds"] <= 7200, name
        assert state["Catch"][-1]["ErrorEquals"] == ["States.ALL"], name
        assert state["Catch"][-1]["ResultPath"] == "$.error", name


def test_sync_tasks_do_not_retry_their_own_timeout_or_failure(asl: dict[str, Any]) -> None:
    # Retrying States.Timeout / TaskFailed on a .sync task would rerun a whole job or build.
    for name, state in tasks(asl).items():
        if state["Resource"].endswith(".sync"):
            retried = {e for r in state.get("Retry", []) for e in r["ErrorEquals"]}
            assert not retried & {"States.ALL", "States.Timeout", "States.TaskFailed"}, name


def test_the_pipeline_steps_in_order(asl: dict[str, Any]) -> None:
    resources = {n: s["Resource"] for n, s in tasks(asl).items()}
    assert resources["StartCrawler"] == "arn:aws:states:::aws-sdk:glue:startCrawler"
    assert resources["GetCrawler"] == "arn:aws:states:::aws-sdk:glue:getCrawler"
    assert resources["RunGlueJob"] == "arn:aws:states:::glue:startJobRun.sync"
    assert resources["ReadRunSummary"] == "arn:aws:states:::aws-sdk:s3:getObject"
    assert resources["RunDbt"] == "arn:aws:states:::codebuild:startBuild.sync"
    states = asl["States"]
    assert states["RunGlueJob"]["Next"] == "ReadRunSummary"
    assert states["ReadRunSummary"]["Next"] == "RecordDayPending"
    assert states["RecordDayPending"]["Next"] == "BuildNow"
    assert states["BuildNow"]["Default"] == "AcquireDbtLock"
    assert states["AcquireDbtLock"]["Next"] == "DbtBuildScope"
    assert states["DbtBuildScope"]["Default"] == "RunDbt"  # a day's run has no $.airports
    assert states["RunDbt"]["Next"] == "ReleaseDbtLock"
    assert states["ReleaseDbtLock"]["Next"] == "RecordBuilt"
    assert states["RecordBuilt"]["Default"] == "RecordDayBuilt"  # a day's run has no dbt_dates
    assert states["RecordDayBuilt"]["Next"] == "BuildSuccessNotice"
    assert states["BuildSuccessNotice"]["Next"] == "NoticeCoversSeveralDays"
    assert states["NoticeCoversSeveralDays"]["Default"] == "NameDayNotice"
    assert states["NameDayNotice"]["Next"] == "NotifySuccess"


def test_dbt_runs_under_a_lock_that_a_dead_holder_cannot_keep(asl: dict[str, Any]) -> None:
    states = asl["States"]
    acquire = states["AcquireDbtLock"]
    assert acquire["Resource"] == "arn:aws:states:::dynamodb:putItem"
    assert acquire["Parameters"]["ConditionExpression"] == (
        "attribute_not_exists(pk) OR holder = :me"
    )
    assert acquire["Parameters"]["Item"]["holder"] == {"S.$": "$$.Execution.Id"}
    busy = acquire["Catch"][0]
    assert busy["ErrorEquals"] == ["DynamoDB.ConditionalCheckFailedException"]
    assert busy["Next"] == "ReadDbtLock"
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
    asl: dict[str, Any],
) -> None:
    states = asl["States"]
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
    assert states["SameContentLoaded"]["Default"] == "HeaderReadable"
    assert states["DayLoadedBefore"]["Default"] == "HeaderReadable"
    pending = states["RecordDayPending"]["Parameters"]
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


def test_a_day_counts_as_loaded_only_once_its_dbt_build_succeeded(asl: dict[str, Any]) -> None:
    # The marker every "already done" check reads (replay, missed-day check, backfill) is
    # loaded_fingerprint: the job's load writes only a pending one and drops the old marker
    # (the day's staging rows changed); a successful build promotes it.
    states = asl["States"]
    readers = {"DayLoadedBefore", "SameContentLoaded", "CheckedDayLoaded"}
    for name in readers:
        choice = states[name]["Choices"][0]
        choice = choice["And"][-1] if "And" in choice else choice
        assert choice["Variable"].endswith(".Item.loaded_fingerprint.S"), name
    pending = states["RecordDayPending"]["Parameters"]["UpdateExpression"]
    assert pending.startswith("SET pending_fingerprint = :fp, pending_run = :me")
    assert pending.endswith("REMOVE loaded_fingerprint")
    writers = {
        name
        for name, state in states.items()
        if "loaded_fingerprint =" in state.get("Parameters", {}).get("UpdateExpression", "")
    }
    assert writers == {"RecordDayBuilt"}
    # A failed build, or a lock never acquired, never reaches a state that sets the marker.
    failed = _reachable(states, "DbtFailed", {"PipelineFailed", "NoticeFailed"})
    failed |= _reachable(states, "DbtLockFailed", {"PipelineFailed", "NoticeFailed"})
    assert not failed & {"RecordBuilt", "RecordDayBuilt", "RecordBackfillBuilt"}
    # Only a successful RunDbt leads there: the day's own run, guarded by its pending run id.
    assert states["RunDbt"]["Next"] == "ReleaseDbtLock"
    assert states["ReleaseDbtLock"]["Catch"][-1]["Next"] == "RecordBuilt"
    built = states["RecordDayBuilt"]["Parameters"]
    assert built["ConditionExpression"] == "pending_run = :me"
    assert built["ExpressionAttributeValues"][":me"] == {"S.$": "$.event.run_id"}
    assert built["ExpressionAttributeValues"][":fp"] == {"S.$": "$.fingerprint.value"}
    superseded = states["RecordDayBuilt"]["Catch"][0]
    assert superseded["ErrorEquals"] == ["DynamoDB.ConditionalCheckFailedException"]
    assert superseded["Next"] == "BuildSuccessNotice"


def test_a_backfills_days_count_as_loaded_once_its_final_build_succeeded(
    asl: dict[str, Any],
) -> None:
    states = asl["States"]
    assert states["RecordBuilt"]["Choices"] == [
        {"Variable": "$.flightline.dbt_dates", "IsPresent": True, "Next": "SplitBuiltDates"}
    ]
    split = states["SplitBuiltDates"]
    assert split["Parameters"] == {"dates.$": "States.StringSplit($.date.flight_date, ',')"}
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
    asl: dict[str, Any],
) -> None:
    states = asl["States"]
    backfill = {"Variable": "$.flightline.backfill", "IsPresent": True}
    assert states["QuietPeriodNeeded"]["Choices"] == [{**backfill, "Next": "ReadDay"}]
    assert states["BuildNow"]["Choices"] == [{**backfill, "Next": "DeferDbt"}]
    assert states["DeferDbt"]["Next"] == "BuildSuccessNotice"
    assert states["DeferDbt"]["ResultPath"] == "$.dbt"
    first = states["CheckEvent"]["Choices"][0]
    assert first == {
        "Variable": "$.flightline.dbt_dates",
        "IsPresent": True,
        "Next": "PrepareBackfillBuild",
    }
    prepare = states["PrepareBackfillBuild"]
    assert prepare["Parameters"]["date"]["flight_date.$"] == "$.flightline.dbt_dates"
    assert prepare["Next"] == "AcquireDbtLock"


def test_the_crawler_runs_only_for_a_new_table_or_changed_columns(asl: dict[str, Any]) -> None:
    states = asl["States"]
    reasons = {
        name: state["Result"]
        for name, state in states.items()
        if state["Type"] == "Pass" and state.get("ResultPath") == "$.crawl"
    }
    ran = {name for name, result in reasons.items() if result["ran"]}
    assert ran == {
        "CrawlCompressedFile",
        "CrawlUnreadableHeader",
        "CrawlNewTable",
        "CrawlNoRecord",
        "CrawlHeaderChanged",
    }
    assert all(states[name]["Next"] == "StartCrawler" for name in ran)
    assert states["CrawlSkipped"]["Next"] == "RunGlueJob"
    assert states["GetCatalogTable"]["Catch"][0]["Next"] == "CrawlNewTable"
    assert states["SameHeader"]["Choices"][0]["StringEqualsPath"] == "$.header.line"
    assert states["SameHeader"]["Choices"][0]["Next"] == "RegisterPartition"
    assert states["SameHeader"]["Default"] == "CrawlHeaderChanged"
    # the header is recorded only after a successful crawl
    assert states["CrawlerReady"]["Choices"][0]["Next"] == "CheckLastCrawl"
    assert states["LastCrawlSucceeded"]["Choices"][0]["Next"] == "RecordCrawledHeader"
    # and the notice says whether it ran and why
    assert states["BuildSuccessNotice"]["Parameters"]["crawler.$"] == "$.crawl"


def test_the_missed_day_check_notifies_only_a_day_not_loaded(asl: dict[str, Any]) -> None:
    states = asl["States"]
    assert states["CheckEvent"]["Choices"][1] == {
        "Variable": "$.flightline.check_time",
        "IsPresent": True,
        "Next": "ParseCheckTime",
    }
    assert states["CheckedDayLoaded"]["Choices"][0]["Next"] == "DayArrived"
    assert states["DayArrived"]["Type"] == "Succeed"
    assert states["CheckedDayArrived"]["Default"] == "NeverArrived"
    for name in ("NeverArrived", "ArrivedNotLoaded"):
        assert states[name]["Parameters"]["status"] == "MISSED"
        assert states[name]["Next"] == "NotifyMissedDay"


def test_job_gets_the_per_run_arguments(asl: dict[str, Any]) -> None:
    arguments = asl["States"]["RunGlueJob"]["Parameters"]["Arguments"]
    assert arguments == {
        "--flight_date.$": "$.date.flight_date",
        "--run_id.$": "$.event.run_id",
        "--trigger_key.$": "$.date.trigger_key",
    }
    assert asl["States"]["ParseEvent"]["Parameters"]["run_id.$"] == "$$.Execution.Name"


def test_summary_is_read_from_the_contract_location(asl: dict[str, Any]) -> None:
    params = asl["States"]["ReadRunSummary"]["Parameters"]
    assert params["Bucket.$"] == "$.event.bucket"
    assert "'runs/date={}/run_id={}/summary.json'" in params["Key.$"]
    assert asl["States"]["ReadRunSummary"]["ResultSelector"] == {
        "summary.$": "States.StringToJson($.Body)"
    }


def test_dbt_build_gets_the_date(asl: dict[str, Any]) -> None:
    overrides = asl["States"]["RunDbt"]["Parameters"]["EnvironmentVariablesOverride"]
    assert {"Name": "FLIGHT_DATE", "Type": "PLAINTEXT", "Value.$": "$.date.flight_date"} in (
        overrides
    )


def test_a_running_crawler_is_waited_for_and_the_poll_is_bounded(asl: dict[str, Any]) -> None:
    states = asl["States"]
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
    assert states["LastCrawlSucceeded"]["Default"] == "RunGlueJob"
    assert ready[1]["NumericGreaterThanEqualsPath"] == "$.event.max_polls"
    assert ready[1]["Next"] == "CrawlerTimedOut"
    assert states["CrawlerReady"]["Default"] == "WaitForCrawler"


def test_keys_outside_the_contract_go_straight_to_the_failure_notice(asl: dict[str, Any]) -> None:
    states = asl["States"]
    assert states["RouteByKey"]["Default"] == "KeyRejected"
    assert states["CheckPartitionFolder"]["Default"] == "KeyRejected"
    assert states["ValidateDate"]["Default"] == "KeyRejected"
    assert states["KeyRejected"]["Next"] == "BuildFailureNotice"
    assert states["BuildFailureNotice"]["Next"] == "NotifyFailure"
    assert states["NotifyFailure"]["Next"] == "PipelineFailed"
    assert states["PipelineFailed"]["Type"] == "Fail"


LOCK_RELEASES = {"ReleaseDbtLock", "ReleaseDbtLockAfterFailure", "ReleaseDbtLockAfterAirports"}


def test_every_failure_path_publishes_exactly_one_notice(asl: dict[str, Any]) -> None:
    states = asl["States"]
    assert states["ReleaseDbtLock"]["Next"] == "RecordBuilt"  # then BuildSuccessNotice
    assert states["ReleaseDbtLockAfterFailure"]["Next"] == "BuildFailureNotice"
    publishers = {n for n, s in tasks(asl).items() if s["Resource"].endswith("sns:publish")}
    assert publishers == {
        "NotifySuccess",
        "NotifyFailure",
        "NotifyAirportsUpdated",
        "NotifyUnchanged",
        "NotifyMissedDay",
    }
    for name, state in tasks(asl).items():
        if name in publishers:
            assert state["Catch"][-1]["Next"] == "NoticeFailed"  # never a second notice
        elif name in LOCK_RELEASES:
            # Cleanup: a failed release goes where success goes (the lock frees itself when
            # this execution ends), so the outcome and its one notice stay the same.
            assert state["Catch"][-1]["Next"] == state["Next"]
        else:
            handler = states[state["Catch"][-1]["Next"]]
            assert handler["Type"] == "Pass"
            # after dbt the lock is released first, then the notice
            assert handler["Next"] in ("BuildFailureNotice", "ReleaseDbtLockAfterFailure")
            assert handler["ResultPath"] == "$.failure"
            assert isinstance(handler["Parameters"]["step"], str)
            # The whole error object: Cause is optional in the error output.
            assert handler["Parameters"]["error.$"] == "$.error"


def test_date_is_derived_from_both_key_spellings(asl: dict[str, Any]) -> None:
    states = asl["States"]
    rules = states["CheckPartitionFolder"]["Choices"]
    patterns = [r["And"][1]["StringMatches"] for r in rules]
    assert patterns == ["date=*-*-*", "date%3D*-*-*"]
    assert states["DeriveDate"]["Next"] == states["DeriveDateFromEncodedKey"]["Next"]
    assert states["ValidateDate"]["Choices"][0] == {
        "Variable": "$.date.as_timestamp",
        "IsTimestamp": True,
        "Next": "RecordDayEvent",
    }
