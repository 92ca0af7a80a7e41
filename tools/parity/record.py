"""Record, after a day's run, the responses of the calls the local plugin emulates.

`make e2e-aws ENV=sandbox` follows one day through a deployed environment; afterwards this
module asks the same services about that run and writes each answer, redacted, to a
recording directory (tools/parity/calls.py), by default `var/parity/<env>-<UTC time>/`:

- Glue GetJobRun of every job run the day's execution started (`glue:startJobRun.sync`);
- Glue GetCrawler of every crawler it started or polled (the day's crawler from the glue
  stack's outputs when the day only registered its partition);
- CodeBuild BatchGetBuilds of the builds it ran (`codebuild:startBuild.sync`, the marts build);
- Redshift Data API: the job's own statements belong to the job's role, and the Data API
  shows a caller only its own ("ListStatements", Redshift Data API reference), so the
  recorder runs three read-only statements about the run as the namespace's admin (its
  managed secret, as the deploy's bootstrap does): a query of the run's `load_runs` row
  (DescribeStatement, GetStatementResult), a batch (DescribeStatement of the batch and of
  its first sub-statement) and a query of a table that does not exist (a FAILED statement);
- Step Functions DescribeExecution and the first page of GetExecutionHistory of the day.

Every call is read-only. Against LocalStack (`--endpoint-url`) the same calls make a
recording of the emulators' answers with the same file names.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from flightline_glue.warehouse.load_runs import LOAD_RUNS_TABLE
from flightline_glue.warehouse.sql import literal

from tools.e2e import follow
from tools.parity import calls, shapes
from tools.parity.calls import Call

REPO = Path(__file__).resolve().parents[2]
RECORDINGS = REPO / "var" / "parity"
STACKS = ("storage", "orchestration", "glue", "warehouse")  # whose outputs the recorder reads
STATEMENT_ENDED = {"FINISHED", "FAILED", "ABORTED"}
MISSING_TABLE = "staging.flightline_parity_no_such_table"
# The files of a day that ran one job, one crawler (or none) and one build.
RECORDED = (
    ("stepfunctions", "DescribeExecution", "day"),
    ("stepfunctions", "GetExecutionHistory", "day"),
    ("glue", "GetJobRun", "day"),
    ("glue", "GetCrawler", "day"),
    ("codebuild", "BatchGetBuilds", "day"),
    ("redshift-data", "DescribeStatement", "query"),
    ("redshift-data", "GetStatementResult", "query"),
    ("redshift-data", "DescribeStatement", "batch"),
    ("redshift-data", "DescribeStatement", "batch-sub"),
    ("redshift-data", "DescribeStatement", "failed"),
)


class RecordError(RuntimeError):
    """The run cannot be recorded (e.g. the namespace has no admin secret)."""


def default_directory(env: str, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return RECORDINGS / f"{env}-{stamp}"


def latest(env: str) -> Path:
    """The newest recording of an environment under var/parity/."""
    found = sorted(RECORDINGS.glob(f"{env}-*T*Z"))
    if not found:
        raise RecordError(
            f"no recording of env {env} in {RECORDINGS} (make e2e-aws ENV={env} makes one)"
        )
    return found[-1]


def write_example(directory: Path) -> list[Path]:
    """The synthetic example of a recording (tests/fixtures/parity_example/): the files a day
    records, each body with every member botocore's model names, values of the model's types.
    Made from the model, never from AWS: a real recording replaces it (docs/sandbox-runbook.md)."""
    return [
        calls.write(
            directory, Call(service, operation, label, {}, shapes.example(service, operation))
        )
        for service, operation, label in RECORDED
    ]


# ---- what the execution's history names -----------------------------------------------------


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _tasks(events: Iterable[dict[str, Any]]) -> Iterator[tuple[str, dict, dict]]:
    """(resourceType:resource, the task's parameters, one result) for every result event of a
    task (submitted, succeeded, failed), and once with an empty result when it is scheduled."""
    scheduled: dict[str, Any] = {}
    for event in events:
        if "taskScheduledEventDetails" in event:
            details = event["taskScheduledEventDetails"]
            scheduled = _json(details.get("parameters"))
            yield f"{details['resourceType']}:{details['resource']}", scheduled, {}
        for field in follow.CHILD_EVENT_FIELDS:
            details = event.get(field)
            if details:
                result = _json(details.get("output") or details.get("cause"))
                yield f"{details['resourceType']}:{details['resource']}", scheduled, result


def job_runs(events: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    """(job name, run id) of every `glue:startJobRun(.sync)` task, in order."""
    found: list[tuple[str, str]] = []
    for resource, params, result in _tasks(events):
        if not resource.startswith("glue:startJobRun"):
            continue
        run_id = result.get("Id") or result.get("JobRunId")
        job = result.get("JobName") or params.get("JobName")
        if run_id and job and (job, run_id) not in found:
            found.append((job, run_id))
    return found


def crawlers(events: Iterable[dict[str, Any]]) -> list[str]:
    """Names of the crawlers the execution started or polled (`aws-sdk:glue:*Crawler`)."""
    found: list[str] = []
    for resource, params, _ in _tasks(events):
        if resource in ("aws-sdk:glue:startCrawler", "aws-sdk:glue:getCrawler"):
            name = params.get("Name")
            if name and name not in found:
                found.append(name)
    return found


def builds(events: Iterable[dict[str, Any]]) -> list[str]:
    """Ids of the CodeBuild builds the execution ran (`codebuild:startBuild(.sync)`)."""
    found: list[str] = []
    for resource, _, result in _tasks(events):
        if not resource.startswith("codebuild:startBuild"):
            continue
        build = result.get("Build") or result.get("build") or {}
        build_id = build.get("Id") or build.get("id")
        if build_id and build_id not in found:
            found.append(build_id)
    return found


# ---- the calls ------------------------------------------------------------------------------


def _labels(label: str, count: int) -> list[str]:
    return [label if i == 0 else f"{label}-{i + 1}" for i in range(count)]


def pipeline_calls(
    client: Callable[[str], Any], outputs: dict[str, str], execution_arn: str
) -> list[Call]:
    """The Glue, CodeBuild and Step Functions calls about one execution (nested included)."""
    sfn, glue = client("stepfunctions"), client("glue")
    events = follow.history(sfn, execution_arn)
    made = [
        calls.call(sfn, "DescribeExecution", "day", executionArn=execution_arn),
        calls.call(sfn, "GetExecutionHistory", "day", executionArn=execution_arn, maxResults=100),
    ]
    runs = job_runs(events)
    for (job, run_id), label in zip(runs, _labels("day", len(runs)), strict=True):
        made.append(calls.call(glue, "GetJobRun", label, JobName=job, RunId=run_id))
    names = crawlers(events) or [outputs["DailyFlightsCrawlerName"]]
    for name, label in zip(names, _labels("day", len(names)), strict=True):
        made.append(calls.call(glue, "GetCrawler", label, Name=name))
    build_ids = builds(events)
    if build_ids:
        made.append(calls.call(client("codebuild"), "BatchGetBuilds", "day", ids=build_ids))
    return made


def _ended(data_api: Any, statement_id: str, timeout: float) -> None:
    """Wait until the statement has ended, whatever its end."""
    deadline, pause = time.monotonic() + timeout, 0.1
    while data_api.describe_statement(Id=statement_id)["Status"] not in STATEMENT_ENDED:
        if time.monotonic() > deadline:
            raise RecordError(f"statement {statement_id} still running after {timeout:.0f}s")
        time.sleep(pause)
        pause = min(pause * 2, 2.0)


def statement_calls(
    client: Callable[[str], Any], outputs: dict[str, str], run_id: str, timeout: float = 300
) -> list[Call]:
    """Three read-only statements about the run, as the namespace's admin, and their answers."""
    namespace = client("redshift-serverless").get_namespace(namespaceName=outputs["NamespaceName"])[
        "namespace"
    ]
    secret = namespace.get("adminPasswordSecretArn")
    if not secret:
        raise RecordError(f"namespace {outputs['NamespaceName']} has no managed admin secret")
    target = {
        "WorkgroupName": outputs["WorkgroupName"],
        "Database": outputs["DatabaseName"],
        "SecretArn": secret,
    }
    data_api = client("redshift-data")
    run = literal(run_id)
    query = data_api.execute_statement(
        **target,
        Sql=f"select run_id, flight_date, status, rows_loaded, duration_seconds "
        f"from {LOAD_RUNS_TABLE} where run_id = {run}",
    )["Id"]
    batch = data_api.batch_execute_statement(
        **target,
        Sqls=[
            f"select count(*) from {LOAD_RUNS_TABLE} where run_id = {run}",
            f"select status from {LOAD_RUNS_TABLE} where run_id = {run}",
        ],
    )["Id"]
    failed = data_api.execute_statement(**target, Sql=f"select * from {MISSING_TABLE}")["Id"]
    for statement_id in (query, batch, failed):
        _ended(data_api, statement_id, timeout)
    return [
        calls.call(data_api, "DescribeStatement", "query", Id=query),
        calls.call(data_api, "GetStatementResult", "query", Id=query),
        calls.call(data_api, "DescribeStatement", "batch", Id=batch),
        calls.call(data_api, "DescribeStatement", "batch-sub", Id=f"{batch}:1"),
        calls.call(data_api, "DescribeStatement", "failed", Id=failed),
    ]


def record_run(
    client: Callable[[str], Any],
    outputs: dict[str, str],
    execution: dict[str, Any],
    directory: Path,
    out: Callable[[str], None] = print,
) -> list[Path]:
    """Record the calls about one ended execution (its DescribeExecution) into `directory`,
    redacted; returns the files written."""
    made = pipeline_calls(client, outputs, execution["executionArn"])
    made += statement_calls(client, outputs, execution["name"])
    written = [calls.write(directory, call.redacted()) for call in made]
    out(f"parity: recorded {len(written)} responses in {directory}")
    return written
