"""Run the job outside Glue: `python -m flightline_glue.local --flight-date 2024-01-01 ...`.

Same `run_job` as on Glue; the session is a local one and the sources may be a folder or
S3 (LocalStack when AWS_ENDPOINT_URL is set).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import uuid

from .contract import InputContractError, parse_flight_date
from .failure import JobFailure
from .interpreter import quiet_dummy_thread_finalizer
from .job import JobConfig, failed_before_run, run_job
from .spark import local_session
from .storage import storage_for
from .warehouse import WarehouseConfig, loader_for


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m flightline_glue.local", description=__doc__)
    parser.add_argument(
        "--flight-date",
        action="append",
        required=True,
        dest="flight_dates",
        help="YYYY-MM-DD; repeat to run several days in one Spark session",
    )
    parser.add_argument(
        "--source-root", required=True, help="folder or s3://bucket holding daily_flights/ and dim/"
    )
    parser.add_argument(
        "--output-root", required=True, help="folder or s3://bucket for staged/, rejects/ and runs/"
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--warehouse-url", help="postgresql://user:password@host:port/db")
    target.add_argument("--warehouse-secret-id", help="Secrets Manager secret (see docs)")
    parser.add_argument("--run-id", help="default: a new local-<uuid> per day")
    parser.add_argument("--trigger-key", help="the object key that triggered the run")
    parser.add_argument(
        "--log-file",
        help="the job's log, full traces included (default: <output-root>/logs/job.log, "
        "or a temporary file when the output root is not a writable folder)",
    )
    return parser  # fmt: skip


def _log_to(path: str | None, output_root: str) -> str:
    """Send the job's log (full traces) to a file: the screen gets one line per failure."""
    candidates = [path] if path else []
    if not path and not output_root.startswith("s3://"):
        candidates.append(os.path.join(output_root, "logs", "job.log"))
    candidates.append(os.path.join(tempfile.gettempdir(), "flightline-job.log"))
    for candidate in candidates:
        try:
            os.makedirs(os.path.dirname(os.path.abspath(candidate)), exist_ok=True)
            handler = logging.FileHandler(candidate)
        except OSError:
            continue
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(logging.INFO)
        return os.path.abspath(candidate)
    raise SystemExit("error: no writable place for the job's log (try --log-file)")


def main(argv: list[str] | None = None) -> int:
    quiet_dummy_thread_finalizer()
    args = _parser().parse_args(argv)
    try:
        dates = [parse_flight_date(d) for d in args.flight_dates]
    except InputContractError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    log_file = _log_to(args.log_file, args.output_root)
    configs = [
        JobConfig(d, args.run_id or f"local-{uuid.uuid4().hex[:12]}", args.trigger_key)
        for d in dates
    ]
    output = None
    stage = "open storage"
    try:
        source = storage_for(args.source_root)
        output = storage_for(args.output_root)
        stage = "read warehouse settings"
        warehouse = (
            WarehouseConfig.from_url(args.warehouse_url)
            if args.warehouse_url
            else WarehouseConfig.from_secret(args.warehouse_secret_id)
        )
        loader = loader_for(warehouse, output)
        stage = "start Spark"
        spark = local_session()
    except Exception as error:
        for config in configs:
            failure = failed_before_run(config, output, stage, error)
            print(f"error: {config.flight_date}: {failure} (log: {log_file})", file=sys.stderr)
        return 1
    failed = False
    for config in configs:
        try:
            summary = run_job(spark, config, source, output, loader)
        except JobFailure as failure:
            print(f"error: {config.flight_date}: {failure} (log: {log_file})", file=sys.stderr)
            failed = True
            continue
        print(summary.to_json(indent=None), flush=True)  # one JSON line per day
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
