"""`make backfill ENV=dev FROM=2024-01-01 TO=2024-01-31 [CONCURRENCY=3] [ENDPOINT=...]`:
arguments only; the work is tools.backfill.runner."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from tools.backfill.runner import (
    Machines,
    allowed_concurrency,
    backfill,
    days_between,
    max_days,
)
from tools.deploy.session import make_session

STACK = "{project}-{env}-{name}"


def _outputs(cfn: Any, stack: str) -> dict[str, str]:
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="backfill", description=__doc__)
    parser.add_argument("--env", required=True)
    parser.add_argument("--from", dest="first", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--to", dest="last", required=True, type=dt.date.fromisoformat)
    parser.add_argument(
        "--concurrency",
        type=int,
        help="days at once (default: the job's MaxConcurrentRuns less one for daily loads)",
    )
    parser.add_argument("--project", default="flightline")
    parser.add_argument("--endpoint-url")
    parser.add_argument("--region")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    days = days_between(args.first, args.last)
    limit = max_days(args.env)
    if len(days) > limit:
        print(
            f"error: {args.first}..{args.last} is {len(days)} days; a backfill covers at most "
            f"{limit} (BackfillMaxDays in {args.env}: its one dbt build refuses more). "
            "Split the range into backfills of at most that many days.",
            file=sys.stderr,
        )
        return 2
    client, _ = make_session(args.region, args.endpoint_url)
    cfn = client("cloudformation")
    names = {"project": args.project, "env": args.env}
    machines = Machines.from_outputs(_outputs(cfn, STACK.format(name="orchestration", **names)))
    bucket = _outputs(cfn, STACK.format(name="storage", **names))["LandingBucketName"]
    job = _outputs(cfn, STACK.format(name="glue", **names))["JobName"]
    allowed = allowed_concurrency(client("glue"), job)
    if args.concurrency is not None and args.concurrency > allowed:
        print(
            f"error: --concurrency {args.concurrency} exceeds what job {job} admits beside "
            f"daily loads ({allowed})",
            file=sys.stderr,
        )
        return 2
    concurrency = args.concurrency or allowed
    print(f"backfill of {len(days)} day(s) in {args.env}, {concurrency} at a time")
    report = backfill(client, machines, bucket, days, concurrency=concurrency)
    print(report.table())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
