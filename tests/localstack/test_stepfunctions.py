"""Step Functions in LocalStack drives the real Glue and CodeBuild: crawler poll, .sync tasks."""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.helpers import unique, wait_for

ROLE = "arn:aws:iam::000000000000:role/states"
JOB_OK = textwrap.dedent(
    """
    import sys
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    print("loading", args["--flight_date"])
    """
)
JOB_FAIL = "raise RuntimeError('warehouse unreachable')\n"
BUILD_OK = (
    'version: 0.2\nphases:\n  build:\n    commands:\n      - echo "dbt build for $FLIGHT_DATE"\n'
)
BUILD_FAIL = (
    "version: 0.2\nphases:\n  build:\n    commands:\n      - echo 'dbt test failed' && exit 1\n"
)


def _definition(crawler: str, job: str, project: str) -> str:
    return json.dumps(
        {
            "StartAt": "StartCrawler",
            "States": {
                "StartCrawler": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:glue:startCrawler",
                    "Parameters": {"Name": crawler},
                    "ResultPath": None,
                    "Next": "GetCrawler",
                },
                "GetCrawler": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:glue:getCrawler",
                    "Parameters": {"Name": crawler},
                    "ResultSelector": {"State.$": "$.Crawler.State"},
                    "ResultPath": "$.crawler",
                    "Next": "CrawlerReady",
                },
                "CrawlerReady": {
                    "Type": "Choice",
                    "Choices": [
                        {"Variable": "$.crawler.State", "StringEquals": "READY", "Next": "RunJob"}
                    ],
                    "Default": "WaitCrawler",
                },
                "WaitCrawler": {"Type": "Wait", "Seconds": 1, "Next": "GetCrawler"},
                "RunJob": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::glue:startJobRun.sync",
                    "Parameters": {
                        "JobName": job,
                        "Arguments": {"--flight_date.$": "$.flight_date"},
                    },
                    "ResultSelector": {"State.$": "$.JobRunState", "Id.$": "$.Id"},
                    "ResultPath": "$.job",
                    "Next": "RunDbt",
                },
                "RunDbt": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::codebuild:startBuild.sync",
                    "Parameters": {
                        "ProjectName": project,
                        "EnvironmentVariablesOverride": [
                            {"Name": "FLIGHT_DATE", "Type": "PLAINTEXT", "Value.$": "$.flight_date"}
                        ],
                    },
                    "ResultSelector": {
                        "Status.$": "$.Build.BuildStatus",
                        "Id.$": "$.Build.Id",
                    },
                    "ResultPath": "$.build",
                    "End": True,
                },
            },
        }
    )


@pytest.fixture
def pipeline(localstack_client, localstack_bucket):
    """Crawler, job and project in LocalStack; returns a function making a state machine."""
    glue = localstack_client("glue")
    s3 = localstack_client("s3")
    codebuild = localstack_client("codebuild")
    sfn = localstack_client("stepfunctions")
    database = unique("sfn_db").replace("-", "_")
    glue.create_database(DatabaseInput={"Name": database})
    s3.put_object(
        Bucket=localstack_bucket,
        Key="daily_flights/date=2024-01-01/flights.csv",
        Body=b"Carrier,OriginAirportID\nDL,1\n",
    )
    crawler = unique("sfn-crawler")
    glue.create_crawler(
        Name=crawler,
        Role=ROLE,
        DatabaseName=database,
        Targets={"S3Targets": [{"Path": f"s3://{localstack_bucket}/daily_flights/"}]},
    )

    def make(job_script: str, buildspec: str) -> str:
        job, project = unique("sfn-job"), unique("sfn-project")
        s3.put_object(Bucket=localstack_bucket, Key=f"{job}.py", Body=job_script.encode())
        glue.create_job(
            Name=job,
            Role=ROLE,
            Command={"Name": "glueetl", "ScriptLocation": f"s3://{localstack_bucket}/{job}.py"},
        )
        codebuild.create_project(
            name=project,
            source={"type": "NO_SOURCE", "buildspec": buildspec},
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
            },
            serviceRole=ROLE,
        )
        return sfn.create_state_machine(
            name=unique("sfn-test"), definition=_definition(crawler, job, project), roleArn=ROLE
        )["stateMachineArn"]

    yield make
    glue.delete_crawler(Name=crawler)


def _run(sfn, arn: str) -> dict:
    execution = sfn.start_execution(
        stateMachineArn=arn, input=json.dumps({"flight_date": "2024-01-01"})
    )
    return wait_for(
        lambda: sfn.describe_execution(executionArn=execution["executionArn"]),
        "the execution to end",
        lambda d: d["status"] != "RUNNING",
    )


def test_crawler_job_and_dbt_build_succeed(pipeline, localstack_client):
    sfn = localstack_client("stepfunctions")
    result = _run(sfn, pipeline(JOB_OK, BUILD_OK))

    assert result["status"] == "SUCCEEDED", result.get("cause")
    output = json.loads(result["output"])
    assert output["crawler"]["State"] == "READY"
    assert output["job"]["State"] == "SUCCEEDED"
    assert output["build"]["Status"] == "SUCCEEDED"
    build = localstack_client("codebuild").batch_get_builds(ids=[output["build"]["Id"]])["builds"][
        0
    ]
    variables = {v["name"]: v["value"] for v in build["environment"]["environmentVariables"]}
    assert variables["FLIGHT_DATE"] == "2024-01-01"


def _task_failure(sfn, arn: str) -> dict:
    """Run the state machine, which must fail with States.TaskFailed; return the cause."""
    result = _run(sfn, arn)
    assert (result["status"], result.get("error")) == ("FAILED", "States.TaskFailed"), result
    return json.loads(result["cause"])


def test_failed_glue_job_fails_the_execution_with_its_error(pipeline, localstack_client):
    cause = _task_failure(localstack_client("stepfunctions"), pipeline(JOB_FAIL, BUILD_OK))

    assert cause["JobRunState"] == "FAILED"
    assert cause["ErrorMessage"] == "RuntimeError: warehouse unreachable"


def test_failed_build_fails_the_execution_with_the_build(pipeline, localstack_client):
    cause = _task_failure(localstack_client("stepfunctions"), pipeline(JOB_OK, BUILD_FAIL))

    assert cause["Build"]["BuildStatus"] == "FAILED"
    failed = [p for p in cause["Build"]["Phases"] if p.get("PhaseStatus") == "FAILED"]
    assert [p["PhaseType"] for p in failed] == ["BUILD"]
