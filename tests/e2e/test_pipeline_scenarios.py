"""The pull-request end-to-end suite: real uploads to LocalStack S3 go through EventBridge,
Step Functions, the crawler, the real Glue job (Spark), dbt through CodeBuild and SNS; the
tests assert on the warehouse (the local PostgreSQL) and on the notices (read through SQS).

Nothing is mocked. To stay within a few minutes on two cores, the scenarios run in four
lanes at once (`pipeline_lanes`: one deployment and one database each, deployed
concurrently); inside a lane, steps that build on each other run in order. The module-scoped
`outcomes` fixture drives every lane and records what happened; each test asserts one
scenario on that record.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.fixtures.dbt import corrected_file
from tests.fixtures.pipeline import SAMPLE, Lane, sample_day
from tools.backfill.runner import backfill
from tools.cost.model import run_price
from tools.e2e_follow import history, state_outputs, task_errors, wait_until

# The LocalStack Glue emulator holds a crawler so tagged in STOPPING that many seconds
# (localstack/flightline_localstack/services/glue/crawler_runner.py).
STOPPING_SECONDS_TAG = "flightline:emulator-stopping-seconds"

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The ops lane holds the crawler busy for a minute: polls (1 s apart locally) must outlast it.
PIPELINE_PARAMETERS = {"CrawlerMaxPolls": "150"}

RUN_SECONDS = 600  # upper bound for one lane's executions; never asserted as a duration
AIRPORTS = (SAMPLE / "dim" / "airports.csv").read_bytes()
NOT_PIPELINE_KEYS = [
    "incoming/date=2024-01-02/flights.csv",
    "daily_flights/date=2024-01-02/flights.txt",
    "daily_flights/date=2024-01-02/flights.csv.bak",
    "dim/carriers.csv",
]
INVALID_DATE_KEY = "daily_flights/date=2024-13-45/flights.csv"
SAMPLE_DAYS = ("2024-01-01", "2024-01-02", "2024-01-03")


def expected(day: str) -> dict[str, Any]:
    return json.loads((SAMPLE / "_expected" / f"date={day}" / "counts.json").read_text())


def without_column(data: bytes, column: str) -> bytes:
    rows = list(csv.reader(io.StringIO(data.decode())))
    drop = rows[0].index(column)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        [r[:drop] + r[drop + 1 :] for r in rows if len(r) > drop]
    )
    return out.getvalue().encode()


def with_column(data: bytes, name: str, value: str) -> bytes:
    lines = data.decode().splitlines()
    return "\n".join([f"{lines[0]},{name}"] + [f"{line},{value}" for line in lines[1:]]).encode()


def finish(lane: Lane, key: str, count: int = 1, exclude: set[str] | None = None) -> list[dict]:
    """Wait until `count` executions for `key` exist and have ended; returns them described,
    each with its history and its notice."""
    index, sfn = lane.executions, lane.client("stepfunctions")

    def ended() -> list[dict] | None:
        found = index.for_key(key, exclude=exclude or set())
        if len(found) >= count and all(e["status"] != "RUNNING" for e in found):
            return found
        return None

    done = wait_until(ended, f"{count} execution(s) for {key} in {lane.name}", RUN_SECONDS, 1)
    for execution in done:
        execution["history"] = history(sfn, execution["executionArn"])
        if "Superseded" in states(execution):
            # A later file of the day took over: that execution sends the day's notice.
            execution["notice"] = execution["subject"] = None
            continue
        execution["notice"] = lane.notices.wait_for(execution)["notice"]
        execution["subject"] = lane.notices.for_execution(execution)["Subject"]
    return done


def arns(lane: Lane) -> set[str]:
    return {e["executionArn"] for e in lane.executions.all()}


# ---- lanes ----------------------------------------------------------------------------------


def lane_day(lane: Lane) -> dict[str, Any]:
    """One day loads; then a corrected file replaces it; then a file missing a column fails."""
    out: dict[str, Any] = {}
    day, key = "2024-01-01", "daily_flights/date=2024-01-01/flights.csv"
    lane.put("dim/airports.csv", AIRPORTS)
    lane.put(key, sample_day(day))
    (out["first"],) = finish(lane, key)
    out["first_staged"], out["first_facts"] = lane.warehouse.staged(day), lane.warehouse.facts(day)
    out["first_distinct"] = lane.warehouse.rows(
        "select count(distinct flight_id) from staging.flights"
    )[0][0]

    seen = arns(lane)
    corrected = corrected_file(sample_day(day).decode(), revision=1).encode()
    out["corrected_lines"] = len(corrected.decode().splitlines()) - 1
    lane.put(key, corrected)
    (out["corrected"],) = finish(lane, key, exclude=seen)
    out["corrected_run_ids"] = lane.warehouse.rows(
        "select distinct run_id from staging.flights where flight_date = %s", day
    )
    out["corrected_staged"], out["corrected_facts"] = (
        lane.warehouse.staged(day),
        lane.warehouse.facts(day),
    )
    out["unknown_origin"] = lane.warehouse.rows(
        "select count(*) from staging.flights where flight_date = %s "
        "and origin_airport_id = 16001 and not is_origin_known",
        day,
    )[0][0]

    seen = arns(lane)
    before = lane.warehouse.snapshot(day)
    bad_key = "daily_flights/date=2024-01-01/late.csv"
    lane.put(bad_key, without_column(sample_day(day), "ArrDelay"))
    (out["bad"],) = finish(lane, bad_key, exclude=seen)
    out["bad_unchanged"] = lane.warehouse.snapshot(day) == before
    out["bad_still_in_s3"] = lane.client("s3").head_object(Bucket=lane.bucket, Key=bad_key)
    return out


def lane_days(lane: Lane) -> dict[str, Any]:
    """Two days back to back; at the same time an invalid date folder and keys that are not
    the pipeline's."""
    out: dict[str, Any] = {}
    lane.put("dim/airports.csv", AIRPORTS)
    for day in ("2024-01-02", "2024-01-03"):
        lane.put(f"daily_flights/date={day}/flights.csv", sample_day(day))
    lane.put(INVALID_DATE_KEY, sample_day("2024-01-02"))
    for key in NOT_PIPELINE_KEYS:
        lane.put(key, sample_day("2024-01-02"))
    out["invalid"] = finish(lane, INVALID_DATE_KEY)[0]
    for day in ("2024-01-02", "2024-01-03"):
        (out[day],) = finish(lane, f"daily_flights/date={day}/flights.csv")
        out[f"{day}_staged"], out[f"{day}_facts"] = (
            lane.warehouse.staged(day),
            lane.warehouse.facts(day),
        )
    # Every execution the uploads above could start has long started by now (the day runs
    # took a Spark job and a dbt build): look for the ones that must not exist.
    out["not_pipeline"] = {key: lane.executions.for_key(key) for key in NOT_PIPELINE_KEYS}
    out["all_keys"] = sorted(lane.executions.key_of(a) or "" for a in arns(lane))

    # The missed-day check, as its schedule starts it on three mornings: the day before was
    # loaded (2024-01-03), never came (2024-02-29: a leap day), never came (2023-12-31).
    sfn = lane.client("stepfunctions")
    out["checks"] = {}
    for checked, morning in (
        ("2024-01-03", "2024-01-04T06:00:00Z"),
        ("2024-02-29", "2024-03-01T06:00:00Z"),
        ("2023-12-31", "2024-01-01T06:00:00Z"),
    ):
        arn = sfn.start_execution(
            stateMachineArn=lane.deployment.state_machine,
            input=json.dumps({"flightline": {"check_time": morning}}),
        )["executionArn"]
        run = wait_until(
            lambda arn=arn: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING"
            and d,
            f"the check of {checked}",
            RUN_SECONDS,
            1,
        )
        run["history"] = history(sfn, arn)
        run["notice"] = None
        if "DayArrived" not in states(run):
            run["notice"] = lane.notices.wait_for(run)["notice"]
        out["checks"][checked] = run
    return out


