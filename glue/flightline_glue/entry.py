"""What the Glue job script does, minus Glue itself: arguments in, run_job, exit status out.

On AWS Glue the arguments come from awsglue's getResolvedOptions and Spark from GlueContext,
which reads and writes s3:// natively. Where awsglue does not exist (the LocalStack Glue
executor runs the very same script with local Spark) arguments are parsed the same way and
S3 objects are staged through boto3.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from .airports_job import run_airports
from .contract import (
    AIRPORTS_KEY,
    DEFAULT_MAX_REJECT_SHARE,
    InputContractError,
    parse_flight_date,
    parse_reject_share,
)
from .day_checks import Thresholds, parse_row_count_outside_band
from .failure import JobFailure, describe
from .interpreter import quiet_dummy_thread_finalizer
from .job import JobConfig, failed_before_run, run_job
from .storage import storage_for
from .warehouse import WarehouseConfig, loader_for

REQUIRED = ["JOB_NAME", "source_root", "output_root", "warehouse_secret_id"]
# --mode airports: an upload of dim/airports.csv (airports_job); otherwise a day's run,
# which needs --flight_date.
# --max_reject_share: the share of rejected rows above which a day fails (contract.py).
# --row_count_outside_band: warn | fail, a day whose row count is outside the band of its
# weekday's (day_checks.py). Both from the environment's parameters (cloudformation/glue.yaml).
OPTIONAL = ["flight_date", "mode", "run_id", "trigger_key", "max_reject_share",
            "row_count_outside_band", "JOB_RUN_ID"]  # fmt: skip


def parse_job_args(argv: list[str], required: list[str], optional: list[str]) -> dict[str, str]:
    """Glue-style `--name value` arguments (the last occurrence wins, as on Glue)."""
    values: dict[str, str] = {}
    tokens = iter(argv[1:])
    for token in tokens:
        if token.startswith("--"):
            name, _, inline = token[2:].partition("=")
            values[name] = inline if inline else next(tokens, "")
    missing = [name for name in required if name not in values]
    if missing:
        raise SystemExit(f"error: missing job argument(s): {', '.join('--' + m for m in missing)}")
    return {k: v for k, v in values.items() if k in required or k in optional}


def job_config(args: dict[str, str], run_id: str, trigger_key: str | None) -> JobConfig:
    """A day's run from its job arguments; an unusable value is an InputContractError."""
    share = args.get("max_reject_share")
    outside_band = args.get("row_count_outside_band")
    return JobConfig(
        parse_flight_date(args["flight_date"]), run_id, trigger_key,
        parse_reject_share(share) if share else DEFAULT_MAX_REJECT_SHARE,
        Thresholds(row_count_fails=parse_row_count_outside_band(outside_band))
        if outside_band else Thresholds(),
    )  # fmt: skip


def _glue_runtime(argv: list[str]):
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    present = [name for name in OPTIONAL if f"--{name}" in argv]
    args = getResolvedOptions(argv, REQUIRED + present)
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    return args, glue_context.spark_session, True, job.commit


def _local_runtime(argv: list[str]):
    from .spark import local_session

    args = parse_job_args(argv, REQUIRED, OPTIONAL)
    return args, local_session(args["JOB_NAME"]), False, lambda: None


def main(argv: list[str]) -> None:
    """Run one day. A failure ends with one line (stage, file, line, cause) as the job's
    error, its run summary written; the full trace goes to the log (stdout: Glue's output
    log), so stderr's last line is that message."""
    quiet_dummy_thread_finalizer()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                        stream=sys.stdout)  # fmt: skip
    try:
        import awsglue  # noqa: F401

        runtime: Callable = _glue_runtime
    except ImportError:
        runtime = _local_runtime
    args = parse_job_args(argv, REQUIRED, OPTIONAL)
    airports_only = args.get("mode") == "airports"
    run_id = args.get("run_id") or args.get("JOB_RUN_ID") or "unnamed-run"
    trigger_key = args.get("trigger_key") or None
    config = None
    if not airports_only:
        if not args.get("flight_date"):
            raise SystemExit("error: missing job argument(s): --flight_date")
        try:
            config = job_config(args, run_id, trigger_key)
        except InputContractError as error:
            stage = "read job arguments"
            raise JobFailure(describe(stage, error), stage) from None
    output = None
    stage = "start Spark"
    try:
        args, spark, spark_native_s3, commit = runtime(argv)
        stage = "open storage"
        source = storage_for(args["source_root"], spark_native_s3=spark_native_s3)
        output = storage_for(args["output_root"], spark_native_s3=spark_native_s3)
        stage = "read warehouse secret"
        loader = loader_for(WarehouseConfig.from_secret(args["warehouse_secret_id"]), output)
    except Exception as error:
        if config is None:
            logging.getLogger("flightline.entry").error("%s failed", stage, exc_info=error)
            raise JobFailure(describe(stage, error), stage) from None
        raise JobFailure(*_args(failed_before_run(config, output, stage, error))) from None
    if airports_only:
        try:
            summary = run_airports(spark, run_id, source, output, loader, trigger_key)
        except Exception as error:  # run_airports wrote the failed summary
            stage = "load airports"
            logging.getLogger("flightline.entry").error("%s failed", stage, exc_info=error)
            raise JobFailure(describe(stage, error, AIRPORTS_KEY), stage) from None
    else:
        try:
            summary = run_job(spark, config, source, output, loader)
        except JobFailure as failure:
            raise JobFailure(str(failure), failure.stage) from None  # the trace is in the log
    print(summary.to_json(), file=sys.stdout)
    commit()


def _args(failure: JobFailure) -> tuple[str, str]:
    return str(failure), failure.stage
