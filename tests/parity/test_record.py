"""The recorder of `make e2e-aws` (tools/parity/record.py) on a day's run. Real AWS cannot
run here: botocore's Stubber answers every call, with responses botocore validates against
the service models, and checks the recorder asked for the ids the run's history names."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from botocore.stub import Stubber

from tools.parity import calls, record, shapes
from tools.parity.redact import ACCOUNT, REDACTED

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
DAY_ARN = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:execution:flightline-sandbox-day:run-1"
LOAD_ARN = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:execution:flightline-sandbox-day-load:run-1-l"
JOB, RUN_ID = "flightline-sandbox-daily", "jr_0123456789abcdef"
CRAWLER = "flightline-sandbox-daily-flights"
BUILD_ID = "flightline-sandbox-dbt:8b1f9a5c-7d1e-4a8e-9f3a-0d6f5b2c1a11"
SECRET_VALUE = "s3cr3t-value"
STATEMENTS = {
    "query": "0b6e7a58-6c5f-4d0e-8a7b-1c2d3e4f5a61",
    "batch": "1b6e7a58-6c5f-4d0e-8a7b-1c2d3e4f5a62",
    "failed": "2b6e7a58-6c5f-4d0e-8a7b-1c2d3e4f5a63",
}
T0 = dt.datetime(2024, 1, 2, 6, 0, tzinfo=dt.UTC)
OUTPUTS = {
    "NamespaceName": "flightline-sandbox",
    "WorkgroupName": "flightline-sandbox",
    "DatabaseName": "flightline",
    "DailyFlightsCrawlerName": CRAWLER,
}


def _event(number: int, kind: str, field: str, **details) -> dict:
    """A history event; as in these sequential histories, each follows the one before."""
    return {
        "id": number, "previousEventId": number - 1, "timestamp": T0, "type": kind, field: details
    }  # fmt: skip


def _task(number: int, state: str, resource_type: str, resource: str, params: dict, result):
    """A task state's events: entered, scheduled, succeeded (output = result), exited."""
    return [
        _event(number, "TaskStateEntered", "stateEnteredEventDetails", name=state),
        _event(
            number + 1,
            "TaskScheduled",
            "taskScheduledEventDetails",
            resourceType=resource_type,
            resource=resource,
            region=REGION,
            parameters=json.dumps(params),
        ),
        _event(
            number + 2,
            "TaskSucceeded",
            "taskSucceededEventDetails",
            resourceType=resource_type,
            resource=resource,
            output=json.dumps(result),
        ),
        _event(number + 3, "TaskStateExited", "stateExitedEventDetails", name=state),
    ]


# The day's execution nests the load (startExecution.sync:2), which crawls, runs the job and
# builds the marts: the recorder must find those in the nested history.
DAY_EVENTS = [
    _event(1, "ExecutionStarted", "executionStartedEventDetails", input="{}"),
    *_task(
        2,
        "LoadDay",
        "states",
        "startExecution.sync:2",
        {"StateMachineArn": "arn"},
        {"ExecutionArn": LOAD_ARN},
    ),
    _event(6, "ExecutionSucceeded", "executionSucceededEventDetails", output="{}"),
]
LOAD_EVENTS = [
    _event(1, "ExecutionStarted", "executionStartedEventDetails", input="{}"),
    *_task(2, "GetCrawler", "aws-sdk:glue", "getCrawler", {"Name": CRAWLER}, {"Crawler": {}}),
    *_task(
        6,
        "RunGlueJob",
        "glue",
        "startJobRun.sync",
        {"JobName": JOB, "Arguments": {}},
        {"Id": RUN_ID, "JobName": JOB, "JobRunState": "SUCCEEDED"},
    ),
    *_task(
        10,
        "RunDbt",
        "codebuild",
        "startBuild.sync",
        {"ProjectName": "flightline-sandbox-dbt"},
        {"Build": {"Id": BUILD_ID}},
    ),
    _event(14, "ExecutionSucceeded", "executionSucceededEventDetails", output="{}"),
]


def _described(statement: str, status: str, **more) -> dict:
    return {
        "Id": statement,
        "Status": status,
        "CreatedAt": T0,
        "UpdatedAt": T0,
        "WorkgroupName": OUTPUTS["WorkgroupName"],
        "Database": OUTPUTS["DatabaseName"],
        "SecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:redshift!ns-admin",
        **more,
    }