def lane_duplicates(lane: Lane) -> dict[str, Any]:
    """The same file twice, then the same S3 event delivered again (EventBridge delivers at
    least once: a duplicate delivery starts the state machine with the identical input, which
    is what this does)."""
    out: dict[str, Any] = {}
    day, key = "2024-02-01", "daily_flights/date=2024-02-01/flights.csv"
    lane.put("dim/airports.csv", AIRPORTS)
    lane.put(key, sample_day("2024-01-01"))
    lane.put(key, sample_day("2024-01-01"))
    sfn = lane.client("stepfunctions")
    first = wait_until(lambda: lane.executions.for_key(key), "the first execution", 60)[0]
    event = sfn.describe_execution(executionArn=first["executionArn"])["input"]
    sfn.start_execution(stateMachineArn=lane.deployment.state_machine, input=event)
    out["runs"] = finish(lane, key, count=3)
    build_ids = [
        r["notice"]["dbt_build_id"] for r in out["runs"] if "dbt_build_id" in (r["notice"] or {})
    ]
    out["dbt_builds"] = (
        lane.client("codebuild").batch_get_builds(ids=build_ids)["builds"] if build_ids else []
    )
    out["staged"], out["facts"] = lane.warehouse.staged(day), lane.warehouse.facts(day)
    out["distinct"] = lane.warehouse.rows(
        "select count(distinct flight_id) from staging.flights where flight_date = %s", day
    )[0][0]
    return out


