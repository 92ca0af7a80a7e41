"""The end-to-end suite: real uploads to LocalStack S3 go through EventBridge, Step
Functions, the crawler, the real Glue job (Spark), dbt through CodeBuild and SNS; the tests
assert on the warehouse (the local PostgreSQL) and on the notices (read through SQS).

Nothing is mocked. The scenarios run in lanes at once (`pipeline_lanes`: one deployment and
one database each, deployed concurrently); inside a lane, steps that build on each other run
in order. The module-scoped `outcomes` fixture drives every lane and records what happened;
each test asserts one scenario on that record. The backfill lane starts with the sandbox e2e
command's path (tools/e2e/run_day.py), the smoke test of a fresh deployment.
"""

from __future__ import annotations

import itertools
import json
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.lanes import (
    BACKFILL_DAYS,
    BURST_DAYS,
    LANES,
    NOT_PIPELINE_KEYS,
    SAMPLE_DAYS,
    SMOKE_DAY,
    expected,
    states,
)
from tools.cost.model import from_notice, run_price
from tools.e2e.follow import state_outputs, task_errors

# The ops lane holds the crawler busy until the execution has polled it busy once: the polls
# (1 s apart locally) must outlast the seconds that takes on a busy machine.
# The files lane writes a day's three files a second apart: a 10 s quiet period (5 s in the
# local env) still covers them when the machine is busy (a run at load 20 saw two loads).
PIPELINE_PARAMETERS = {"CrawlerMaxPolls": "150", "DayQuietSeconds": "10"}


def selected_lanes() -> list[str]:
    """Every lane, or those named in FLIGHTLINE_LANES (`make test-lanes LANES=day,files`):
    a developer's shortcut; CI never sets it."""
    named = [n for n in os.environ.get("FLIGHTLINE_LANES", "").split(",") if n]
    unknown = sorted(set(named) - set(LANES))
    if unknown:
        raise pytest.UsageError(f"unknown lane(s) {unknown}; the lanes are {list(LANES)}")
    return named or list(LANES)


@pytest.fixture(scope="module")
def outcomes(pipeline_lanes) -> dict[str, dict[str, Any] | BaseException]:
    chosen = selected_lanes()
    lanes = pipeline_lanes(chosen)

    def drive(name: str) -> dict[str, Any] | BaseException:
        try:
            return LANES[name](lanes[name])
        except BaseException as error:  # recorded: the lane's tests report it
            return error

    with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
        results = dict(zip(chosen, pool.map(drive, chosen), strict=True))
    return results


def lane(outcomes, name: str) -> dict[str, Any]:
    if name not in outcomes:
        pytest.skip(f"lane {name} not selected (FLIGHTLINE_LANES)")
    result = outcomes[name]
    if isinstance(result, BaseException):
        raise result
    return result


# ---- tests ----------------------------------------------------------------------------------


def test_a_day_loads_exactly_and_the_notice_carries_the_summary(outcomes) -> None:
    out = lane(outcomes, "day")
    run, want = out["first"], expected("2024-01-01")
    assert run["status"] == "SUCCEEDED", states(run)
    assert out["first_staged"] == out["first_facts"] == want["valid_rows"]
    assert out["first_distinct"] == want["valid_rows"]
    notice = run["notice"]
    assert run["subject"] == "Flightline: 2024-01-01 loaded"
    assert notice["status"] == "SUCCEEDED"
    assert notice["trigger_key"] == "daily_flights/date=2024-01-01/flights.csv"
    assert notice["summary"]["rows_read"] == want["rows"]
    assert notice["summary"]["rows_loaded"] == want["valid_rows"]
    assert notice["summary"]["rows_rejected"] == want["rejected_total"]
    assert notice["summary"]["cancelled"] == want["cancelled"]


def test_a_corrected_file_replaces_the_day_exactly(outcomes) -> None:
    out = lane(outcomes, "day")
    run = out["corrected"]
    assert run["status"] == "SUCCEEDED", states(run)
    assert out["corrected_staged"] == out["corrected_facts"] == out["corrected_lines"]
    assert out["corrected_run_ids"] == [(run["name"],)]
    assert out["unknown_origin"] == 1  # the corrected line, kept and flagged
    assert run["notice"]["summary"]["rows_loaded"] == out["corrected_lines"]


