"""The notices the state machines publish are ones SNS accepts: run for real in LocalStack,
whose SNS refuses a subject of 100 characters or more as AWS does ("Publish", SNS API
Reference; localstack/flightline_localstack/services/sns/publish_limits.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import unique, wait_for
from tools.backfill.runner import days_between

from .asl_fragment import fragment, reachable, run


@pytest.fixture
def inbox(localstack_client):
    """A topic with an SQS queue subscribed (raw delivery off: the envelope has the Subject)."""
    sns, sqs = localstack_client("sns"), localstack_client("sqs")
    topic = sns.create_topic(Name=unique("notices"))["TopicArn"]
    queue = sqs.create_queue(QueueName=unique("notices"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])

    def subjects() -> list[str]:
        messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
        return [json.loads(m["Body"]).get("Subject") for m in messages]

    yield topic, subjects
    sqs.delete_queue(QueueUrl=queue)
    sns.delete_topic(TopicArn=topic)


def _built(flight_dates: str, flightline: dict[str, Any]) -> dict[str, Any]:
    """The execution's data as a successful build leaves it (PrepareBackfillBuild's shape)."""
    return {
        "flightline": flightline,
        "event": {"bucket": "", "key": "backfill", "run_id": "r-1", "started_at": "t0"},
        "date": {"flight_date": flight_dates, "trigger_key": "backfill"},
        "job": {
            "job_run_id": "none",
            "execution_seconds": 0,
            "execution_class": "",
            "worker_type": "",
            "workers": 0,
        },
        "run": {"summary": {"kind": "backfill dbt build", "flight_dates": flight_dates}},
        "crawl": {"ran": False, "reason": "backfill dbt build: no crawl"},
        "dbt": {
            "build_id": "b-1",
            "status": "SUCCEEDED",
            "phase_seconds": [1],
            "exported_variables": [{"Name": "DBT_WAREHOUSE_SECONDS", "Value": "0.5"}],
        },
    }


def _day_loaded(flight_date: str) -> dict[str, Any]:
    """The day load's data at its notice: the crawl's and the build's outcomes are the
    branches of its CatalogAndBuild state."""
    built = _built(flight_date, {})
    return {**built, "branches": [{"crawl": built.pop("crawl")}, {"dbt": built.pop("dbt")}]}


def _notify(localstack_client, asl, topic, payload) -> dict[str, Any]:
    names = reachable(asl, "BuildSuccessNotice")
    definition = fragment(asl, names, {"TopicArn": topic})
    return run(localstack_client("stepfunctions"), definition, payload)


def test_a_backfill_of_a_month_has_a_subject_sns_accepts(
    localstack_client, machines, inbox
) -> None:
    topic, subjects = inbox
    days = days_between(
        *map(__import__("datetime").date.fromisoformat, ["2024-01-01", "2024-01-31"])
    )
    dates = ",".join(days)
    assert len(f"Flightline: {dates} loaded") >= 100  # what the subject once listed
    backfill = machines["backfill_build"]
    ended = _notify(localstack_client, backfill, topic, _built(dates, {"dbt_dates": dates}))
    assert ended["status"] == "SUCCEEDED", ended
    (subject,) = wait_for(subjects, "the notice")
    assert subject == "Flightline: backfill 2024-01-01..2024-01-31 (31 days) loaded"


def test_an_eight_day_backfill_passes_and_a_day_keeps_its_subject(
    localstack_client, machines, inbox
) -> None:
    topic, subjects = inbox
    dates = ",".join(f"2024-02-0{n}" for n in range(1, 9))
    backfill, day_load = machines["backfill_build"], machines["day_load"]
    ended = _notify(localstack_client, backfill, topic, _built(dates, {"dbt_dates": dates}))
    assert ended["status"] == "SUCCEEDED", ended
    ended = _notify(localstack_client, day_load, topic, _day_loaded("2024-02-09"))
    assert ended["status"] == "SUCCEEDED", ended
    received = wait_for(subjects, "the notices", until=lambda s: len(s) >= 1)
    received += wait_for(subjects, "the second notice") if len(received) < 2 else []
    assert sorted(received) == [
        "Flightline: 2024-02-09 loaded",
        "Flightline: backfill 2024-02-01..2024-02-08 (8 days) loaded",
    ]