def lane_operations(lane: Lane) -> dict[str, Any]:
    """A crawler already running when the execution starts; then a failing dbt data test."""
    out: dict[str, Any] = {}
    glue = lane.client("glue")
    crawler = lane.deployment.outputs("glue").get("DailyFlightsCrawlerName") or next(
        c for c in glue.list_crawlers()["CrawlerNames"] if lane.deployment.env in c
    )
    lane.put("dim/airports.csv", AIRPORTS)
    day, key = "2024-01-01", "daily_flights/date=2024-01-01/flights.csv"
    # Hold the crawler busy: the emulator keeps a crawler tagged so STOPPING for that long,
    # far longer than the upload needs to reach the execution's StartCrawler.
    account = lane.client("sts").get_caller_identity()["Account"]
    arn = f"arn:aws:glue:{glue.meta.region_name}:{account}:crawler/{crawler}"
    # Long enough for the execution to get past the day's quiet period to StartCrawler even
    # on a busy machine.
    glue.tag_resource(ResourceArn=arn, TagsToAdd={STOPPING_SECONDS_TAG: "60"})
    try:
        glue.start_crawler(Name=crawler)
        lane.put(key, sample_day(day))
        sfn = lane.client("stepfunctions")

        def waited() -> bool:
            """StartCrawler was refused and a later poll saw the crawler still busy."""
            found = lane.executions.for_key(key)
            if not found:
                return False
            events = history(sfn, found[0]["executionArn"])
            polled = [o["crawler"]["state"] for o in state_outputs(events, "GetCrawler")]
            return "Glue.CrawlerRunningException" in task_errors(events) and any(
                state != "READY" for state in polled
            )

        out["refused_seen"] = bool(
            wait_until(waited, "the execution to find the crawler running", 120, 0.3)
        )
    finally:
        glue.untag_resource(ResourceArn=arn, TagsToRemove=[STOPPING_SECONDS_TAG])
    (out["crawl"],) = finish(lane, key)
    out["crawl_staged"] = lane.warehouse.staged(day)

    # A real failing data test: a second staging row with an existing flight_id (another
    # date, so the job's delete-and-insert of the day never touches it) breaks `unique`.
    lane.warehouse.execute(
        "insert into staging.flights select * from staging.flights where flight_date = %s "
        "order by flight_id limit 1",
        day,
    )
    lane.warehouse.execute(
        "update staging.flights set flight_date = '2023-12-31' where ctid = "
        "(select max(ctid) from staging.flights where flight_date = %s "
        " and flight_id = (select min(flight_id) from staging.flights where flight_date = %s))",
        day,
        day,
    )
    dbt_key = "daily_flights/date=2024-01-02/flights.csv"
    lane.put(dbt_key, sample_day("2024-01-02"))
    (out["dbt"],) = finish(lane, dbt_key)
    out["dbt_staged"] = lane.warehouse.staged("2024-01-02")
    out["dbt_facts"] = lane.warehouse.facts("2024-01-02")

    # The cause fixed (the duplicate row removed), the failed day's event delivered again:
    # its build failed, so the day is not "already loaded" and the replay loads and builds it.
    lane.warehouse.execute("delete from staging.flights where flight_date = '2023-12-31'")
    seen = arns(lane)
    sfn = lane.client("stepfunctions")
    event = sfn.describe_execution(executionArn=out["dbt"]["executionArn"])["input"]
    sfn.start_execution(stateMachineArn=lane.deployment.state_machine, input=event)
    (out["replay"],) = finish(lane, dbt_key, exclude=seen)
    out["replay_staged"] = lane.warehouse.staged("2024-01-02")
    out["replay_facts"] = lane.warehouse.facts("2024-01-02")
    return out