def test_a_file_missing_a_column_fails_at_the_job_and_changes_nothing(outcomes) -> None:
    out = lane(outcomes, "day")
    run = out["bad"]
    assert run["status"] == "FAILED"
    assert "RunGlueJob" in states(run)
    # Neither dbt nor the catalog: the raw catalog holds the days the pipeline accepted.
    assert not {"RunDbt", "StartCrawler", "RegisterPartition"} & set(states(run))
    notice = run["notice"]
    assert notice["status"] == "FAILED"
    assert notice["step"] == "glue-job"
    cause = notice["error"]["Cause"]
    assert "late.csv" in cause, cause
    assert "ArrDelay" in cause, cause
    assert out["bad_unchanged"]
    assert out["bad_still_in_s3"]["ContentLength"] > 0


def test_two_days_back_to_back_both_load(outcomes) -> None:
    out = lane(outcomes, "days")
    for day in ("2024-01-02", "2024-01-03"):
        assert out[f"{day}_staged"] == expected(day)["valid_rows"]
        assert out[f"{day}_facts"] == expected(day)["valid_rows"]
        assert out[day]["status"] == "SUCCEEDED", states(out[day])


def test_uploads_outside_the_contract_start_nothing(outcomes) -> None:
    out = lane(outcomes, "days")
    assert out["not_pipeline"] == {key: [] for key in NOT_PIPELINE_KEYS}, out["all_keys"]


def test_an_invalid_date_folder_fails_with_a_clear_notice(outcomes) -> None:
    run = lane(outcomes, "days")["invalid"]
    assert run["status"] == "FAILED"
    assert "StartCrawler" not in states(run)
    notice = run["notice"]
    assert notice["step"] == "derive-date"
    assert notice["error"]["Error"] == "Flightline.UnexpectedKey"
    # The cause names the key as the S3 event spells it (URL-encoded: date%3D...).
    assert "2024-13-45/flights.csv" in notice["error"]["Cause"]


def test_duplicate_uploads_and_events_leave_no_duplicate_rows(outcomes) -> None:
    out = lane(outcomes, "dupes")
    rows = expected("2024-01-01")["valid_rows"]
    assert len(out["runs"]) == 3
    assert out["staged"] == out["distinct"] == rows
    assert out["facts"] in (0, rows)  # never duplicated (0 if every dbt build failed)


def test_duplicate_executions_all_succeed(outcomes) -> None:
    out = lane(outcomes, "dupes")
    assert [r["status"] for r in out["runs"]] == ["SUCCEEDED"] * 3
    assert out["facts"] == expected("2024-01-01")["valid_rows"]
    # The dbt lock (and behind it the project's ConcurrentBuildLimit 1): the three dbt
    # builds ran one after the other.
    spans = sorted(
        (p["startTime"], p["endTime"])
        for b in out["dbt_builds"]
        for p in b["phases"]
        if p["phaseType"] == "BUILD"
    )
    # The same file twice and a replayed event: the executions the quiet period did not
    # merge loaded the day or found it unchanged; at least one built it.
    assert 1 <= len(spans) <= 3, out["dbt_builds"]
    for run in out["runs"]:
        path = states(run)
        assert "Superseded" in path or run["notice"]["status"] in ("SUCCEEDED", "UNCHANGED")
    assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(spans)), spans


def test_a_running_crawler_is_waited_for(outcomes) -> None:
    out = lane(outcomes, "ops")
    run = out["crawl"]
    assert out["refused_seen"]
    assert run["status"] == "SUCCEEDED", states(run)
    assert "Glue.CrawlerRunningException" in task_errors(run["history"])
    polled = [o["crawler"]["state"] for o in state_outputs(run["history"], "GetCrawler")]
    assert polled[-1] == "READY", polled
    assert set(polled[:-1]) <= {"RUNNING", "STOPPING"}, polled
    assert len(polled) > 1, polled  # it did see the crawler busy before going on
    path = states(run)
    # The crawl is decided after the job, from the headers the job read.
    assert path.index("RunGlueJob") < path.index("StartCrawler")
    assert out["crawl_staged"] == expected("2024-01-01")["valid_rows"]


