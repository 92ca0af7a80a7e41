"""`make e2e-aws ENV=sandbox`: one sample day through a deployed environment, followed.

    python -m tools.e2e.run_day --env sandbox [--region R] [--endpoint-url URL] [--day 2024-01-01]

Reads the environment's stack outputs (landing bucket, day and airports state machines),
uploads the airports file when the bucket lacks it (or holds another version) and waits for
that execution, then uploads one day of data/sample to the landing bucket, finds the execution
its event started and follows it state by state (nested runs in place) with the same follower
the local end-to-end tests and the demo use (tools/e2e/follow.py). Then, unless --no-record,
records the responses of the calls the local plugin emulates about that run (GetJobRun,
GetCrawler, BatchGetBuilds, DescribeStatement, ...) into --record-dir, by default
var/parity/<env>-<UTC time>/ (tools/parity/record.py; compare with `make parity`).
Exits 0 when the day's execution SUCCEEDED, its run summary is in the bucket and the
recording was written. Nothing here is AWS-specific: with --endpoint-url it runs against
LocalStack, which is how the tests prove it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from tools.deploy.config import ConfigError, EnvConfig
from tools.deploy.session import add_target_arguments, open_target
from tools.e2e.follow import (
    SHA_METADATA,
    ExecutionIndex,
    WaitTimeout,
    follow,
    run_summary,
    sha256,
    upload_if_changed,
    wait_until,
)
from tools.parity import record as parity_record

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
AIRPORTS_KEY = "dim/airports.csv"


def stack_outputs(
    cfn: Any, config: EnvConfig, stacks: tuple[str, ...] = ("storage", "orchestration")
) -> dict[str, str]:
    outputs: dict[str, str] = {}
    for stack in stacks:
        name = config.stack_name(stack)
        try:
            described = cfn.describe_stacks(StackName=name)["Stacks"][0]
        except cfn.exceptions.ClientError as error:
            raise ConfigError(f"{name}: {error} (make deploy ENV={config.env} first)") from error
        outputs |= {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    return outputs


def _started(index: ExecutionIndex, key: str, before: set[str]) -> str:
    def found() -> str | None:
        matches = index.for_key(key, exclude=before)
        return matches[-1]["executionArn"] if matches else None

    return wait_until(found, f"the execution started by {key}", seconds=120, poll=1.0)


def run_day(
    client: Callable[[str], Any],
    config: EnvConfig,
    day: str,
    sample: Path = SAMPLE,
    out: Callable[[str], None] = print,
    timeout: float = 3600,
    record_dir: Path | None = None,
) -> int:
    """Upload one sample day to the env's landing bucket and follow its execution; with
    `record_dir`, record the emulated calls' responses about the run there."""
    stacks = parity_record.STACKS if record_dir else ("storage", "orchestration")
    outputs = stack_outputs(client("cloudformation"), config, stacks)
    bucket = outputs["LandingBucketName"]
    s3, sfn = client("s3"), client("stepfunctions")
    # The rules route: a daily file starts the day machine, the airports file its own.
    index = ExecutionIndex(sfn, outputs["DayStateMachineArn"], outputs["AirportsStateMachineArn"])
    day_key = f"daily_flights/date={day}/flights.csv"
    day_path = sample / day_key
    if not day_path.is_file():
        raise ConfigError(f"no sample day {day_path}")

    before = {e["executionArn"] for e in index.all()}
    if upload_if_changed(s3, bucket, AIRPORTS_KEY, sample / AIRPORTS_KEY):
        out(f"uploaded s3://{bucket}/{AIRPORTS_KEY}")
        arn = _started(index, AIRPORTS_KEY, before)
        follow(sfn, {"airports": arn}, out=out, timeout=timeout)

    before = {e["executionArn"] for e in index.all()}
    # Always a new object version: every upload is an S3 event, so a rerun runs again.
    data = day_path.read_bytes()
    s3.put_object(Bucket=bucket, Key=day_key, Body=data, Metadata={SHA_METADATA: sha256(data)})
    out(f"uploaded s3://{bucket}/{day_key}")
    arn = _started(index, day_key, before)
    out(f"execution {arn}")
    ended = follow(sfn, {day: arn}, out=out, timeout=timeout)[day]
    if record_dir is not None:  # a failed run's answers are worth recording too
        parity_record.record_run(client, outputs, ended, record_dir, out=out)
    if ended["status"] != "SUCCEEDED":
        out(f"{day}: {ended['status']} (see the execution's history and the failure notice)")
        return 1
    summary = run_summary(s3, bucket, day, ended["name"])
    if summary is None:
        out(f"{day}: SUCCEEDED but no runs/date={day}/run_id={ended['name']}/summary.json")
        return 1
    out(f"{day}: run summary {summary}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.e2e.run_day", description=__doc__)
    add_target_arguments(parser)
    parser.add_argument("--day", default="2024-01-01", help="a day of data/sample")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to follow")
    parser.add_argument(
        "--record-dir", type=Path, help="where to record (default var/parity/<env>-<UTC time>)"
    )
    parser.add_argument("--no-record", action="store_true", help="record nothing")
    args = parser.parse_args(argv)
    try:
        target = open_target(args)
        print(f"e2e: env {target.config.env} at {target.where}", flush=True)
        return run_day(
            target.client,
            target.config,
            args.day,
            out=lambda m: print(m, flush=True),
            timeout=args.timeout,
            record_dir=None
            if args.no_record
            else args.record_dir or parity_record.default_directory(args.env),
        )
    except (ConfigError, WaitTimeout, parity_record.RecordError) as error:
        print(f"e2e failed: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"e2e failed: AWS call failed: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
