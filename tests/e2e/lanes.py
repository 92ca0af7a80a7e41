"""The lanes of the pull-request end-to-end suite (test_pipeline_scenarios.py): what each lane
uploads, in which order, and what it records for the tests to assert on. Each lane runs on its
own deployment and database (`pipeline_lanes` in tests/fixtures/pipeline.py).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.fixtures.dbt import corrected_file
from tests.fixtures.pipeline import RUN_SECONDS, SAMPLE, Lane, arns, finish, sample_day
from tests.helpers import entered
from tools.backfill.runner import Machines, backfill
from tools.e2e.follow import history, state_outputs, task_errors, wait_until
from tools.e2e.run_day import run_day
from tools.parity.compare import compare_dirs

# The LocalStack Glue emulator holds a crawler so tagged in STOPPING that many seconds
# (localstack/flightline_localstack/services/glue/crawler_runner.py).
STOPPING_SECONDS_TAG = "flightline:emulator-stopping-seconds"
HOLD_SECONDS = 420  # the longest the ops lane holds the crawler; released once it has waited

AIRPORTS_KEY = "dim/airports.csv"
AIRPORTS = (SAMPLE / AIRPORTS_KEY).read_bytes()
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


# ---- lanes ----------------------------------------------------------------------------------


def lane_day(lane: Lane) -> dict[str, Any]:
    """One day loads; then a corrected file replaces it; then a file missing a column fails."""
    out: dict[str, Any] = {}
    day, key = "2024-01-01", "daily_flights/date=2024-01-01/flights.csv"
    lane.seed({"dim/airports.csv": AIRPORTS})  # its own route: the backfill lane
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
    lane.seed({"dim/airports.csv": AIRPORTS})  # its own route: the backfill lane
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
            stateMachineArn=lane.deployment.state_machine("MissedDay"),
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
    lane.seed({"dim/airports.csv": AIRPORTS})  # its own route: the backfill lane
    lane.put(key, sample_day("2024-01-01"))
    lane.put(key, sample_day("2024-01-01"))
    sfn = lane.client("stepfunctions")
    first = wait_until(lambda: lane.executions.for_key(key), "the first execution", 60)[0]
    event = sfn.describe_execution(executionArn=first["executionArn"])["input"]
    sfn.start_execution(stateMachineArn=lane.deployment.state_machine("Day"), input=event)
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
    """A crawler already running when the execution comes to crawl; then a failing dbt test."""
    out: dict[str, Any] = {}
    glue = lane.client("glue")
    crawler = lane.deployment.outputs("glue").get("DailyFlightsCrawlerName") or next(
        c for c in glue.list_crawlers()["CrawlerNames"] if lane.deployment.env in c
    )
    lane.seed({"dim/airports.csv": AIRPORTS})  # its own route: the backfill lane
    day, key = "2024-01-01", "daily_flights/date=2024-01-01/flights.csv"
    lane.put(key, sample_day(day))
    sfn = lane.client("stepfunctions")

    def events() -> list[dict[str, Any]]:
        found = lane.executions.for_key(key)
        return history(sfn, found[0]["executionArn"]) if found else []

    def at_the_job() -> bool:
        return any(e.get("stateEnteredEventDetails", {}).get("name") == "RunGlueJob"
                   for e in events())  # fmt: skip

    # The crawl is decided after the job (on the headers it read): hold the crawler busy from
    # the job's start until the execution has found it so. The emulator keeps a crawler
    # STOPPING while it is tagged (at most the tag's seconds); untagging releases it. A fixed
    # hold ran out before the job did when every lane ran at once (CI, load 13 and more).
    wait_until(at_the_job, "the execution to reach the Glue job", 180, 0.3)
    account = lane.client("sts").get_caller_identity()["Account"]
    arn = f"arn:aws:glue:{glue.meta.region_name}:{account}:crawler/{crawler}"
    glue.tag_resource(ResourceArn=arn, TagsToAdd={STOPPING_SECONDS_TAG: str(HOLD_SECONDS)})
    try:
        glue.start_crawler(Name=crawler)

        def waited() -> bool:
            """StartCrawler was refused and a later poll saw the crawler still busy."""
            seen = events()
            polled = [o["crawler"]["state"] for o in state_outputs(seen, "GetCrawler")]
            return "Glue.CrawlerRunningException" in task_errors(seen) and any(
                state != "READY" for state in polled
            )

        out["refused_seen"] = bool(
            wait_until(waited, "the execution to find the crawler running", HOLD_SECONDS, 0.3)
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
    sfn.start_execution(stateMachineArn=lane.deployment.state_machine("Day"), input=event)
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
    lane.seed({"dim/airports.csv": AIRPORTS})  # its own route: the backfill lane
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
    sfn.start_execution(stateMachineArn=lane.deployment.state_machine("Day"), input=event)
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
    lane.put(new_key, with_column(sample_day("2024-01-02"), "CancellationCode", "B"))
    (out["new_column"],) = finish(lane, new_key)
    out["new_column_staged"] = lane.warehouse.staged("2024-04-02")
    # The column the contract does not know is kept per row, not dropped.
    out["new_column_kept"] = lane.warehouse.rows(
        "select count(*) from staging.flights where flight_date = %s "
        "and extra_columns ->> 'CancellationCode' = 'B'",
        "2024-04-02",
    )[0][0]
    return out


# Three days with files (more than the backfill's concurrency of two), then one without.
BACKFILL_DAYS = [f"2024-05-0{n}" for n in range(1, 5)]
PARITY_EXAMPLE = Path(__file__).parents[1] / "fixtures" / "parity_example"
SMOKE_DAY = "2024-01-02"  # the day the sandbox e2e command follows in the backfill lane


def lane_backfill(lane: Lane) -> dict[str, Any]:
    """The sandbox e2e command's path on a fresh deployment (`make e2e-aws` is run_day with AWS
    as the endpoint): the airports file through its own route, then one sample day, followed
    state by state. Then days that landed while the trigger was off, loaded by a backfill two
    at a time with one dbt build at the end."""
    out: dict[str, Any] = {"e2e_lines": []}
    with tempfile.TemporaryDirectory(prefix="flightline-parity-") as recorded:
        out["e2e_exit"] = run_day(
            lane.client, lane.deployment.config, SMOKE_DAY, out=out["e2e_lines"].append,
            record_dir=Path(recorded),
        )  # fmt: skip
        # What `make e2e-aws` records on AWS, recorded here and checked as `make parity` does.
        out["parity"] = compare_dirs(Path(recorded), PARITY_EXAMPLE)
    (out["airports"],) = finish(lane, AIRPORTS_KEY)
    (out["smoke"],) = finish(lane, f"daily_flights/date={SMOKE_DAY}/flights.csv")
    out["smoke_staged"] = lane.warehouse.staged(SMOKE_DAY)
    out["smoke_facts"] = lane.warehouse.facts(SMOKE_DAY)
    out["owners"] = lane.warehouse.owners(lane.deployment.env)
    project = lane.deployment.outputs("orchestration")["DbtProjectName"]
    codebuild = lane.client("codebuild")
    earlier_builds = set(codebuild.list_builds_for_project(projectName=project)["ids"])

    # Files that landed before the pipeline listened.
    days = zip(BACKFILL_DAYS[:-1], itertools.cycle(SAMPLE_DAYS), strict=False)
    lane.seed({f"daily_flights/date={day}/flights.csv": sample_day(src) for day, src in days})
    lines: list[str] = []
    report = backfill(
        lane.client,
        Machines.from_outputs(lane.deployment.outputs("orchestration")),
        lane.bucket,
        BACKFILL_DAYS,
        concurrency=2,
        poll_seconds=1,
        progress=lines.append,
    )
    return out | {
        "report": report,
        "progress": lines,
        "table": report.table(),
        "staged": {d: lane.warehouse.staged(d) for d in BACKFILL_DAYS},
        "facts": {d: lane.warehouse.facts(d) for d in BACKFILL_DAYS},
        "builds": [
            b
            for b in codebuild.list_builds_for_project(projectName=project)["ids"]
            if b not in earlier_builds
        ],
        "day_runs": [e for e in lane.executions.all() if e["name"].startswith("backfill-2024")],
    }


# Three days at once: more builds than the project's limit of one, so they must queue.
BURST_DAYS = [f"2024-03-0{n}" for n in range(1, 4)]


def burst_key(day: str) -> str:
    return f"daily_flights/date={day}/flights.csv"


def lane_burst(lane: Lane) -> dict[str, Any]:
    """Three days uploaded at once, while the dbt lock is held by an execution that no longer
    runs (a crashed holder): every day loads, the dbt builds run one at a time."""
    out: dict[str, Any] = {}
    ddb = lane.client("dynamodb")
    table = lane.deployment.outputs("orchestration")["LockTableName"]
    # The lock's holder is a marts-build execution (the machine that takes and frees it).
    machine = lane.deployment.state_machine("MartsBuild")
    crashed = machine.replace(":stateMachine:", ":execution:") + ":crashed-holder"
    ddb.put_item(TableName=table, Item={"pk": {"S": "lock#dbt"}, "holder": {"S": crashed}})
    lane.seed({"dim/airports.csv": AIRPORTS})  # its own route: the backfill lane
    for day in BURST_DAYS:
        lane.put(burst_key(day), sample_day("2024-01-01"))
    out["runs"] = {day: finish(lane, burst_key(day))[0] for day in BURST_DAYS}
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


def states(execution: dict[str, Any]) -> list[str]:
    return entered(execution["history"])