def test_a_failing_dbt_test_fails_the_execution_with_a_notice(outcomes) -> None:
    out = lane(outcomes, "ops")
    run = out["dbt"]
    assert run["status"] == "FAILED"
    # The marts build fails, frees the lock and sends the one notice; its branch of the day
    # load ends with the error, and the day load and the day that started it end in
    # NestedRunFailed without a second notice. (The crawl's states, beside the build, come
    # before or after the build's in the followed history, as the branches started.)
    path = states(run)
    failed = [
        "DbtFailed",
        "ReleaseDbtLockAfterFailure",
        "BuildFailureNotice",
        "NotifyFailure",
        "PipelineFailed",
    ]
    start = path.index("DbtFailed")
    assert path[start : start + len(failed)] == failed, path
    assert path[-4:] == [
        "BuildFailed",
        "CatalogAndBuildSucceeded",
        "NestedRunFailed",
        "NestedRunFailed",
    ]
    assert path.count("BuildFailureNotice") == 1  # the crawl succeeded: no notice of its own
    notice = run["notice"]
    assert run["subject"] == "Flightline: FAILED at dbt"
    assert notice["step"] == "dbt"
    build = json.loads(notice["error"]["Cause"])["Build"]
    assert build["BuildStatus"] == "FAILED"
    assert out["dbt_staged"] == expected("2024-01-02")["valid_rows"]  # the job's load stands


def test_a_replay_after_a_failed_dbt_build_loads_and_builds_the_day(outcomes) -> None:
    out = lane(outcomes, "ops")
    assert out["dbt"]["status"] == "FAILED"
    assert out["dbt_facts"] == 0  # the failed build left the day out of the marts
    rows = expected("2024-01-02")["valid_rows"]
    run = out["replay"]
    assert run["status"] == "SUCCEEDED", states(run)
    assert run["notice"]["status"] == "SUCCEEDED", run["notice"]  # not UNCHANGED
    assert {"RunGlueJob", "RunDbt", "RecordDayBuilt"} <= set(states(run))
    assert out["replay_staged"] == out["replay_facts"] == rows


def test_days_at_once_all_load_with_one_dbt_build_at_a_time(outcomes) -> None:
    out = lane(outcomes, "burst")
    rows = expected("2024-01-01")["valid_rows"]
    assert {d: r["status"] for d, r in out["runs"].items()} == dict.fromkeys(
        BURST_DAYS, "SUCCEEDED"
    ), {d: states(r) for d, r in out["runs"].items()}
    assert out["staged"] == out["facts"] == dict.fromkeys(BURST_DAYS, rows)
    spans = sorted((b["startTime"], b["endTime"]) for b in out["builds"])
    assert len(spans) == len(BURST_DAYS), out["builds"]
    assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(spans)), spans
    paths = [states(r) for r in out["runs"].values()]
    # The builds never met the project's limit: the lock had them wait for each other.
    assert any("WaitForDbtLock" in path for path in paths), paths
    for run in out["runs"].values():
        assert "CodeBuild.AccountLimitExceededException" not in task_errors(run["history"])
    assert out["lock_after"] is None  # released by the last holder
    # Crawled or registered without a crawl, every day is a partition of the catalog table.
    assert out["partitions"] == BURST_DAYS
    for run in out["runs"].values():
        # what the run used, and its modelled price (tools/cost)
        usage = run["notice"]["usage"]
        assert usage["glue"]["execution_class"] == "STANDARD", usage
        assert usage["glue"]["workers"] == 2
        assert sum(usage["dbt_build"]["phase_seconds"]) >= 0
        assert usage["crawler_ran"] == run["notice"]["crawler"]["ran"]
        price = run_price(run["notice"])
        assert price["glue_job"] > 0
        assert price["dbt_build"] > 0
        assert price["warehouse"] > 0  # the load and the build measured
        assert price["assumed"] == []
        assert from_notice(run["notice"]).build_warehouse_seconds > 0  # dbt's elapsed time
        assert price["total"] == pytest.approx(
            price["glue_job"] + price["crawler"] + price["dbt_build"] + price["warehouse"]
        )


