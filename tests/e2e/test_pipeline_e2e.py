"""The whole pipeline in LocalStack: upload a day of the committed sample to the deployed
landing bucket and let EventBridge, Step Functions, the crawler, the real Glue job (Spark),
the run summary, dbt through CodeBuild and SNS do the rest.

Needs the project's LocalStack with its Glue/CodeBuild plugin (localstack/) and the local
PostgreSQL: the environment's warehouse secret points at a fresh database of its own
(`deployed_pipeline` and `pipeline_database` in tests/fixtures/pipeline.py). The scenarios
beyond this one run in tests/e2e/.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flightline_glue.warehouse.bootstrap import Principals

from tests.helpers import WAIT_SECONDS, entered, executions, history, wait_for
from tools.deploy.disposable import Deployment
from tools.e2e.run_day import run_day
from tools.local import postgres as localpg

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
DATE = "2024-01-01"


def test_a_daily_upload_is_loaded_transformed_and_announced_by_unprivileged_roles(
    deployed_pipeline: Deployment, pipeline_database: localpg.ConnInfo
) -> None:
    pipeline = deployed_pipeline
    s3, sfn, sqs, sns = (pipeline.client(s) for s in ("s3", "stepfunctions", "sqs", "sns"))
    queue = sqs.create_queue(QueueName=f"e2e-notices-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    topic = pipeline.outputs("orchestration")["NoticeTopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    s3.upload_file(str(SAMPLE / "dim" / "airports.csv"), pipeline.landing, "dim/airports.csv")
    # The airports route loads the file and builds the dimension (a Glue job and a dbt build).
    (airports,) = wait_for(
        lambda: [e for e in executions(sfn, pipeline.state_machine) if e["status"] != "RUNNING"],
        "the airports execution",
        seconds=WAIT_SECONDS * 5,
    )
    assert airports["status"] == "SUCCEEDED"
    key = f"daily_flights/date={DATE}/flights.csv"
    before = {e["executionArn"] for e in executions(sfn, pipeline.state_machine)}
    s3.upload_file(str(SAMPLE / key), pipeline.landing, key)

    def finished() -> list[dict[str, Any]]:
        return [
            e
            for e in executions(sfn, pipeline.state_machine)
            if e["executionArn"] not in before and e["status"] != "RUNNING"
        ]

    # A Spark job and a dbt build run in between: a wider bound than for the trigger alone.
    (execution,) = wait_for(finished, "the daily execution", seconds=WAIT_SECONDS * 5)
    path = entered(history(sfn, execution["executionArn"]))
    assert execution["status"] == "SUCCEEDED", path
    assert path[-3:] == ["BuildSuccessNotice", "NotifySuccess", "Succeeded"]

    expected = json.loads((SAMPLE / "_expected" / f"date={DATE}" / "counts.json").read_text())
    messages: list[dict[str, Any]] = []

    def success_notice() -> dict[str, Any] | None:
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages.extend(json.loads(m["Body"]) for m in received.get("Messages", []))
        return next((m for m in messages if m["Subject"] == f"Flightline: {DATE} loaded"), None)

    notice = json.loads(wait_for(success_notice, "the success notice")["Message"])
    assert notice["status"] == "SUCCEEDED"
    assert notice["flight_date"] == DATE
    assert notice["trigger_key"] == key
    assert notice["summary"]["rows_loaded"] == expected["valid_rows"]
    assert notice["summary"]["rows_rejected"] == expected["rejected_total"]
    assert notice["glue_job_run_id"]
    assert notice["dbt_build_id"]

    with psycopg.connect(pipeline_database.url) as conn:
        loaded = conn.execute(
            "select count(*) from staging.flights where flight_date = %s", (DATE,)
        ).fetchone()
        assert loaded == (expected["valid_rows"],)
        # dbt ran for the date: the fact mart holds the day's flights.
        (schema,) = conn.execute(
            "select table_schema from information_schema.tables where table_name = 'fct_flights'"
        ).fetchone()
        facts = conn.execute(
            f'select count(*) from "{schema}".fct_flights where flight_date = %s', (DATE,)
        ).fetchone()
        assert facts == (expected["valid_rows"],)
        # The job (through the Data API, as its IAM role) and dbt ran as their own
        # unprivileged IAMR: users, which the deploy's bootstrap made, as on Redshift: staging
        # belongs to the loader, the marts dbt built to dbt, and neither is a superuser.
        principals = Principals.for_env("flightline", pipeline.env)
        loader, dbt = principals.loader.lower(), principals.dbt.lower()
        owners = dict(
            conn.execute(
                "select c.relname, c.relowner::regrole::text from pg_class c "
                "join pg_namespace n on n.oid = c.relnamespace "
                "where (n.nspname, c.relname) in (('staging', 'flights'), (%s, 'fct_flights'))",
                (schema,),
            ).fetchall()
        )
        assert owners == {"flights": f'"{loader}"', "fct_flights": f'"{dbt}"'}
        supers = conn.execute(
            "select rolsuper from pg_roles where rolname in (%s, %s)", (loader, dbt)
        ).fetchall()
        assert supers == [(False,), (False,)]
    sqs.delete_queue(QueueUrl=queue)


def test_the_sandbox_e2e_command_follows_a_day_through_the_deployed_env(
    deployed_pipeline: Deployment, pipeline_database: localpg.ConnInfo
) -> None:
    # `make e2e-aws ENV=sandbox` is this function with AWS as the endpoint: same stack
    # outputs, same upload, same follower (tools/e2e/follow.py).
    lines: list[str] = []
    day = "2024-01-02"
    assert run_day(deployed_pipeline.client, deployed_pipeline.config, day, out=lines.append) == 0
    assert (
        f"uploaded s3://{deployed_pipeline.landing}/daily_flights/date={day}/flights.csv" in lines
    )
    assert any(line.strip().startswith(f"{day}  => SUCCEEDED") for line in lines), lines
    with psycopg.connect(pipeline_database.url) as conn:
        (count,) = conn.execute(
            "select count(*) from staging.flights where flight_date = %s", (day,)
        ).fetchone()
    assert count > 0
