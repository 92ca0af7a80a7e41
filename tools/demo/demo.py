"""`make demo-localstack`: the whole event-driven pipeline on this machine.

    python -m tools.demo [--endpoint-url URL] [--sample data/sample]
                         [--force] [--no-concurrent]

Deploys the `local` stacks to the running LocalStack with the deploy tool (a no-op when
nothing changed), uploads the airports file and the sample days to the landing bucket
(objects already there with the same content are skipped, so a second demo loads nothing
twice), follows every execution this started state by state (every day at once unless
--no-concurrent), then prints the run summaries, the notices, a table from the on-time mart and
where the docs site is.
The make target starts PostgreSQL and LocalStack first (`pg-up`, `localstack-up`); the
deploy bootstraps the warehouse through the (emulated) Redshift Data API.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tools.dashboard.build import demo_step as dashboard_demo_step
from tools.demo import summaries
from tools.demo.marts import MART, mart_table
from tools.deploy.config import load_env
from tools.deploy.environment import deploy_env
from tools.deploy.session import make_session
from tools.e2e.follow import (
    ExecutionIndex,
    NoticeInbox,
    WaitTimeout,
    follow,
    latest_summary,
    run_summary,
    upload_if_changed,
    wait_until,
)
from tools.local import localstack
from tools.local import postgres as localpg

REPO = Path(__file__).resolve().parents[2]
DOCS_SITE = REPO / "build" / "dbt-docs" / "index.html"


def say(message: str = "") -> None:
    print(message, flush=True)


def step(title: str) -> float:
    say(f"\n== {title}")
    return time.monotonic()


def sample_files(sample: Path) -> tuple[tuple[str, Path], list[tuple[str, Path]]]:
    airports = ("dim/airports.csv", sample / "dim" / "airports.csv")
    days = [
        (path.relative_to(sample).as_posix(), path)
        for path in sorted((sample / "daily_flights").glob("date=*/*.csv*"))
    ]
    return airports, days


def upload(s3: Any, bucket: str, files: list[tuple[str, Path]], force: bool) -> list[str]:
    """Upload the files concurrently; returns the keys actually sent."""

    def send(item: tuple[str, Path]) -> str | None:
        key, path = item
        if force:
            s3.delete_object(Bucket=bucket, Key=key)
        return key if upload_if_changed(s3, bucket, key, path) else None

    with ThreadPoolExecutor(max_workers=max(1, len(files))) as pool:
        sent = [key for key in pool.map(send, files) if key]
    for key, _ in files:
        say(f"  {key}: {'uploaded' if key in sent else 'unchanged, skipped'}")
    return sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.demo", description=__doc__)
    parser.add_argument("--endpoint-url", default=localstack.endpoint_url())
    parser.add_argument("--env", default="local", help="cloudformation/parameters/<env>.json")
    parser.add_argument("--sample", type=Path, default=REPO / "data" / "sample")
    parser.add_argument("--force", action="store_true", help="upload even unchanged files")
    parser.add_argument(
        "--concurrent",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="upload every day at once (default); --no-concurrent: one day at a time",
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds to follow runs")
    args = parser.parse_args(argv)
    began = time.monotonic()

    started = step(f"Deploying the '{args.env}' stacks to {args.endpoint_url}")
    config = load_env(args.env)
    client, _ = make_session(config.region or "us-east-1", args.endpoint_url)
    results = deploy_env(config, client, poll_seconds=0.5, log=lambda m: say(f"  {m}"))
    outputs = {k: v for r in results for k, v in r.outputs.items()}
    bucket = outputs["LandingBucketName"]
    # The machines an upload starts (the rules route): a daily file's and the airports file's.
    machines = (outputs["DayStateMachineArn"], outputs["AirportsStateMachineArn"])
    say(f"  deployed in {time.monotonic() - started:.1f}s; landing bucket {bucket}")

    s3, sfn, sns = client("s3"), client("stepfunctions"), client("sns")
    inbox = NoticeInbox(
        client("sqs"), sns, outputs["NoticeTopicArn"], f"flightline-{args.env}-demo-notices", sfn
    )
    try:
        return run(args, s3, sfn, sns, inbox, bucket, machines, began)
    finally:
        inbox.close(sns)


def run(args, s3, sfn, sns, inbox, bucket: str, machines: tuple[str, ...], began: float) -> int:
    index = ExecutionIndex(sfn, *machines)
    before = {e["executionArn"] for e in index.all()}
    airports, days = sample_files(args.sample)

    # Every day at once by default: overlapping executions are safe, the dbt CodeBuild project
    # runs one build at a time (ConcurrentBuildLimit 1, the others wait QUEUED);
    # --no-concurrent uploads and follows one day at a time.
    batches = [[airports]] + ([days] if args.concurrent else [[d] for d in days])
    ended: dict[str, dict[str, Any]] = {}
    sent_total = 0
    started = step(f"Uploading {args.sample.relative_to(REPO)} to s3://{bucket} and following")
    say("  (each state with its seconds and the time since the execution started)")
    for batch in batches:
        sent = upload(s3, bucket, batch, args.force)
        sent_total += len(sent)
        if not sent:
            continue

        def started_for_all(sent: list[str] = sent) -> dict[str, str] | None:
            found = {}
            for key in sent:
                matches = index.for_key(key, exclude=before)
                if not matches:
                    return None
                found[key] = matches[-1]["executionArn"]
            return found

        try:
            arns = wait_until(started_for_all, "an execution for every upload", 60, poll=0.5)
        except WaitTimeout as error:
            say(f"  {error}: is the EventBridge rule deployed? see `make localstack-logs`")
            return 1
        labels = {key.split("/")[1] if "/" in key else key: arn for key, arn in arns.items()}
        for label, arn in labels.items():
            say(f"  {label}: execution {arn.rsplit(':', 1)[-1]}")
        ended |= follow(sfn, labels, out=say, timeout=args.timeout)
    if sent_total:
        say(f"  {sent_total} of {1 + len(days)} files loaded in {time.monotonic() - started:.1f}s")
    else:
        say("\n== Nothing new to load: every sample file is already in the landing bucket")
        say("   (`make demo-localstack DEMO_ARGS=--force` uploads them again)")

    step("Run summaries (the job's runs/date=.../summary.json)")
    shown = []
    for key, _ in days:
        day = key.split("/")[1].removeprefix("date=")
        execution = ended.get(f"date={day}")
        summary = None
        if execution is not None:
            summary = run_summary(s3, bucket, day, execution["name"])
        summary = summary or latest_summary(s3, bucket, day)
        if summary:
            shown.append(summary)
        else:
            say(f"  {day}: no run summary (the job did not finish for this day)")
    if shown:
        say(summaries.render(shown))

    if ended:
        step("Notices (SNS, read through an SQS subscription)")
        for execution in ended.values():
            try:
                message = inbox.wait_for(execution, seconds=30)
            except WaitTimeout as error:
                say(f"  {error}")
                continue
            notice = message["notice"]
            detail = ""
            if notice.get("status") == "FAILED":
                detail = f": {notice['error'].get('Error')} {notice['error'].get('Cause', '')}"
                detail = detail[:300]
            say(f"  {message['Subject']}{detail}")

    step(f"On-time performance, top carriers per day ({MART})")
    say(mart_table(localpg.conninfo()))

    step("Docs site")
    if DOCS_SITE.exists():
        say(f"  {DOCS_SITE.relative_to(REPO)} (open it in a browser; `make docs` refreshes it)")
    else:
        say(f"  `make docs` writes {DOCS_SITE.relative_to(REPO)} (one self-contained page)")

    step("Dashboard (dashboards/flightline.yaml)")
    dashboard_demo_step(say)

    failed = [label for label, e in ended.items() if e["status"] != "SUCCEEDED"]
    say(f"\nDemo finished in {time.monotonic() - began:.0f}s")
    if failed:
        say(f"failed: {', '.join(failed)} (see the notices above and `make localstack-logs`)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