class Stubbed:
    """One stubbed client per service, as the deploy tool's client factory hands them out."""

    def __init__(self) -> None:
        self.clients: dict[str, object] = {}
        self.stubbers: dict[str, Stubber] = {}

    def __call__(self, service: str):
        if service not in self.clients:
            client = boto3.client(
                service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
            )
            self.clients[service] = client
            self.stubbers[service] = Stubber(client)
            self.stubbers[service].activate()
        return self.clients[service]

    def add(self, service: str, method: str, response: dict, params: dict | None = None):
        self(service)
        self.stubbers[service].add_response(method, response, params)

    def assert_all_called(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@pytest.fixture
def aws() -> Stubbed:
    stubbed = Stubbed()
    day_history = {"events": DAY_EVENTS}
    stubbed.add("stepfunctions", "get_execution_history", day_history)
    stubbed.add("stepfunctions", "get_execution_history", {"events": LOAD_EVENTS})
    stubbed.add(
        "stepfunctions",
        "describe_execution",
        {
            "executionArn": DAY_ARN,
            "stateMachineArn": DAY_ARN.replace(":run-1", ""),
            "status": "SUCCEEDED",
            "startDate": T0,
            "stopDate": T0,
            "name": "run-1",
            "input": json.dumps({"detail": {"bucket": {"name": f"landing-{ACCOUNT_ID}"}}}),
        },
        {"executionArn": DAY_ARN},
    )
    stubbed.add(
        "stepfunctions",
        "get_execution_history",
        day_history,
        {"executionArn": DAY_ARN, "maxResults": 100},
    )
    stubbed.add(
        "glue",
        "get_job_run",
        {
            "JobRun": {
                "Id": RUN_ID,
                "JobName": JOB,
                "JobRunState": "SUCCEEDED",
                "StartedOn": T0,
                "CompletedOn": T0,
                "ExecutionTime": 61,
                "ExecutionClass": "STANDARD",
                "Arguments": {"--run_id": "run-1", "--flight_date": "2024-01-01"},
            }
        },
        {"JobName": JOB, "RunId": RUN_ID},
    )
    stubbed.add(
        "glue",
        "get_crawler",
        {
            "Crawler": {
                "Name": CRAWLER,
                "State": "READY",
                "Role": f"arn:aws:iam::{ACCOUNT_ID}:role/flightline-sandbox-crawler",
                "LastCrawl": {"Status": "SUCCEEDED", "StartTime": T0},
            }
        },
        {"Name": CRAWLER},
    )
    stubbed.add(
        "codebuild",
        "batch_get_builds",
        {
            "builds": [
                {
                    "id": BUILD_ID,
                    "buildStatus": "SUCCEEDED",
                    "startTime": T0,
                    "arn": f"arn:aws:codebuild:{REGION}:{ACCOUNT_ID}:build/{BUILD_ID}",
                    "environment": {
                        "type": "LINUX_CONTAINER",
                        "image": "aws/codebuild/standard:7.0",
                        "computeType": "BUILD_GENERAL1_SMALL",
                        "environmentVariables": [
                            {"name": "API_KEY", "value": SECRET_VALUE, "type": "PLAINTEXT"}
                        ],
                    },
                }
            ],
        },
        {"ids": [BUILD_ID]},
    )
    admin_secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:redshift!ns-admin"
    stubbed.add(
        "redshift-serverless",
        "get_namespace",
        {
            "namespace": {
                "namespaceName": OUTPUTS["NamespaceName"],
                "adminPasswordSecretArn": admin_secret,
            }
        },
        {"namespaceName": OUTPUTS["NamespaceName"]},
    )
    data = "redshift-data"
    started = {"CreatedAt": T0, "WorkgroupName": OUTPUTS["WorkgroupName"]}
    stubbed.add(data, "execute_statement", {"Id": STATEMENTS["query"], **started})
    stubbed.add(data, "batch_execute_statement", {"Id": STATEMENTS["batch"], **started})
    stubbed.add(data, "execute_statement", {"Id": STATEMENTS["failed"], **started})
    failed = _described(
        STATEMENTS["failed"],
        "FAILED",
        Error='ERROR: relation "staging.flightline_parity_no_such_table" does not exist',
    )
    finished_query = _described(STATEMENTS["query"], "FINISHED", HasResultSet=True, ResultRows=1)
    finished_batch = _described(STATEMENTS["batch"], "FINISHED", HasResultSet=True)
    for ended in (finished_query, finished_batch, failed):  # the waits
        stubbed.add(data, "describe_statement", ended, {"Id": ended["Id"]})
    stubbed.add(data, "describe_statement", finished_query, {"Id": STATEMENTS["query"]})
    stubbed.add(
        data,
        "get_statement_result",
        {
            "Records": [
                [
                    {"stringValue": "run-1"},
                    {"longValue": 480},
                    {"doubleValue": 12.5},
                    {"booleanValue": True},
                    {"isNull": True},
                ]
            ],
            "TotalNumRows": 1,
        },
        {"Id": STATEMENTS["query"]},
    )
    stubbed.add(data, "describe_statement", finished_batch, {"Id": STATEMENTS["batch"]})
    sub = f"{STATEMENTS['batch']}:1"
    stubbed.add(data, "describe_statement", _described(sub, "FINISHED"), {"Id": sub})
    stubbed.add(data, "describe_statement", failed, {"Id": STATEMENTS["failed"]})
    return stubbed


def test_a_run_is_recorded_one_file_per_call(aws, tmp_path):
    execution = {"executionArn": DAY_ARN, "name": "run-1"}

    written = record.record_run(aws, OUTPUTS, execution, tmp_path, out=lambda _: None)

    aws.assert_all_called()  # the ids of the nested history were asked for, nothing else
    expected = {f"{s}.{o}.{label}.json" for s, o, label in record.RECORDED}
    assert {p.name for p in written} == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(expected)
    for path in written:
        recorded = calls.read(path)
        assert shapes.problems(recorded.service, recorded.operation, recorded.response) == []
    job_run = calls.read(tmp_path / "glue.GetJobRun.day.json")
    assert job_run.request == {"JobName": JOB, "RunId": RUN_ID}
    assert job_run.response["JobRun"]["JobRunState"] == "SUCCEEDED"
    assert job_run.response["JobRun"]["StartedOn"] == T0.timestamp()  # wire: epoch seconds


def test_the_recording_is_redacted_keeping_keys_and_types(aws, tmp_path):
    record.record_run(aws, OUTPUTS, {"executionArn": DAY_ARN, "name": "run-1"}, tmp_path, print)

    text = "".join(p.read_text() for p in tmp_path.iterdir())
    assert ACCOUNT_ID not in text
    assert SECRET_VALUE not in text
    crawler = calls.read(tmp_path / "glue.GetCrawler.day.json").response["Crawler"]
    assert crawler["Role"] == f"arn:aws:iam::{ACCOUNT}:role/flightline-sandbox-crawler"
    build = calls.read(tmp_path / "codebuild.BatchGetBuilds.day.json").response["builds"][0]
    assert build["environment"]["environmentVariables"] == [
        {"name": "API_KEY", "value": REDACTED, "type": "PLAINTEXT"}
    ]
    rows = calls.read(tmp_path / "redshift-data.GetStatementResult.query.json").response
    assert rows["Records"] == [
        [
            {"stringValue": REDACTED},
            {"longValue": 0},
            {"doubleValue": 0.0},
            {"booleanValue": True},
            {"isNull": True},
        ]
    ]
    described = calls.read(tmp_path / "stepfunctions.DescribeExecution.day.json").response
    assert described["input"] == REDACTED
    assert described["status"] == "SUCCEEDED"
    failed = calls.read(tmp_path / "redshift-data.DescribeStatement.failed.json").response
    assert failed["Error"].startswith('ERROR: relation "staging.')
    assert failed["SecretArn"].startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:")


def test_a_namespace_without_an_admin_secret_cannot_be_recorded(tmp_path):
    stubbed = Stubbed()
    stubbed.add("redshift-serverless", "get_namespace", {"namespace": {"namespaceName": "ns-1"}})
    with pytest.raises(record.RecordError, match="no managed admin secret"):
        record.statement_calls(stubbed, OUTPUTS, "run-1")
