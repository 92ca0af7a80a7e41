"""End-to-end latency of the pipeline in LocalStack: upload of one day -> success notice,
with the time spent in each state. Part of `make bench`.

    python -m tools.bench_e2e [--endpoint-url http://127.0.0.1:4566] [--rows 0]

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
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg

from tools import localpg
from tools.deploy.cli import deploy_env, make_session
from tools.deploy.config import load_env
from tools.e2e_follow import (
    ExecutionIndex,
    NoticeInbox,
    history,
    seconds_per_state,
    state_runs,
    wait_until,
)

REPO = Path(__file__).resolve().parent.parent
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_e2e", description=__doc__)
    port = os.environ.get("FLIGHTLINE_LOCALSTACK_PORT", "4566")
    parser.add_argument("--endpoint-url", default=f"http://127.0.0.1:{port}")
    parser.add_argument("--rows", type=int, default=0, help="0: the committed sample day")
    args = parser.parse_args(argv)
    source = day_file(args.rows)

    pg = localpg.start()
    db = f"bench_e2e_{uuid.uuid4().hex[:8]}"
    admin = dataclasses.replace(pg, dbname="postgres")
    with psycopg.connect(admin.url, autocommit=True) as conn:
        conn.execute(f'create database "{db}"')
    # The bootstrap, as a deploy gives Redshift; the env file's local logins reach it.
    localpg.set_up(dataclasses.replace(pg, dbname=db))
    base = load_env("local")
    env = f"b{uuid.uuid4().hex[:6]}"  # EnvName allows 7 characters
    overrides = {"EnvName": env, "DatabaseName": db}
    config = dataclasses.replace(base, env=env, parameters={**base.parameters, **overrides})
    client, _ = make_session(config.region or "us-east-1", args.endpoint_url)
    results = deploy_env(config, client, poll_seconds=0.5, log=lambda m: None)
    outputs = {k: v for r in results for k, v in r.outputs.items()}
    s3, sfn, sns = client("s3"), client("stepfunctions"), client("sns")
    inbox = NoticeInbox(client("sqs"), sns, outputs["NoticeTopicArn"], f"{env}-bench")
    try:
        bucket = outputs["LandingBucketName"]
        s3.upload_file(str(SAMPLE / "dim" / "airports.csv"), bucket, "dim/airports.csv")
        key = f"daily_flights/date={DAY}/flights.csv"
        index = ExecutionIndex(sfn, outputs["StateMachineArn"])
        started = time.monotonic()
        s3.upload_file(str(source), bucket, key)
        execution = wait_until(lambda: index.for_key(key), "the execution", 60)[0]
        notice = inbox.wait_for(execution, seconds=3600)
        latency = time.monotonic() - started
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        per_state = seconds_per_state(state_runs(history(sfn, execution["executionArn"])))
    finally:
        inbox.close(sns)
        from tests.infra.helpers import teardown  # the same clean-up as the e2e tests

        teardown(client, env, results)
        with psycopg.connect(admin.url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{db}" with (force)')

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
