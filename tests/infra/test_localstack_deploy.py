"""The deploy tool against the real LocalStack: every stack deploys, a redeploy is a no-op,
and the deployed bucket, rule, topic, secret and state machine behave.

Each session deploys its own environment (unique EnvName, so unique stack, bucket and export
names) from cloudformation/parameters/local.json, and deletes it afterwards.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from tests.fixtures.pipeline import drop_env_users, local_logins
from tests.helpers import CSV, WAIT_SECONDS, entered, executions, history, input_key, wait_for
from tools.deploy.config import load_env
from tools.deploy.disposable import Deployment, deployed
from tools.deploy.environment import deploy_env
from tools.deploy.rotation import RotationError, rotate_env_login, rotate_login
from tools.deploy.warehouse import warehouse_session
from tools.e2e.follow import state_outputs
from tools.local import postgres as localpg

from .conftest import ASL_PATHS


@pytest.fixture(scope="module")
def deployment(
    localstack_client: Callable[..., Any], pipeline_database: localpg.ConnInfo
) -> Iterator[Deployment]:
    # Its own database, as each env has its own namespace on AWS: the deploy bootstraps it.
    with deployed("it", localstack_client, **local_logins(pipeline_database)) as deployment:
        yield deployment
    drop_env_users(pipeline_database, deployment.env)


@pytest.fixture
def notices(deployment: Deployment) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """An SQS queue subscribed to the notice topic; the callable drains it."""
    sqs, sns = deployment.client("sqs"), deployment.client("sns")
    queue_url = sqs.create_queue(QueueName=f"notices-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    topic = deployment.outputs("orchestration")["NoticeTopicArn"]
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    def drain() -> list[dict[str, Any]]:
        received = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        return [json.loads(m["Body"]) for m in received.get("Messages", [])]

    yield drain
    sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
    sqs.delete_queue(QueueUrl=queue_url)


# --- deployment ----------------------------------------------------------------------------


def test_every_stack_of_the_environment_is_created(deployment: Deployment) -> None:
    stacks = [r.stack.removeprefix(f"flightline-{deployment.env}-") for r in deployment.first]
    assert stacks == list(load_env("local").stacks)
    assert {r.action for r in deployment.first} == {"created"}
    cfn = deployment.client("cloudformation")
    for result in deployment.first:
        status = cfn.describe_stacks(StackName=result.stack)["Stacks"][0]["StackStatus"]
        assert status == "CREATE_COMPLETE"
    # Progress came from the stack events.
    assert any("CREATE_COMPLETE" in line and "LandingBucket" in line for line in deployment.logs)


def test_workload_stacks_are_created_by_the_execution_role(deployment: Deployment) -> None:
    # The CI role stack first (it holds the workload roles' permissions boundary), with the
    # caller's credentials; every other stack through the execution role it outputs, as CI
    # deploys in AWS.
    ci_stack = f"flightline-{deployment.env}-ci-deploy-role"
    assert deployment.first[0].stack == ci_stack
    role = deployment.outputs("ci-deploy-role")["CloudFormationExecutionRoleArn"]
    assert role.endswith(f":role/flightline-ci/flightline-ci-{deployment.env}-cfn-exec")
    # LocalStack 2026.3.0 does not report a change set's RoleARN on the stack; the tool says
    # which role it hands over, once, before the first workload stack.
    handed = [line for line in deployment.logs if "workload stacks are created by" in line]
    assert handed == [f"workload stacks are created by {role}"]
    first_workload = deployment.logs.index(handed[0])
    assert not any(f"{ci_stack}:" in line for line in deployment.logs[first_workload:])


def test_workload_roles_carry_the_permissions_boundary(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    boundary = deployment.outputs("ci-deploy-role")["WorkloadBoundaryArn"]
    roles = [
        r
        for page in iam.get_paginator("list_roles").paginate()
        for r in page["Roles"]
        if r["RoleName"].startswith(f"flightline-{deployment.env}-")
    ]
    assert len(roles) >= 5
    for role in roles:
        described = iam.get_role(RoleName=role["RoleName"])["Role"]
        assert described["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary


def test_redeploy_without_changes_executes_no_change_set(deployment: Deployment) -> None:
    cfn = deployment.client("cloudformation")
    before = {
        r.stack: cfn.describe_stacks(StackName=r.stack)["Stacks"][0].get("LastUpdatedTime")
        for r in deployment.first
    }
    again = deploy_env(deployment.config, deployment.client, poll_seconds=0.2, log=lambda _: None)
    assert [r.action for r in again] == ["unchanged"] * len(deployment.first)
    assert all(r.executed_change_set is None for r in again)
    for result in again:
        stack = cfn.describe_stacks(StackName=result.stack)["Stacks"][0]
        assert stack.get("LastUpdatedTime") == before[result.stack]
        assert cfn.list_change_sets(StackName=result.stack)["Summaries"] == []  # cleaned up


def test_artifacts_are_uploaded_under_content_hashed_keys(deployment: Deployment) -> None:
    s3 = deployment.client("s3")
    bucket = deployment.outputs("storage")["ArtifactsBucketName"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    for kind, name in [
        ("glue", "glue_entry.py"),
        ("glue", "flightline_glue.zip"),
        *(("stepfunctions", path.name) for path in ASL_PATHS.values()),
        ("dbt", "dbt_project.zip"),
        ("dbt-wheels", "wheelhouse.zip"),
    ]:
        assert any(k.startswith(f"artifacts/{kind}/") and k.endswith(f"/{name}") for k in keys)


def test_landing_bucket_is_versioned_tls_only_and_emits_events(deployment: Deployment) -> None:
    # LocalStack 2026.3.0's AWS::S3::Bucket provider applies versioning, notifications, CORS,
    # object lock, tags and website settings only: BucketEncryption, PublicAccessBlock,
    # LifecycleConfiguration and LoggingConfiguration are accepted and silently dropped, so
    # those are checked on the templates (test_templates.py), not here.
    s3 = deployment.client("s3")
    bucket = deployment.landing
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    notification = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert "EventBridgeConfiguration" in notification
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    (deny,) = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_warehouse_secret_points_the_job_at_the_emulated_workgroup(
    deployment: Deployment, pipeline_database: localpg.ConnInfo
) -> None:
    outputs = deployment.outputs("warehouse")
    value = json.loads(
        deployment.client("secretsmanager").get_secret_value(
            SecretId=outputs["WarehouseSecretArn"]
        )["SecretString"]
    )
    assert value == {
        "engine": "redshift",
        "workgroup": f"flightline-{deployment.env}",
        "database": pipeline_database.dbname,
        "copy_role_arn": outputs["CopyRoleArn"],
    }
    workgroup = deployment.client("redshift-serverless").get_workgroup(
        workgroupName=value["workgroup"]
    )["workgroup"]
    namespace = deployment.client("redshift-serverless").get_namespace(
        namespaceName=workgroup["namespaceName"]
    )["namespace"]
    assert namespace["iamRoles"] == [outputs["CopyRoleArn"]]


def test_the_deploy_bootstrapped_the_warehouse_through_the_data_api(
    deployment: Deployment, pipeline_database: localpg.ConnInfo
) -> None:
    users = f"iamr:flightline-{deployment.env}-load-job, iamr:flightline-{deployment.env}-dbt"
    (line,) = [line for line in deployment.logs if "warehouse: users created" in line]
    assert f"users created: {users}" in line.lower()
    assert "bootstrap applied: B001" in line
    assert "migrations applied: V001, V002" in line
    with psycopg.connect(pipeline_database.url) as conn:
        owner = conn.execute(
            "select tableowner from pg_tables"
            " where (schemaname, tablename) = ('staging', 'flights')"
        ).fetchone()
    assert owner == (f"iamr:flightline-{deployment.env}-load-job",)


def test_topic_is_encrypted_and_state_machine_is_fully_substituted(deployment: Deployment) -> None:
    topic = deployment.outputs("orchestration")["NoticeTopicArn"]
    attributes = deployment.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes.get("KmsMasterKeyId")
    sfn = deployment.client("stepfunctions")
    arns = {
        key: arn
        for key, arn in deployment.outputs("orchestration").items()
        if key.endswith("StateMachineArn")
    }
    assert len(arns) == len(ASL_PATHS)  # one deployed machine per file
    definitions = {
        key: json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])
        for key, arn in arns.items()
    }
    for key, definition in definitions.items():
        assert "${" not in json.dumps(definition), key
        states = definition["States"]
        assert states["NotifyFailure"]["Parameters"]["TopicArn"] == topic, key
        for state in states.values():
            if state.get("Resource", "").endswith("startExecution.sync:2"):
                assert state["Parameters"]["StateMachineArn"] in arns.values(), key
    job = definitions["DayLoadStateMachineArn"]["States"]["RunGlueJob"]
    assert job["Parameters"]["JobName"] == f"flightline-{deployment.env}-load"


# --- behaviour -----------------------------------------------------------------------------


def test_only_daily_csv_uploads_start_the_pipeline(deployment: Deployment) -> None:
    s3, sfn = deployment.client("s3"), deployment.client("stepfunctions")
    before = {e["executionArn"] for e in executions(sfn, deployment.state_machine("Day"))}
    # Non-matching uploads first: once the matching one has started, they have been seen.
    s3.put_object(Bucket=deployment.landing, Key="other/x.csv", Body=CSV)
    s3.put_object(Bucket=deployment.landing, Key="daily_flights/date=2024-01-01/x.txt", Body=b"x")
    s3.put_object(Bucket=deployment.landing, Key="dim/other.csv", Body=b"x")
    s3.put_object(Bucket=deployment.landing, Key="daily_flights/date=2024-01-01/x.csv", Body=CSV)

    def new() -> list[dict[str, Any]]:
        return [
            e
            for e in executions(sfn, deployment.state_machine("Day"))
            if e["executionArn"] not in before
        ]

    (execution,) = wait_for(new, "the execution for the .csv upload")
    arn = execution["executionArn"]
    assert input_key(sfn, arn).endswith("/x.csv")
    events = wait_for(
        lambda: (h := history(sfn, arn)) and "RecordDayEvent" in entered(h) and h,
        "the first step of a day's load",
    )
    sfn.stop_execution(executionArn=arn, error="Test.Stop", cause="only the trigger is under test")
    path = entered(events)
    assert path[: path.index("RecordDayEvent") + 1][-3:-1] in (
        ["DeriveDate", "ValidateDate"],
        ["DeriveDateFromEncodedKey", "ValidateDate"],
    )
    derived = next(
        state_outputs(events, name)[0]["date"]
        for name in ("DeriveDate", "DeriveDateFromEncodedKey")
        if name in path
    )
    assert derived["flight_date"] == "2024-01-01"
    assert derived["trigger_key"] == "daily_flights/date=2024-01-01/x.csv"
    assert len(new()) == 1
    # Nor did the airports rule take dim/other.csv: it routes dim/airports.csv alone.
    airports = executions(sfn, deployment.state_machine("Airports"))
    assert "dim/other.csv" not in {input_key(sfn, e["executionArn"]) for e in airports}


def test_a_daily_file_outside_a_date_folder_fails_with_one_notice(
    deployment: Deployment, notices: Callable[[], list[dict[str, Any]]]
) -> None:
    s3, sfn = deployment.client("s3"), deployment.client("stepfunctions")
    before = {e["executionArn"] for e in executions(sfn, deployment.state_machine("Day"))}
    s3.put_object(Bucket=deployment.landing, Key="daily_flights/2024-01-01/x.csv", Body=CSV)
    (execution,) = wait_for(
        lambda: [
            e
            for e in executions(sfn, deployment.state_machine("Day"))
            if e["executionArn"] not in before and e["status"] != "RUNNING"
        ],
        "the execution to finish",
    )
    assert execution["status"] == "FAILED"
    path = entered(history(sfn, execution["executionArn"]))
    assert "RecordDayEvent" not in path
    assert path[-4:] == ["KeyRejected", "BuildFailureNotice", "NotifyFailure", "PipelineFailed"]
    (message,) = wait_for(notices, "the failure notice")
    assert message["Subject"] == "Flightline: FAILED at derive-date"
    body = json.loads(message["Message"])
    assert body["status"] == "FAILED"
    assert body["error"]["Error"] == "Flightline.UnexpectedKey"
    assert "daily_flights/2024-01-01/x.csv" in body["error"]["Cause"]
    assert body["trigger_key"] == "daily_flights/2024-01-01/x.csv"


def test_an_airports_file_without_rows_fails_its_own_load_and_says_so(
    deployment: Deployment,
    notices: Callable[[], list[dict[str, Any]]],
    pg_info: localpg.ConnInfo,  # the job checks the local warehouse before reading the file
) -> None:
    s3, sfn = deployment.client("s3"), deployment.client("stepfunctions")
    before = {e["executionArn"] for e in executions(sfn, deployment.state_machine("Airports"))}
    s3.put_object(
        Bucket=deployment.landing, Key="dim/airports.csv", Body=b"airport_id,city,state,name\n"
    )
    (execution,) = wait_for(
        lambda: [
            e
            for e in executions(sfn, deployment.state_machine("Airports"))
            if e["executionArn"] not in before and e["status"] != "RUNNING"
        ],
        "the execution to finish",
        seconds=WAIT_SECONDS * 3,  # the airports route runs the real Glue job
    )
    assert execution["status"] == "FAILED"
    steps = entered(history(sfn, execution["executionArn"]))
    assert "StartCrawler" not in steps
    assert "RecordDayEvent" not in steps
    assert "LoadAirports" in steps
    (message,) = wait_for(notices, "the failure notice")
    body = json.loads(message["Message"])
    assert (body["status"], body["step"]) == ("FAILED", "glue-job")
    assert "dim/airports.csv: no usable airport rows" in body["error"]["Cause"]


@pytest.mark.parametrize(
    ("key", "flight_date"),
    [
        ("daily_flights/date=2024-02-29/part-1.csv", "2024-02-29"),
        ("daily_flights/date%3D2024-03-01/part-1.csv.gz", "2024-03-01"),
    ],
)
def test_date_derivation_on_both_key_spellings(
    deployment: Deployment, key: str, flight_date: str
) -> None:
    sfn = deployment.client("stepfunctions")
    event = {"detail": {"bucket": {"name": deployment.landing}, "object": {"key": key}}}
    arn = sfn.start_execution(
        stateMachineArn=deployment.state_machine("Day"), input=json.dumps(event)
    )["executionArn"]
    events = wait_for(
        lambda: (h := history(sfn, arn)) and "RecordDayEvent" in entered(h) and h,
        "the first step of a day's load",
    )
    sfn.stop_execution(executionArn=arn, error="Test.Stop", cause="only the date is under test")
    name = "DeriveDate" if "date=" in key else "DeriveDateFromEncodedKey"
    derived = state_outputs(events, name)[0]["date"]
    assert derived["flight_date"] == flight_date
    assert derived["trigger_key"] == f"daily_flights/date={flight_date}/{key.rsplit('/', 1)[1]}"


@pytest.mark.parametrize(
    ("event", "step"),
    [
        ({"detail": {}}, "EventRejected"),
        (
            {
                "detail": {
                    "bucket": {"name": "b"},
                    "object": {"key": "daily_flights/date=2024-1-1x/a.csv"},
                }
            },
            "KeyRejected",
        ),
        (
            {
                "detail": {
                    "bucket": {"name": "b"},
                    "object": {"key": "daily_flights/date=2024-01-01/a/b.csv"},
                }
            },
            "KeyRejected",
        ),
        (
            {
                "detail": {
                    "bucket": {"name": "b"},
                    "object": {"key": "daily_flights/date=2024-01-01/a.json"},
                }
            },
            "KeyRejected",
        ),
    ],
)
def test_malformed_events_and_keys_fail_before_any_work(
    deployment: Deployment, event: dict[str, Any], step: str
) -> None:
    sfn = deployment.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=deployment.state_machine("Day"), input=json.dumps(event)
    )["executionArn"]
    wait_for(
        lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING", "the execution"
    )
    assert sfn.describe_execution(executionArn=arn)["status"] == "FAILED"
    path = entered(history(sfn, arn))
    assert step in path
    assert "RecordDayEvent" not in path
    assert path[-1] == "PipelineFailed"


# --- rotating a login (tools/deploy/rotation.py) ----------------------------------------------
# Locally the env's dbt login has a password of its own (on Redshift dbt uses IAM): it stands
# for the crawlers' and the reader's logins, whose users the local cluster shares between envs.


def _logs_in(info: localpg.ConnInfo, user: str, password: str) -> bool:
    try:
        with psycopg.connect(dataclasses.replace(info, user=user, password=password).url):
            return True
    except psycopg.OperationalError:
        return False


def test_a_login_rotates_through_the_data_api(
    deployment: Deployment, pipeline_database: localpg.ConnInfo
) -> None:
    outputs = deployment.outputs("warehouse")
    secrets = deployment.client("secretsmanager")
    arn = outputs["DbtPasswordSecretArn"]
    before = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])

    rotation = rotate_env_login(outputs, deployment.client, "dbt", poll_seconds=0.2)

    after = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])
    assert after["username"] == before["username"] == rotation.user
    assert after["password"] != before["password"]
    assert _logs_in(pipeline_database, after["username"], after["password"])
    assert not _logs_in(pipeline_database, before["username"], before["password"])
    stages = secrets.describe_secret(SecretId=arn)["VersionIdsToStages"]
    assert stages[rotation.current_version] == ["AWSCURRENT"]
    assert stages[rotation.previous_version] == ["AWSPREVIOUS"]


def test_a_rotation_whose_new_password_fails_its_test_leaves_the_login_as_it_was(
    deployment: Deployment, pipeline_database: localpg.ConnInfo
) -> None:
    outputs = deployment.outputs("warehouse")
    secrets = deployment.client("secretsmanager")
    arn = outputs["DbtPasswordSecretArn"]
    current = secrets.get_secret_value(SecretId=arn)
    value = json.loads(current["SecretString"])
    # The test step through the Data API logs in with a secret whose password is wrong.
    wrong = secrets.create_secret(
        Name=f"wrong-{uuid.uuid4().hex[:8]}",
        SecretString=json.dumps({**value, "password": "Not-the-password-1"}),
    )["ARN"]
    try:
        with pytest.raises(RotationError, match=r"did not log in.*back to the previous version"):
            rotate_login(
                secrets,
                warehouse_session(outputs, deployment.client, 0.2),
                lambda: warehouse_session(outputs, deployment.client, 0.2, secret_arn=wrong),
                arn,
            )
    finally:
        secrets.delete_secret(SecretId=wrong, ForceDeleteWithoutRecovery=True)
    assert secrets.get_secret_value(SecretId=arn)["VersionId"] == current["VersionId"]
    assert _logs_in(pipeline_database, value["username"], value["password"])