def lane_files(lane: Lane) -> dict[str, Any]:
    """A day delivered as three files a second apart (within the quiet period), then a late
    fourth file, then the fourth file's event delivered again."""
    out: dict[str, Any] = {}
    day = "2024-04-01"
    keys = [f"daily_flights/date={day}/part-{n}.csv" for n in range(1, 5)]
    lane.put("dim/airports.csv", AIRPORTS)
    for key, source in zip(keys[:3], SAMPLE_DAYS, strict=True):
        lane.put(key, sample_day(source))
        time.sleep(1)  # a producer writing its files one by one
    out["first"] = [finish(lane, key)[0] for key in keys[:3]]
    out["first_staged"] = lane.warehouse.staged(day)
    out["first_files"] = lane.warehouse.rows(
        "select count(distinct source_file) from staging.flights where flight_date = %s", day
    )[0][0]

    seen = arns(lane)
    lane.put(keys[3], sample_day("2024-01-01"))
    (out["late"],) = finish(lane, keys[3], exclude=seen)
    out["late_staged"], out["late_facts"] = lane.warehouse.staged(day), lane.warehouse.facts(day)
    out["late_files"] = lane.warehouse.rows(
        "select count(distinct source_file) from staging.flights where flight_date = %s", day
    )[0][0]

    seen, before = arns(lane), lane.warehouse.snapshot(day)
    sfn = lane.client("stepfunctions")
    event = sfn.describe_execution(executionArn=out["late"]["executionArn"])["input"]
    sfn.start_execution(stateMachineArn=lane.deployment.state_machine, input=event)
    (out["replay"],) = finish(lane, keys[3], exclude=seen)
    out["replay_unchanged"] = lane.warehouse.snapshot(day) == before
    job = lane.deployment.outputs("glue").get("JobName") or next(
        j for j in lane.client("glue").list_jobs()["JobNames"] if lane.deployment.env in j
    )
    runs = lane.client("glue").get_job_runs(JobName=job)["JobRuns"]
    # The airports upload runs the same job on its own route (--mode airports).
    out["job_runs"] = len([r for r in runs if r.get("Arguments", {}).get("--mode") != "airports"])

    # Schema evolution: the next day's file carries a new column.
    new_key = "daily_flights/date=2024-04-02/flights.csv"
    lane.put(new_key, with_column(sample_day("2024-01-02"), "TailNumber", "N123"))
    (out["new_column"],) = finish(lane, new_key)
    out["new_column_staged"] = lane.warehouse.staged("2024-04-02")
    return out


BACKFILL_DAYS = [f"2024-05-0{n}" for n in range(1, 7)]  # the sixth has no files


