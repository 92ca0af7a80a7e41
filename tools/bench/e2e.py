"""End-to-end latency of the pipeline in LocalStack: upload of one day -> success notice,
with the time spent in each state. Part of `make bench`.

    python -m tools.bench.e2e [--endpoint-url URL] [--rows 0]

Deploys a throwaway environment (its own database on the local PostgreSQL), uploads the
airports file and one day (`--rows 0`: the committed sample day; otherwise a generated day of
that many rows, tools/datagen), waits for the SNS success notice through SQS and prints
the latency and the seconds per state. Results land in var/bench/e2e.json. The environment
is deleted afterwards.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg

from tools.deploy.disposable import deploy_disposable, destroy, disposable_env
from tools.deploy.session import make_session
from tools.e2e import follow
from tools.local import localstack
from tools.local import postgres as localpg

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
OUT = REPO / "var" / "bench"
DAY = "2024-01-01"


def day_file(rows: int) -> Path:
    if not rows:
        return SAMPLE / "daily_flights" / f"date={DAY}" / "flights.csv"
    out = OUT / f"e2e-{rows}"
    path = out / "daily_flights" / f"date={DAY}" / "flights.csv"
    if not path.exists():
        subprocess.run(
            [sys.executable, "-m", "tools.datagen", "--out", str(out), "--rows", str(rows),
             "--days", "1", "--start-date", DAY, "--seed", "42"],
            check=True, cwd=REPO,
        )  # fmt: skip
    return path


def ended(sfn, execution_arn: str) -> dict | None:
    described = sfn.describe_execution(executionArn=execution_arn)
    return None if described["status"] == "RUNNING" else described


def _env_users(env: str) -> list[str]:
    """The users a deploy of `env` bootstraps, as Redshift stores them (lower case)."""
    from flightline_glue.warehouse.bootstrap import Principals

    principals = Principals.for_env("flightline", env)
    return [principals.loader.lower(), principals.dbt.lower()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.e2e", description=__doc__)
    parser.add_argument("--endpoint-url", default=localstack.endpoint_url())
    parser.add_argument("--rows", type=int, default=0, help="0: the committed sample day")
    args = parser.parse_args(argv)
    source = day_file(args.rows)

    pg = localpg.start()
    db = f"bench_e2e_{uuid.uuid4().hex[:8]}"
    admin = dataclasses.replace(pg, dbname="postgres")
    with psycopg.connect(admin.url, autocommit=True) as conn:
        conn.execute(f'create database "{db}"')
    # An empty database, as a fresh namespace: the deploy bootstraps it through the
    # (emulated) Data API and creates the env's own users.
    config = disposable_env("b", DatabaseName=db)
    client, _ = make_session(config.region or "us-east-1", args.endpoint_url)
    deployment = deploy_disposable(config, client, poll_seconds=0.5)
    outputs = {k: v for r in deployment.first for k, v in r.outputs.items()}
    s3, sfn, sns = client("s3"), client("stepfunctions"), client("sns")
    inbox = follow.NoticeInbox(
        client("sqs"), sns, outputs["NoticeTopicArn"], f"{config.env}-bench", sfn
    )
    try:
        bucket = outputs["LandingBucketName"]
        # The airports route first, to its end: the day's latency is measured alone.
        airports_index = follow.ExecutionIndex(sfn, outputs["AirportsStateMachineArn"])
        s3.upload_file(str(SAMPLE / "dim" / "airports.csv"), bucket, "dim/airports.csv")
        airports = follow.wait_until(
            lambda: airports_index.for_key("dim/airports.csv"), "airports", 60
        )[0]
        follow.wait_until(
            lambda: sfn.describe_execution(executionArn=airports["executionArn"])["status"]
            != "RUNNING",
            "the airports route",
            900,
        )
        key = f"daily_flights/date={DAY}/flights.csv"
        index = follow.ExecutionIndex(sfn, outputs["DayStateMachineArn"])
        started = time.monotonic()
        s3.upload_file(str(source), bucket, key)
        execution = follow.wait_until(lambda: index.for_key(key), "the execution", 60)[0]
        notice = inbox.wait_for(execution, seconds=3600)
        latency = time.monotonic() - started
        described = follow.wait_until(
            lambda: ended(sfn, execution["executionArn"]), "the execution to end", 60
        )  # the notice is sent a state before the execution ends
        per_state = follow.seconds_per_state(
            follow.state_runs(follow.history(sfn, execution["executionArn"]))
        )
    finally:
        inbox.close(sns)
        destroy(client, config.env, deployment.first)
        with psycopg.connect(admin.url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{db}" with (force)')
            for user in _env_users(config.env):  # cluster-wide: they outlive the database
                conn.execute(f'drop role if exists "{user}"')

    rows = args.rows or "sample (2000)"
    result = {
        "rows": rows,
        "status": described["status"],
        "upload_to_notice_s": round(latency, 1),
        "execution_s": round((described["stopDate"] - described["startDate"]).total_seconds(), 1),
        "seconds_per_state": {k: round(v, 1) for k, v in per_state.items() if v >= 0.05},
        "notice_subject": notice["Subject"],
    }
    print(f"\nEnd-to-end, one day of {rows} rows in LocalStack: {result['status']}")
    print(f"  upload -> success notice  {result['upload_to_notice_s']:7.1f} s")
    print(f"  execution                 {result['execution_s']:7.1f} s")
    for name, seconds in sorted(result["seconds_per_state"].items(), key=lambda kv: -kv[1]):
        print(f"    {name:<24}{seconds:7.1f} s")
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "e2e.json").open("a") as handle:
        handle.write(json.dumps(result) + "\n")
    return 0 if result["status"] == "SUCCEEDED" else 1


if __name__ == "__main__":
    sys.exit(main())
