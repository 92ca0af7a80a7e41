"""The AWS calls each runtime principal makes, as IAM requests.

Sources: the Glue job's and the deploy tool's own boto3 calls (tests/iam_check ties these
lists to the code), the services' documented needs where a service acts for the role (Glue
and CodeBuild placing ENIs and writing logs, Redshift reading for COPY, VPC flow logs, the
EventBridge target). `{name}` placeholders are the environment's resolved names and ARNs
(tools/iam_check/needs.py, `names()`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Call:
    action: str
    resource: str
    why: str
    context: dict[str, str | list[str]] = field(default_factory=dict)


KMS_VIA_SECRETS = {
    "kms:ViaService": "secretsmanager.{region}.amazonaws.com",
    "kms:ResourceAliases": ["alias/{project}-{env}-data"],
}

KMS_VIA_S3 = {
    "kms:ViaService": "s3.{region}.amazonaws.com",
    "kms:ResourceAliases": ["alias/{project}-{env}-data"],
}


def log_writes(group: str, why: str) -> list[Call]:
    """A service writing a role's log stream into `group`."""
    return [Call("logs:CreateLogStream", group, why), Call("logs:PutLogEvents", group, why)]


def data_api_polling(result: str) -> list[Call]:
    """What every Data API client does after submitting: poll, read, cancel on timeout."""
    return [
        Call("redshift-data:DescribeStatement", "*", "poll statement"),
        Call("redshift-data:GetStatementResult", "*", result),
        Call("redshift-data:CancelStatement", "*", "cancel on timeout"),
    ]


# tools/deploy (environment.py, stacks.py, artifacts.py, smoke.py), run by the deploy role;
# not disposable.py, which only ever acts on an emulator.
DEPLOY_TOOL = [
    *(
        Call(f"cloudformation:{op}", "{stack_" + stack + "}", f"deploy {stack}")
        for stack in ("storage", "network", "warehouse", "glue", "orchestration")
        for op in (
            "CreateChangeSet",
            "DescribeChangeSet",
            "ExecuteChangeSet",
            "DeleteChangeSet",
            "DescribeStacks",
            "DescribeStackEvents",
            "DeleteStack",
        )
    ),
    Call("cloudformation:DescribeStacks", "{stack_ci-deploy-role}", "the execution role's ARN"),
    Call(
        "iam:PassRole",
        "{execution_role}",
        "change sets run as the execution role",
        {"iam:PassedToService": "cloudformation.amazonaws.com"},
    ),
    Call("s3:GetObject", "{artifacts}/artifacts/glue/x/glue_entry.py", "HeadObject on artifacts"),
    Call("s3:PutObject", "{artifacts}/artifacts/glue/x/glue_entry.py", "upload artifacts"),
    Call("s3:ListBucket", "{artifacts}", "HeadObject answers 404, not 403"),
    Call("kms:GenerateDataKey", "{data_key}", "SSE-KMS upload", KMS_VIA_S3),
    Call("kms:Decrypt", "{data_key}", "SSE-KMS read", KMS_VIA_S3),
    Call("states:DescribeStateMachine", "{DayStateMachine}", "smoke"),
    Call("states:DescribeStateMachine", "{MartsBuildStateMachine}", "smoke"),
    Call("glue:GetJob", "{job}", "smoke"),
    Call("glue:GetCrawler", "{crawler}", "smoke"),
    Call("events:DescribeRule", "{daily_file_rule}", "smoke"),
    Call("events:DescribeRule", "{airports_file_rule}", "smoke"),
    Call("sns:GetTopicAttributes", "{topic}", "smoke"),
    # tools/deploy/warehouse.py: the warehouse bootstrap through the Data API as the
    # namespace's admin (its managed secret), after the warehouse stack.
    Call("redshift-serverless:GetNamespace", "{namespace}", "find the managed admin secret"),
    Call("secretsmanager:GetSecretValue", "{admin_secret}", "bootstrap as the admin"),
    Call("secretsmanager:GetSecretValue", "{jdbc_secret}", "the crawlers' login password"),
    Call("kms:Decrypt", "{data_key}", "secrets under the data key", KMS_VIA_SECRETS),
    Call("redshift-data:ExecuteStatement", "{workgroup}", "bootstrap statements"),
    Call("redshift-data:BatchExecuteStatement", "{workgroup}", "migrations in one tx"),
    *data_api_polling("applied versions"),
    # tools/deploy/rotation.py (make rotate-login, .github/workflows/rotate.yml): the
    # crawlers' new password as a new secret version, set as the admin, then made current.
    Call("secretsmanager:GetRandomPassword", "*", "the crawlers' new password"),
    Call("secretsmanager:PutSecretValue", "{jdbc_secret}", "the new version (AWSPENDING)"),
    Call("secretsmanager:UpdateSecretVersionStage", "{jdbc_secret}", "AWSCURRENT moves to it"),
    Call("kms:GenerateDataKey", "{data_key}", "the new version, encrypted", KMS_VIA_SECRETS),
]

