"""Run the days of a date range through the pipeline: at most `concurrency` executions of the
day machine at a time, each loading its day without a dbt build (`"flightline": {"backfill":
true}` in the input: no quiet period, dbt deferred), then one dbt build for every day loaded
(an execution of the backfill-build machine with `"flightline": {"dbt_dates": "d1,d2,..."}`,
under the same dbt lock as daily loads).

A day whose files are the ones already loaded ends UNCHANGED (no work), as a replayed event
does; a day without files is reported and not started. Only boto3: AWS or LocalStack.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from tools.deploy import cfn_yaml, config

DAILY_PREFIX = "daily_flights/date={}/"
DATA_SUFFIXES = (".csv", ".csv.gz")
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


@dataclasses.dataclass(frozen=True)
class Machines:
    """The two state machines a backfill starts (orchestration stack outputs)."""

    day: str  # DayStateMachineArn: one execution per day
    backfill_build: str  # BackfillBuildStateMachineArn: the one dbt build at the end

    @classmethod
    def from_outputs(cls, outputs: dict[str, str]) -> Machines:
        return cls(outputs["DayStateMachineArn"], outputs["BackfillBuildStateMachineArn"])


@dataclasses.dataclass
class Outcome:
    """What happened to one day (or to the final dbt build, day = "dbt build")."""

    day: str
    # LOADED, UNCHANGED, SUPERSEDED, NO FILES, FAILED, TIMED_OUT, ABORTED, BUILT, SKIPPED
    status: str
    files: int = 0
    rows_loaded: int | None = None
    seconds: float | None = None
    execution: str | None = None
    detail: str = ""


@dataclasses.dataclass
class Report:
    days: list[Outcome]
    build: Outcome

    @property
    def ok(self) -> bool:
        good = {"LOADED", "UNCHANGED", "SUPERSEDED", "NO FILES"}
        return all(o.status in good for o in self.days) and self.build.status in (
            "BUILT",
            "SKIPPED",
        )

    def table(self) -> str:
        rows = [("day", "outcome", "files", "rows loaded", "seconds", "detail")]
        for o in [*self.days, self.build]:
            rows.append(
                (
                    o.day,
                    o.status,
                    str(o.files) if o.files else "",
                    "" if o.rows_loaded is None else f"{o.rows_loaded:,}",
                    "" if o.seconds is None else f"{o.seconds:.0f}",
                    o.detail,
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(line.rstrip() for line in lines)


def days_between(first: dt.date, last: dt.date) -> list[str]:
    if last < first:
        raise ValueError(f"TO ({last}) is before FROM ({first})")
    return [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def max_days(env: str) -> int:
    """BackfillMaxDays as `env` deploys it: its parameter file's value, else the orchestration
    template's default. The backfill-build machine fails a build of more days."""
    template = cfn_yaml.load(config.TEMPLATE_DIR / "orchestration.yaml")
    try:
        values = config.stack_parameter_values(config.load_env(env), template)
    except config.ConfigError:  # an env without a file (a disposable one): the default
        values = {}
    return int(values.get("BackfillMaxDays", template["Parameters"]["BackfillMaxDays"]["Default"]))


def day_files(s3: Any, bucket: str, day: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=DAILY_PREFIX.format(day)
    ):
        keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(DATA_SUFFIXES)]
    return sorted(keys)


def day_input(bucket: str, key: str) -> dict[str, Any]:
    """The S3 'Object Created' event EventBridge would deliver for `key`, marked as a backfill."""
    return {
        "version": "0",
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": bucket}, "object": {"key": key}},
        "flightline": {"backfill": True},
    }


def _execution_name(kind: str) -> str:
    return f"backfill-{kind}-{uuid.uuid4().hex[:12]}"


def _final_output(sfn: Any, arn: str) -> tuple[str, dict[str, Any], float]:
    described = sfn.describe_execution(executionArn=arn)
    output = json.loads(described.get("output") or "{}")
    seconds = (described["stopDate"] - described["startDate"]).total_seconds()
    return described["status"], output, seconds


