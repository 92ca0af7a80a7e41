"""CloudFormation in LocalStack creates real Glue and CodeBuild resources (no fallbacks)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.helpers import unique, wait_for, wait_job_run_done

ROLE = "arn:aws:iam::000000000000:role/test"
BUILDSPEC = 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo "stage $STAGE"\n'


def _resource(resource_type: str, **properties) -> dict:
    return {"Type": resource_type, "Properties": properties}


def _template(bucket: str, prefix: str, greeting: str) -> str:
    jdbc = {"JDBC_CONNECTION_URL": "jdbc:redshift://wh:5439/dev", "USERNAME": "u", "PASSWORD": "p"}
    environment = {
        "Type": "LINUX_CONTAINER",
        "Image": "aws/codebuild/standard:7.0",
        "ComputeType": "BUILD_GENERAL1_SMALL",
        "EnvironmentVariables": [{"Name": "STAGE", "Type": "PLAINTEXT", "Value": greeting}],
    }
    return json.dumps(
        {
            "Resources": {
                "Database": _resource(
                    "AWS::Glue::Database",
                    CatalogId={"Ref": "AWS::AccountId"},
                    DatabaseInput={"Name": f"{prefix}_db", "Description": "test"},
                ),
                "Connection": _resource(
                    "AWS::Glue::Connection",
                    CatalogId={"Ref": "AWS::AccountId"},
                    ConnectionInput={
                        "Name": f"{prefix}-warehouse",
                        "ConnectionType": "JDBC",
                        "ConnectionProperties": jdbc,
                    },
                ),
                "Crawler": _resource(
                    "AWS::Glue::Crawler",
                    Name=f"{prefix}-crawler",
                    Role=ROLE,
                    DatabaseName={"Ref": "Database"},
                    Targets={"S3Targets": [{"Path": f"s3://{bucket}/daily_flights/"}]},
                    SchemaChangePolicy={"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
                    RecrawlPolicy={"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"},
                    Schedule={"ScheduleExpression": "cron(0 5 * * ? *)"},
                ),
                "Security": _resource(
                    "AWS::Glue::SecurityConfiguration",
                    Name=f"{prefix}-security",
                    EncryptionConfiguration={"S3Encryptions": [{"S3EncryptionMode": "SSE-S3"}]},
                ),
                "Job": _resource(
                    "AWS::Glue::Job",
                    Name=f"{prefix}-job",
                    Role=ROLE,
                    GlueVersion="6.0",
                    WorkerType="G.1X",
                    NumberOfWorkers=2,
                    Command={
                        "Name": "glueetl",
                        "PythonVersion": "3",
                        "ScriptLocation": f"s3://{bucket}/job.py",
                    },
                    DefaultArguments={"--greeting": greeting},
                    ExecutionProperty={"MaxConcurrentRuns": 2},
                    Connections={"Connections": [{"Ref": "Connection"}]},
                    SecurityConfiguration={"Ref": "Security"},
                    Tags={"project": "flightline"},
                ),
                "Project": _resource(
                    "AWS::CodeBuild::Project",
                    Name=f"{prefix}-dbt",
                    ServiceRole=ROLE,
                    Source={"Type": "NO_SOURCE", "BuildSpec": BUILDSPEC},
                    Artifacts={"Type": "NO_ARTIFACTS"},
                    Environment=environment,
                    TimeoutInMinutes=30,
                    Tags=[{"Key": "project", "Value": "flightline"}],
                ),
            },
            "Outputs": {
                "DatabaseName": {"Value": {"Ref": "Database"}},
                "ConnectionName": {"Value": {"Ref": "Connection"}},
                "CrawlerName": {"Value": {"Ref": "Crawler"}},
                "JobName": {"Value": {"Ref": "Job"}},
                "ProjectName": {"Value": {"Ref": "Project"}},
                "ProjectArn": {"Value": {"Fn::GetAtt": ["Project", "Arn"]}},
            },
        }
    )


def _wait_stack(cfn, name: str) -> dict:
    return wait_for(
        lambda: cfn.describe_stacks(StackName=name)["Stacks"][0],
        f"stack {name}",
        lambda s: not s["StackStatus"].endswith("IN_PROGRESS"),
    )


def _failure_reasons(cfn, name: str) -> list[str]:
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [
        f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
        for e in events
        if "FAILED" in e["ResourceStatus"]
    ]


def test_stack_creates_updates_and_deletes_real_resources(localstack_client, localstack_bucket):
    cfn, glue = localstack_client("cloudformation"), localstack_client("glue")
    codebuild, s3 = localstack_client("codebuild"), localstack_client("s3")
    prefix = unique("cfn").replace("-", "_")
    stack = prefix.replace("_", "-")
    s3.put_object(Bucket=localstack_bucket, Key="job.py", Body=b"import sys\nprint(sys.argv)\n")

    cfn.create_stack(StackName=stack, TemplateBody=_template(localstack_bucket, prefix, "one"))
    created = _wait_stack(cfn, stack)

    assert created["StackStatus"] == "CREATE_COMPLETE", _failure_reasons(cfn, stack)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in created["Outputs"]}
    assert outputs["DatabaseName"] == f"{prefix}_db"
    assert outputs["ConnectionName"] == f"{prefix}-warehouse"
    assert outputs["JobName"] == f"{prefix}-job"
    assert outputs["ProjectArn"].endswith(f":project/{prefix}-dbt")
    resources = cfn.describe_stack_resources(StackName=stack)["StackResources"]
    assert all(r["PhysicalResourceId"] not in ("", "unknown") for r in resources), resources

    job = glue.get_job(JobName=outputs["JobName"])["Job"]
    assert job["DefaultArguments"] == {"--greeting": "one"}
    assert job["ExecutionProperty"]["MaxConcurrentRuns"] == 2
    assert job["Connections"]["Connections"] == [f"{prefix}-warehouse"]
    assert job["SecurityConfiguration"] == f"{prefix}-security"
    security = glue.get_security_configuration(Name=f"{prefix}-security")["SecurityConfiguration"]
    assert security["EncryptionConfiguration"]["S3Encryption"][0]["S3EncryptionMode"] == "SSE-S3"
    crawler = glue.get_crawler(Name=outputs["CrawlerName"])["Crawler"]
    assert crawler["DatabaseName"] == f"{prefix}_db"
    assert crawler["Schedule"]["ScheduleExpression"] == "cron(0 5 * * ? *)"
    connection = glue.get_connection(Name=outputs["ConnectionName"])["Connection"]
    assert connection["ConnectionType"] == "JDBC"
    project = codebuild.batch_get_projects(names=[outputs["ProjectName"]])["projects"][0]
    assert project["source"]["buildspec"] == BUILDSPEC
    assert project["environment"]["environmentVariables"][0]["name"] == "STAGE"
    assert project["timeoutInMinutes"] == 30

    # The deployed resources work: a job run and a build.
    run_id = glue.start_job_run(JobName=outputs["JobName"])["JobRunId"]
    assert wait_job_run_done(glue, outputs["JobName"], run_id)["JobRunState"] == "SUCCEEDED"
    build_id = codebuild.start_build(projectName=outputs["ProjectName"])["build"]["id"]
    build = wait_for(
        lambda: codebuild.batch_get_builds(ids=[build_id])["builds"][0],
        "the build",
        lambda b: b["buildStatus"] != "IN_PROGRESS",
    )
    assert build["buildStatus"] == "SUCCEEDED"

    cfn.update_stack(StackName=stack, TemplateBody=_template(localstack_bucket, prefix, "two"))
    updated = _wait_stack(cfn, stack)
    assert updated["StackStatus"] == "UPDATE_COMPLETE", _failure_reasons(cfn, stack)
    assert glue.get_job(JobName=outputs["JobName"])["Job"]["DefaultArguments"] == {
        "--greeting": "two"
    }
    project = codebuild.batch_get_projects(names=[outputs["ProjectName"]])["projects"][0]
    assert project["environment"]["environmentVariables"][0]["value"] == "two"

    stack_id = updated["StackId"]  # a deleted stack is found by its id only
    cfn.delete_stack(StackName=stack)
    wait_for(
        lambda: cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"],
        "stack deletion",
        lambda status: status == "DELETE_COMPLETE",
    )
    with pytest.raises(ClientError):
        glue.get_job(JobName=outputs["JobName"])
    with pytest.raises(ClientError):
        glue.get_database(Name=outputs["DatabaseName"])
    assert codebuild.batch_get_projects(names=[outputs["ProjectName"]])["projects"] == []
