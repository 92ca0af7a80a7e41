"""Run the job outside Glue: `python -m flightline_glue.local --flight-date 2024-01-01 ...`.

Same `run_job` as on Glue; the session is a local one and the sources may be a folder or
S3 (LocalStack when AWS_ENDPOINT_URL is set).
"""

from __future__ import annotations

import argparse
import logging
import sys
import uuid

from .contract import InputContractError, parse_flight_date
from .job import JobConfig, run_job
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
    return parser  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        dates = [parse_flight_date(d) for d in args.flight_dates]
    except InputContractError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    warehouse = (
        WarehouseConfig.from_url(args.warehouse_url)
        if args.warehouse_url
        else WarehouseConfig.from_secret(args.warehouse_secret_id)
    )
    source = storage_for(args.source_root)
    output = storage_for(args.output_root)
    loader = loader_for(warehouse, output)
    spark = local_session()
    failed = False
    for flight_date in dates:
        run_id = args.run_id or f"local-{uuid.uuid4().hex[:12]}"
        try:
            summary = run_job(
                spark, JobConfig(flight_date, run_id, args.trigger_key), source, output, loader
            )
        except InputContractError as error:
            print(f"error: {flight_date}: {error}", file=sys.stderr)
            failed = True
            continue
        print(summary.to_json(indent=None), flush=True)  # one JSON line per day
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