def _day_outcome(day: str, files: int, arn: str, status: str, output: dict, seconds: float):
    notice = output.get("notice") or {}
    if status != "SUCCEEDED" or notice.get("status") == "FAILED":
        error = notice.get("error") or {}
        detail = f"{notice.get('step', '')}: {error.get('Error', '')}".strip(": ")
        return Outcome(
            day, "FAILED" if status == "SUCCEEDED" else status, files, None, seconds, arn, detail
        )
    if notice.get("status") == "UNCHANGED":
        return Outcome(day, "UNCHANGED", files, None, seconds, arn, "already loaded")
    if notice.get("status") != "SUCCEEDED":
        # Ended without a notice (Superseded): a later event of the day loads it and builds
        # it itself; this backfill did not load it, so its final build must not claim it.
        return Outcome(
            day, "SUPERSEDED", files, None, seconds, arn, "a later event of the day loads it"
        )
    summary = notice.get("summary") or {}
    return Outcome(
        day,
        "LOADED",
        files,
        summary.get("rows_loaded"),
        seconds,
        arn,
        f"{summary.get('rows_rejected', 0)} rejected",
    )


# Job runs the backfill leaves free for the daily loads that may start meanwhile.
DAILY_HEADROOM = 1


def allowed_concurrency(glue: Any, job_name: str, headroom: int = DAILY_HEADROOM) -> int:
    """Days at once the deployed job admits: its MaxConcurrentRuns less the daily headroom
    (at least 1). More would fail with ConcurrentRunsExceededException ("Job", Glue API)."""
    job = glue.get_job(JobName=job_name)["Job"]
    limit = job.get("ExecutionProperty", {}).get("MaxConcurrentRuns", 1)
    return max(1, limit - headroom)


def backfill(
    client: Callable[[str], Any],
    machines: Machines,
    bucket: str,
    days: list[str],
    *,
    concurrency: int = 3,
    poll_seconds: float = 5.0,
    progress: Callable[[str], None] = print,
) -> Report:
    """Load `days` with at most `concurrency` executions at once, then one dbt build."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    s3, sfn = client("s3"), client("stepfunctions")
    outcomes: dict[str, Outcome] = {}
    waiting: list[tuple[str, str]] = []  # (day, first key)
    files_of: dict[str, int] = {}
    for day in days:
        keys = day_files(s3, bucket, day)
        files_of[day] = len(keys)
        if keys:
            waiting.append((day, keys[0]))
        else:
            outcomes[day] = Outcome(
                day, "NO FILES", detail="nothing under " + DAILY_PREFIX.format(day)
            )
    running: dict[str, str] = {}  # execution arn -> day
    total = len(waiting)
    while waiting or running:
        while waiting and len(running) < concurrency:
            day, key = waiting.pop(0)
            arn = sfn.start_execution(
                stateMachineArn=machines.day,
                name=_execution_name(day),
                input=json.dumps(day_input(bucket, key)),
            )["executionArn"]
            running[arn] = day
            progress(f"started {day} ({files_of[day]} file(s))")
        time.sleep(poll_seconds)
        for arn, day in list(running.items()):
            status = sfn.describe_execution(executionArn=arn)["status"]
            if status in TERMINAL:
                del running[arn]
                outcome = _day_outcome(day, files_of[day], arn, *_final_output(sfn, arn))
                outcomes[day] = outcome
                done = total - len(waiting) - len(running)
                progress(f"[{done}/{total}] {day}: {outcome.status} {outcome.detail}".rstrip())
    loaded = [d for d in days if outcomes[d].status == "LOADED"]
    build = _final_build(sfn, machines.backfill_build, loaded, poll_seconds, progress)
    return Report([outcomes[d] for d in days], build)


def _final_build(sfn, state_machine_arn: str, loaded: list[str], poll_seconds: float, progress):
    if not loaded:
        return Outcome("dbt build", "SKIPPED", detail="no day loaded")
    progress(f"dbt build for {len(loaded)} day(s)")
    arn = sfn.start_execution(
        stateMachineArn=state_machine_arn,
        name=_execution_name("dbt"),
        input=json.dumps({"flightline": {"dbt_dates": ",".join(loaded)}}),
    )["executionArn"]
    while sfn.describe_execution(executionArn=arn)["status"] not in TERMINAL:
        time.sleep(poll_seconds)
    status, output, seconds = _final_output(sfn, arn)
    notice = output.get("notice") or {}
    if status == "SUCCEEDED" and notice.get("status") == "SUCCEEDED":
        return Outcome(
            "dbt build",
            "BUILT",
            len(loaded),
            None,
            seconds,
            arn,
            f"build {notice.get('dbt_build_id', '')}",
        )
    error = notice.get("error") or {}
    return Outcome(
        "dbt build",
        "FAILED",
        len(loaded),
        None,
        seconds,
        arn,
        f"{notice.get('step', status)}: {error.get('Error', '')}",
    )