def test_a_lock_left_by_a_crashed_holder_is_broken(outcomes) -> None:
    out = lane(outcomes, "burst")
    runs = out["runs"]
    broke = [d for d, r in runs.items() if "BreakStaleDbtLock" in states(r)]
    assert broke, {d: states(r) for d, r in runs.items()}


def test_a_day_of_three_files_loads_once_with_all_three(outcomes) -> None:
    out = lane(outcomes, "files")
    rows = sum(expected(day)["valid_rows"] for day in SAMPLE_DAYS)
    ran = [r for r in out["first"] if "RunGlueJob" in states(r)]
    assert len(ran) == 1, [states(r) for r in out["first"]]
    assert all("Superseded" in states(r) for r in out["first"] if r not in ran)
    assert ran[0]["status"] == "SUCCEEDED", states(ran[0])
    assert ran[0]["notice"]["summary"]["rows_loaded"] == rows
    assert out["first_staged"] == rows
    assert out["first_files"] == 3


def test_a_late_file_reloads_the_day_with_all_its_files(outcomes) -> None:
    out = lane(outcomes, "files")
    rows = sum(expected(day)["valid_rows"] for day in SAMPLE_DAYS)
    rows += expected("2024-01-01")["valid_rows"]
    assert out["late"]["status"] == "SUCCEEDED", states(out["late"])
    assert out["late"]["notice"]["summary"]["rows_loaded"] == rows
    assert out["late_staged"] == out["late_facts"] == rows
    assert out["late_files"] == 4


def test_a_replayed_event_for_loaded_files_does_no_work(outcomes) -> None:
    out = lane(outcomes, "files")
    run = out["replay"]
    assert run["status"] == "SUCCEEDED", states(run)
    assert run["notice"]["status"] == "UNCHANGED"
    assert run["subject"] == "Flightline: 2024-04-01 unchanged"
    assert run["notice"]["loaded_by_run"] == out["late"]["name"]
    assert not {"StartCrawler", "RunGlueJob", "RunDbt"} & set(states(run))
    assert out["replay_unchanged"]
    assert out["job_runs"] == 2  # the three files' load and the late file's, nothing more


def test_a_fresh_deployment_loads_airports_then_a_day_as_unprivileged_roles(outcomes) -> None:
    out = lane(outcomes, "backfill")
    assert out["airports"]["status"] == "SUCCEEDED", states(out["airports"])
    run, want = out["smoke"], expected(SMOKE_DAY)
    assert run["status"] == "SUCCEEDED", states(run)
    path = states(run)
    assert path[-2:] == ["NotifySuccess", "Succeeded"]
    assert path.index("BuildSuccessNotice") < path.index("NotifySuccess")
    assert run["subject"] == f"Flightline: {SMOKE_DAY} loaded"
    notice = run["notice"]
    assert notice["status"] == "SUCCEEDED"
    assert notice["flight_date"] == SMOKE_DAY
    assert notice["trigger_key"] == f"daily_flights/date={SMOKE_DAY}/flights.csv"
    assert notice["summary"]["rows_loaded"] == want["valid_rows"]
    assert notice["summary"]["rows_rejected"] == want["rejected_total"]
    assert notice["glue_job_run_id"]
    assert notice["dbt_build_id"]
    assert out["smoke_staged"] == out["smoke_facts"] == want["valid_rows"]
    # The job and dbt ran as their own unprivileged roles (the bootstrap's), as on Redshift:
    # staging belongs to the loader, the marts dbt built to dbt, and neither is a superuser.
    roles = out["owners"]
    assert roles["owners"] == {
        "flights": f'"{roles["loader"]}"',
        "fct_flights": f'"{roles["dbt"]}"',
    }
    assert roles["supers"] == {roles["loader"]: False, roles["dbt"]: False}