# What the deploy role must NOT be able to do (privilege escalation through the CI stack).
DEPLOY_TOOL_DENIED = [
    Call("cloudformation:ExecuteChangeSet", "{stack_ci-deploy-role}", "the CI role stack"),
    Call("cloudformation:CreateChangeSet", "{stack_ci-deploy-role}", "the CI role stack"),
    Call("cloudformation:DeleteStack", "{stack_ci-deploy-role}", "the CI role stack"),
]

ENI = [
    Call("ec2:CreateNetworkInterface", "{eni}", "ENI in the private subnet"),
    Call("ec2:CreateNetworkInterface", "{subnet}", "ENI in the private subnet"),
    Call("ec2:CreateNetworkInterface", "{security_group}", "ENI with the pipeline group"),
    Call("ec2:DeleteNetworkInterface", "{eni}", "ENI cleanup"),
    Call("ec2:DescribeSubnets", "*", "ENI placement"),
    Call("ec2:DescribeSecurityGroups", "*", "ENI placement"),
    Call("ec2:DescribeNetworkInterfaces", "*", "ENI placement"),
]


def encrypted_job_logs() -> list[Call]:
    """Where Glue writes the job's logs under a security configuration with CloudWatch
    encryption. Glue creates a group named after the role and the configuration ("JobRun",
    LogGroupName, AWS Glue API; the console's /aws-glue/jobs/<configuration>-role/<role>/
    shape and the API reference's /aws-glue/jobs-<role>-<configuration> alike) and associates
    the configuration's key with the group it writes to, which needs logs:AssociateKmsKey
    ("Encrypting data written by AWS Glue", setting up security configurations). With
    --custom-logGroup-prefix also set ("Logging for AWS Glue jobs"), which of the two wins is
    undocumented: the job must be able to write either (fail closed)."""
    found: list[Call] = []
    for group, created in (
        ("{glue_log_group}", False),  # the template creates the prefix's groups
        ("{glue_secure_log_group}", True),
        ("{glue_secure_log_group_api}", True),
    ):
        if created:
            found.append(Call("logs:CreateLogGroup", group, "encrypted job logs"))
        found.append(Call("logs:AssociateKmsKey", group, "the security configuration's key"))
        found += log_writes(f"{group}:log-stream:jr_1-driver", "job logs")
    return found