def lane_backfill(lane: Lane) -> dict[str, Any]:
    """Five days that landed while the trigger was off, loaded by a backfill two at a time."""
    s3 = lane.client("s3")
    lane.put("dim/airports.csv", AIRPORTS)
    # The airports route loads and rebuilds on its own (one job run, one dbt build).
    (airports_run,) = finish(lane, "dim/airports.csv")
    # Files that landed before the pipeline listened: the bucket sends no events meanwhile
    # (LocalStack 2026.3.0 still delivers S3 events to a disabled rule).
    s3.put_bucket_notification_configuration(Bucket=lane.bucket, NotificationConfiguration={})
    try:
        for day, source in zip(BACKFILL_DAYS[:5], itertools.cycle(SAMPLE_DAYS), strict=False):
            lane.put(f"daily_flights/date={day}/flights.csv", sample_day(source))
    finally:
        s3.put_bucket_notification_configuration(
            Bucket=lane.bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
    lines: list[str] = []
    report = backfill(
        lane.client,
        lane.deployment.state_machine,
        lane.bucket,
        BACKFILL_DAYS,
        concurrency=2,
        poll_seconds=1,
        progress=lines.append,
    )
    project = lane.deployment.outputs("orchestration")["DbtProjectName"]
    return {
        "report": report,
        "progress": lines,
        "table": report.table(),
        "staged": {d: lane.warehouse.staged(d) for d in BACKFILL_DAYS},
        "facts": {d: lane.warehouse.facts(d) for d in BACKFILL_DAYS},
        "builds": [
            b
            for b in lane.client("codebuild").list_builds_for_project(projectName=project)["ids"]
            if b != airports_run["notice"].get("dbt_build_id")
        ],
        "day_runs": [e for e in lane.executions.all() if e["name"].startswith("backfill-2024")],
    }


BURST_DAYS = [f"2024-03-0{n}" for n in range(1, 6)]


def burst_key(day: str) -> str:
    return f"daily_flights/date={day}/flights.csv"


def lane_burst(lane: Lane) -> dict[str, Any]:
    """Five days uploaded at once, while the dbt lock is held by an execution that no longer
    runs (a crashed holder): every day loads, the dbt builds run one at a time."""
    out: dict[str, Any] = {}
    ddb = lane.client("dynamodb")
    table = lane.deployment.outputs("orchestration")["LockTableName"]
    machine = lane.deployment.state_machine
    crashed = machine.replace(":stateMachine:", ":execution:") + ":crashed-holder"
    ddb.put_item(TableName=table, Item={"pk": {"S": "lock#dbt"}, "holder": {"S": crashed}})
    lane.put("dim/airports.csv", AIRPORTS)
    for day in BURST_DAYS:
        lane.put(burst_key(day), sample_day("2024-01-01"))
    out["runs"] = {day: finish(lane, burst_key(day))[0] for day in BURST_DAYS}
    # The airports upload's rebuild waits for the same lock: it may break it first.
    out["airports_run"] = finish(lane, "dim/airports.csv")[0]
    build_ids = [r["notice"].get("dbt_build_id") for r in out["runs"].values()]
    out["builds"] = lane.client("codebuild").batch_get_builds(ids=[b for b in build_ids if b])[
        "builds"
    ]
    out["staged"] = {day: lane.warehouse.staged(day) for day in BURST_DAYS}
    out["facts"] = {day: lane.warehouse.facts(day) for day in BURST_DAYS}
    glue = lane.client("glue")
    database = lane.deployment.outputs("glue")["CatalogDatabaseName"]
    out["partitions"] = sorted(
        p["Values"][0]
        for p in glue.get_partitions(DatabaseName=database, TableName="raw_daily_flights")[
            "Partitions"
        ]
    )
    out["lock_after"] = ddb.get_item(
        TableName=table, Key={"pk": {"S": "lock#dbt"}}, ConsistentRead=True
    ).get("Item")
    return out


LANES: dict[str, Callable[[Lane], dict[str, Any]]] = {
    "day": lane_day,
    "days": lane_days,
    "dupes": lane_duplicates,
    "ops": lane_operations,
    "burst": lane_burst,
    "files": lane_files,
    "backfill": lane_backfill,
}


@pytest.fixture(scope="module")
def outcomes(pipeline_lanes) -> dict[str, dict[str, Any] | BaseException]:
    lanes = pipeline_lanes(list(LANES))

    def drive(name: str) -> dict[str, Any] | BaseException:
        try:
            return LANES[name](lanes[name])
        except BaseException as error:  # recorded: the lane's tests report it
            return error

    with ThreadPoolExecutor(max_workers=len(LANES)) as pool:
        results = dict(zip(LANES, pool.map(drive, LANES), strict=True))
    return results


def lane(outcomes, name: str) -> dict[str, Any]:
    result = outcomes[name]
    if isinstance(result, BaseException):
        raise result
    return result


def states(execution: dict[str, Any]) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"]
        for e in execution["history"]
        if "stateEnteredEventDetails" in e
    ]


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
    assert "RunDbt" not in states(run)
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
    assert path.index("RunGlueJob") > max(i for i, s in enumerate(path) if s == "GetCrawler")
    assert out["crawl_staged"] == expected("2024-01-01")["valid_rows"]