def test_the_sandbox_e2e_command_follows_a_day_through_the_deployed_env(outcomes) -> None:
    out = lane(outcomes, "backfill")
    lines = out["e2e_lines"]
    assert out["e2e_exit"] == 0, lines
    assert any(
        line.startswith("uploaded s3://") and line.endswith(f"date={SMOKE_DAY}/flights.csv")
        for line in lines
    ), lines
    assert any(line.strip().startswith(f"{SMOKE_DAY}  => SUCCEEDED") for line in lines), lines
    assert any(line.startswith(f"{SMOKE_DAY}: run summary ") for line in lines), lines


def test_the_sandbox_recording_of_a_local_run_fits_the_api_model(outcomes) -> None:
    """`make e2e-aws` records the emulated calls' responses; on the local deployment every
    one it records fits botocore's output shape and matches the example's calls and types."""
    reports = lane(outcomes, "backfill")["parity"]
    assert [r.name for r in reports if r.missing] == []
    failed = [line for r in reports if r.failed for line in r.lines()]
    assert failed == []
    assert len(reports) >= 8, [r.name for r in reports]


def test_a_backfill_loads_each_day_then_builds_once(outcomes) -> None:
    out = lane(outcomes, "backfill")
    report = out["report"]
    with_files = BACKFILL_DAYS[:-1]
    assert [(o.day, o.status) for o in report.days] == [
        *((day, "LOADED") for day in with_files),
        (BACKFILL_DAYS[-1], "NO FILES"),
    ], out["table"]
    assert report.build.status == "BUILT", out["table"]
    assert report.ok
    for day, source in zip(with_files, itertools.cycle(SAMPLE_DAYS), strict=False):
        rows = expected(source)["valid_rows"]
        assert out["staged"][day] == out["facts"][day] == rows, day
        assert next(o for o in report.days if o.day == day).rows_loaded == rows
    assert len(out["builds"]) == 1  # one dbt build for all the days
    assert len(out["day_runs"]) == len(with_files)
    # progress as it happens, and the table of outcomes at the end
    assert sum(line.startswith("started ") for line in out["progress"]) == len(with_files)
    done = f"[{len(with_files)}/{len(with_files)}] "
    assert any(line.startswith(done) for line in out["progress"]), out["progress"]
    assert "NO FILES" in out["table"]
    assert "BUILT" in out["table"]


def test_the_crawler_runs_only_when_the_columns_change(outcomes) -> None:
    out = lane(outcomes, "files")
    (ran,) = [r for r in out["first"] if "RunGlueJob" in states(r)]
    assert ran["notice"]["crawler"] == {
        "ran": True,
        "reason": "the catalog table does not exist yet",
    }
    # Same columns: no crawl, the partition was there already.
    late = out["late"]
    assert late["notice"]["crawler"]["ran"] is False, late["notice"]["crawler"]
    assert "StartCrawler" not in states(late)
    # A new column: the crawler runs, says why, and the job loads the day, the column's values
    # kept per row in staging.flights.extra_columns and named in the notice.
    new = out["new_column"]
    assert new["status"] == "SUCCEEDED", states(new)
    assert new["notice"]["crawler"] == {
        "ran": True,
        "reason": "the day's headers are not the ones the catalog table was crawled from",
    }
    assert "StartCrawler" in states(new)
    assert out["new_column_staged"] == expected("2024-01-02")["valid_rows"]
    assert out["new_column_kept"] == expected("2024-01-02")["valid_rows"]
    assert new["notice"]["summary"]["extra_columns"] == ["CancellationCode"]


def test_a_missed_day_raises_the_notice_and_a_loaded_day_does_not(outcomes) -> None:
    checks = lane(outcomes, "days")["checks"]
    loaded = checks["2024-01-03"]
    assert loaded["status"] == "SUCCEEDED"
    assert states(loaded)[-1] == "DayArrived"
    assert loaded["notice"] is None
    for day in ("2024-02-29", "2023-12-31"):
        run = checks[day]
        assert run["status"] == "SUCCEEDED", states(run)
        assert run["notice"]["status"] == "MISSED"
        assert run["notice"]["flight_date"] == day
        assert run["notice"]["arrived"] is False