# glue/flightline_glue (storage.py, warehouse/), plus what Glue does as the job role.
GLUE_JOB = [
    Call("s3:GetObject", "{artifacts}/artifacts/glue/x/glue_entry.py", "script"),
    Call("s3:ListBucket", "{landing}", "list_objects_v2 (inputs)"),
    Call("s3:GetObject", "{landing}/daily_flights/date=2024-01-01/flights.csv", "read input"),
    Call("s3:GetObject", "{landing}/dim/airports.csv", "read airports"),
    Call("s3:PutObject", "{landing}/staged/run/part-0.parquet", "stage for COPY"),
    Call("s3:PutObject", "{landing}/rejects/date=2024-01-01/rejects.csv", "rejects"),
    Call("s3:PutObject", "{landing}/runs/date=2024-01-01/run_id=r/summary.json", "summary"),
    Call("kms:GenerateDataKey", "{data_key}", "SSE-KMS writes"),
    Call("kms:Decrypt", "{data_key}", "SSE-KMS reads"),
    Call("secretsmanager:GetSecretValue", "{warehouse_secret}", "warehouse secret"),
    Call("redshift-data:ExecuteStatement", "{workgroup}", "DDL and merge"),
    Call("redshift-data:BatchExecuteStatement", "{workgroup}", "COPY + merge in one tx"),
    Call("redshift-serverless:GetCredentials", "{workgroup}", "Data API IAM auth"),
    *data_api_polling("statement result"),
    *encrypted_job_logs(),
    Call("cloudwatch:PutMetricData", "*", "job metrics", {"cloudwatch:namespace": "Glue"}),
    # No ENI calls: the job has no VPC connection (cloudformation/glue.yaml).
]

GLUE_CRAWLER = [
    Call("s3:ListBucket", "{landing}", "crawl daily_flights/"),
    Call("s3:GetObject", "{landing}/daily_flights/date=2024-01-01/flights.csv", "crawl"),
    Call("kms:Decrypt", "{data_key}", "SSE-KMS reads"),
    Call("secretsmanager:GetSecretValue", "{jdbc_secret}", "JDBC login"),
    Call("glue:GetDatabase", "{catalog_database}", "catalog"),
    Call("glue:CreateTable", "{catalog_table}", "catalog"),
    Call("glue:UpdateTable", "{catalog_table}", "catalog"),
    Call("glue:BatchCreatePartition", "{catalog_table}", "partitions"),
    Call("glue:GetConnection", "{connection_jdbc}", "JDBC connection"),
    # Event mode: the SQS actions AWS lists for the crawler's role ("Accelerating crawls
    # using Amazon S3 event notifications", AWS Glue Developer Guide), on its queue; the
    # queue is SSE-KMS, so reading a message decrypts with the data key.
    *(
        Call(action, "{crawl_queue}", "S3 event mode")
        for action in (
            "sqs:DeleteMessage",
            "sqs:GetQueueUrl",
            "sqs:ListDeadLetterSourceQueues",
            "sqs:ReceiveMessage",
            "sqs:GetQueueAttributes",
            "sqs:ListQueueTags",
            "sqs:SetQueueAttributes",
            "sqs:PurgeQueue",
        )
    ),
    Call("kms:Decrypt", "{data_key}", "SSE-KMS queue messages"),
    *log_writes("{crawler_log_group}", "crawler logs"),
    *ENI,
]

# The dbt CodeBuild project (buildspec in orchestration.yaml; dbt-redshift IAM auth).
DBT_BUILD = [
    Call("s3:GetObject", "{artifacts}/artifacts/dbt/x/dbt_project.zip", "source bundle"),
    Call("s3:GetObject", "{artifacts}/artifacts/dbt-wheels/x/wheelhouse.zip", "wheelhouse"),
    Call("s3:GetObject", "{artifacts}/cache/dbt/x.zip", "S3 cache (dbt's saved parse)"),
    Call("s3:PutObject", "{artifacts}/cache/dbt/x.zip", "S3 cache (dbt's saved parse)"),
    Call("kms:GenerateDataKey", "{data_key}", "SSE-KMS cache objects"),
    Call("kms:Decrypt", "{data_key}", "encrypted artifacts and logs"),
    *log_writes("{dbt_log_group}", "build logs"),
    Call("redshift-serverless:GetCredentials", "{workgroup}", "dbt-redshift method: iam"),
    Call("redshift-serverless:GetWorkgroup", "{workgroup}", "dbt-redshift endpoint lookup"),
    *ENI,
    Call("ec2:DescribeVpcs", "*", "CodeBuild VPC config"),
    Call("ec2:DescribeDhcpOptions", "*", "CodeBuild VPC config"),
    Call(
        "ec2:CreateNetworkInterfacePermission",
        "{eni}",
        "CodeBuild VPC config",
        {"ec2:AuthorizedService": "codebuild.amazonaws.com", "ec2:Subnet": "{subnet}"},
    ),
]