def test_a_failing_dbt_test_fails_the_execution_with_a_notice(outcomes) -> None:
    out = lane(outcomes, "ops")
    run = out["dbt"]
    assert run["status"] == "FAILED"
    assert states(run)[-5:] == [
        "DbtFailed",
        "ReleaseDbtLockAfterFailure",
        "BuildFailureNotice",
        "NotifyFailure",
        "PipelineFailed",
    ]
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


def test_five_days_at_once_all_load_with_one_dbt_build_at_a_time(outcomes) -> None:
    out = lane(outcomes, "burst")
    rows = expected("2024-01-01")["valid_rows"]
    assert {d: r["status"] for d, r in out["runs"].items()} == dict.fromkeys(
        BURST_DAYS, "SUCCEEDED"
    ), {d: states(r) for d, r in out["runs"].items()}
    assert out["staged"] == out["facts"] == dict.fromkeys(BURST_DAYS, rows)
    spans = sorted((b["startTime"], b["endTime"]) for b in out["builds"])
    assert len(spans) == 5, out["builds"]
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
        assert price["total"] == pytest.approx(
            price["glue_job"] + price["crawler"] + price["dbt_build"]
        )


def test_a_lock_left_by_a_crashed_holder_is_broken(outcomes) -> None:
    out = lane(outcomes, "burst")
    runs = {**out["runs"], "dim/airports.csv": out["airports_run"]}
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


def test_a_backfill_loads_each_day_then_builds_once(outcomes) -> None:
    out = lane(outcomes, "backfill")
    report = out["report"]
    assert [(o.day, o.status) for o in report.days] == [
        *((day, "LOADED") for day in BACKFILL_DAYS[:5]),
        (BACKFILL_DAYS[5], "NO FILES"),
    ], out["table"]
    assert report.build.status == "BUILT", out["table"]
    assert report.ok
    for day, source in zip(BACKFILL_DAYS[:5], itertools.cycle(SAMPLE_DAYS), strict=False):
        rows = expected(source)["valid_rows"]
        assert out["staged"][day] == out["facts"][day] == rows, day
        assert next(o for o in report.days if o.day == day).rows_loaded == rows
    assert len(out["builds"]) == 1  # one dbt build for the five days
    assert len(out["day_runs"]) == 5
    # progress as it happens, and the table of outcomes at the end
    assert sum(line.startswith("started ") for line in out["progress"]) == 5
    assert any(line.startswith("[5/5] ") for line in out["progress"]), out["progress"]
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
    # A new column: the crawler runs, says why, and the job loads the day (extra column ignored).
    new = out["new_column"]
    assert new["status"] == "SUCCEEDED", states(new)
    assert new["notice"]["crawler"] == {
        "ran": True,
        "reason": "the file's header differs from the one the catalog table was crawled from",
    }
    assert "StartCrawler" in states(new)
    assert out["new_column_staged"] == expected("2024-01-02")["valid_rows"]


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
