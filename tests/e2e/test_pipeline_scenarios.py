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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.fixtures.dbt import corrected_file
from tests.fixtures.pipeline import SAMPLE, Lane, sample_day
from tools.e2e_follow import history, state_outputs, task_errors, wait_until

# The LocalStack Glue emulator holds a crawler so tagged in STOPPING that many seconds
# (localstack/flightline_localstack/glue_crawler.py).
STOPPING_SECONDS_TAG = "flightline:emulator-stopping-seconds"

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUN_SECONDS = 600  # upper bound for one lane's executions; never asserted as a duration
AIRPORTS = (SAMPLE / "dim" / "airports.csv").read_bytes()
NOT_PIPELINE_KEYS = [
    "incoming/date=2024-01-02/flights.csv",
    "daily_flights/date=2024-01-02/flights.txt",
    "daily_flights/date=2024-01-02/flights.csv.bak",
    "dim/carriers.csv",
]
INVALID_DATE_KEY = "daily_flights/date=2024-13-45/flights.csv"


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
    build_ids = [r["notice"]["dbt_build_id"] for r in out["runs"] if "dbt_build_id" in r["notice"]]
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
    glue.tag_resource(ResourceArn=arn, TagsToAdd={STOPPING_SECONDS_TAG: "20"})
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
    return out


LANES: dict[str, Callable[[Lane], dict[str, Any]]] = {
    "day": lane_day,
    "days": lane_days,
    "dupes": lane_duplicates,
    "ops": lane_operations,
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
    # The project's ConcurrentBuildLimit 1: the three dbt builds ran one after the other.
    spans = sorted(
        (p["startTime"], p["endTime"])
        for b in out["dbt_builds"]
        for p in b["phases"]
        if p["phaseType"] == "BUILD"
    )
    assert len(spans) == 3, out["dbt_builds"]
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
    assert states(run)[-4:] == [
        "DbtFailed",
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