COPY_ROLE = [
    Call("s3:GetObject", "{landing}/staged/run/part-0.parquet", "COPY FROM staged/"),
    Call("s3:ListBucket", "{landing}", "COPY prefix listing"),
    Call("kms:Decrypt", "{data_key}", "SSE-KMS staged files"),
]

FLOW_LOGS = [
    *log_writes("{flow_log_group}", "flow logs"),
    Call("logs:DescribeLogStreams", "{flow_log_group}", "flow logs"),
    Call("logs:DescribeLogGroups", "*", "flow logs"),
]

# The rules start the machines that take events: a daily file, the airports file, the schedule.
EVENTBRIDGE = [
    Call("states:StartExecution", "{DayStateMachine}", "daily-file-created target"),
    Call("states:StartExecution", "{AirportsStateMachine}", "airports-file-created target"),
    Call("states:StartExecution", "{MissedDayStateMachine}", "missed-day-check target"),
]

# The dashboards stack (opt-in), deployed by the deploy tool like the others; the warehouse
# step sets the QuickSight reader's password from its secret (tools/deploy/warehouse.py).
DEPLOY_TOOL_DASHBOARDS = [
    *(
        Call(f"cloudformation:{op}", "{stack_dashboards}", "deploy dashboards")
        for op in (
            "CreateChangeSet",
            "DescribeChangeSet",
            "ExecuteChangeSet",
            "DeleteChangeSet",
            "DescribeStacks",
            "DescribeStackEvents",
            "DeleteStack",
        )
    ),
    Call("secretsmanager:GetSecretValue", "{reader_secret}", "the dashboard reader's password"),
    Call("secretsmanager:PutSecretValue", "{reader_secret}", "the reader's new password"),
    Call("secretsmanager:UpdateSecretVersionStage", "{reader_secret}", "AWSCURRENT moves to it"),
]

# What QuickSight does as the VPC connection's role: its network interfaces in the private
# subnets, with the QuickSight security group ("Configuring the VPC connection with the
# QuickSight CLI", Amazon QuickSight User Guide: the execution role needs
# ec2:CreateNetworkInterface, ModifyNetworkInterfaceAttribute, DeleteNetworkInterface,
# DescribeSubnets and DescribeSecurityGroups). Each ENI request names the VPC (ec2:Vpc), which
# the role's policy requires.
IN_VPC = {"ec2:Vpc": "{vpc}"}
QUICKSIGHT_VPC = [
    Call("ec2:CreateNetworkInterface", "{quicksight_eni}", "VPC connection ENI", IN_VPC),
    Call("ec2:CreateNetworkInterface", "{subnet}", "ENI in the private subnet", IN_VPC),
    Call("ec2:CreateNetworkInterface", "{quicksight_security_group}", "ENI's group", IN_VPC),
    Call("ec2:ModifyNetworkInterfaceAttribute", "{quicksight_eni}", "ENI attributes", IN_VPC),
    Call(
        "ec2:ModifyNetworkInterfaceAttribute",
        "{quicksight_security_group}",
        "ENI's security group",
        IN_VPC,
    ),
    Call("ec2:DeleteNetworkInterface", "{quicksight_eni}", "VPC connection cleanup", IN_VPC),
    Call("ec2:DescribeSubnets", "*", "VPC connection placement"),
    Call("ec2:DescribeSecurityGroups", "*", "VPC connection placement"),
]

# ... and nowhere else: an interface in another VPC is denied.
QUICKSIGHT_VPC_DENIED = [
    Call(
        "ec2:CreateNetworkInterface",
        "{quicksight_eni}",
        "ENI outside the pipeline's VPC",
        {"ec2:Vpc": "arn:aws:ec2:{region}:{account}:vpc/vpc-0other"},
    ),
]
