"""What the state machine role needs, from the ASL's Task resources.

Each service integration maps to the IAM permissions AWS documents for it (AWS Step Functions
Developer Guide, "How Step Functions generates IAM policies for integrated services"; the
`.sync` (Run a Job) pattern adds the polling and stop calls and, for CodeBuild, the managed
EventBridge rule). An integration missing here fails the check: add its documented
permissions first.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tools.iam_check.calls import Call

TASK_PREFIX = "arn:aws:states:::"


def on_catalog_table(action: str, why: str, why_on_catalog: str) -> list[Call]:
    """A Data Catalog table action: authorized on the catalog, the database and the table
    (AWS Glue Developer Guide, "Specifying AWS Glue resource ARNs")."""
    return [
        Call(action, "{catalog}", why_on_catalog),
        Call(action, "{catalog_database}", why),
        Call(action, "{catalog_table}", why),
    ]


# integration -> calls; resources use the placeholders of needs.names().
INTEGRATIONS: dict[str, list[Call]] = {
    "sns:publish": [
        Call("sns:Publish", "{topic}", "sns:publish"),
        # The topic is SSE-KMS encrypted: publishers need the key (Amazon SNS Developer Guide,
        # "Data encryption": key policy and publisher permissions).
        Call("kms:GenerateDataKey", "{data_key}", "sns:publish to an encrypted topic"),
        Call("kms:Decrypt", "{data_key}", "sns:publish to an encrypted topic"),
    ],
    "aws-sdk:glue:startCrawler": [Call("glue:StartCrawler", "{crawler}", "startCrawler")],
    "aws-sdk:glue:getCrawler": [Call("glue:GetCrawler", "{crawler}", "getCrawler")],
    "glue:startJobRun.sync": [
        Call("glue:StartJobRun", "{job}", "startJobRun.sync"),
        Call("glue:GetJobRun", "{job}", "startJobRun.sync polls"),
        Call("glue:GetJobRuns", "{job}", "startJobRun.sync polls"),
        Call("glue:BatchStopJobRun", "{job}", "startJobRun.sync stops on abort"),
    ],
    # A run summary (runs/...): the only object a state machine reads (task_calls).
    "aws-sdk:s3:getObject": [
        Call("s3:GetObject", "{landing}/runs/date=2024-01-01/run_id=r/summary.json", "summary"),
        Call("kms:Decrypt", "{data_key}", "SSE-KMS summary"),
    ],
    # The pipeline-state table (dbt lock, each day's latest event and loaded fingerprint, the
    # crawled headers' digest): the optimized DynamoDB integrations act on the table.
    **{
        f"dynamodb:{op[0].lower()}{op[1:]}": [
            Call(f"dynamodb:{op}", "{lock_table}", f"dynamodb:{op}"),
            # SSE with the customer managed data key.
            Call("kms:Decrypt", "{data_key}", "table encrypted with the data key"),
            Call("kms:GenerateDataKey", "{data_key}", "table encrypted with the data key"),
        ]
        for op in ("PutItem", "GetItem", "UpdateItem", "DeleteItem")
    },
    # A day file's checksum: HeadObject with ChecksumMode ENABLED needs kms:Decrypt on an
    # SSE-KMS object ("HeadObject", S3 API Reference).
    "aws-sdk:s3:headObject": [
        Call("s3:GetObject", "{landing}/daily_flights/date=2024-01-01/f.csv", "a file's checksum"),
        Call("kms:Decrypt", "{data_key}", "checksum of an SSE-KMS file"),
    ],
    "aws-sdk:s3:listObjectsV2": [
        Call("s3:ListBucket", "{landing}", "a day's files", {"s3:prefix": "daily_flights/"}),
    ],
    "aws-sdk:glue:getTable": on_catalog_table(
        "glue:GetTable", "catalog table", "catalog table (crawl only when needed)"
    ),
    "aws-sdk:glue:createPartition": on_catalog_table(
        "glue:CreatePartition", "register a partition", "register a partition of known columns"
    ),
    "aws-sdk:sfn:describeExecution": [
        Call(
            "states:DescribeExecution",
            "{MartsBuildStateMachine_execution}",
            "is the dbt lock's holder (a marts build) alive",
        ),
    ],
    "codebuild:startBuild.sync": [
        Call("codebuild:StartBuild", "{dbt_project}", "startBuild.sync"),
        Call("codebuild:StopBuild", "{dbt_project}", "startBuild.sync stops on abort"),
        Call("codebuild:BatchGetBuilds", "{dbt_project}", "startBuild.sync polls"),
        Call("events:PutTargets", "{codebuild_sync_rule}", "startBuild.sync managed rule"),
        Call("events:PutRule", "{codebuild_sync_rule}", "startBuild.sync managed rule"),
        Call("events:DescribeRule", "{codebuild_sync_rule}", "startBuild.sync managed rule"),
    ],
}


def task_calls(task: dict[str, Any]) -> list[Call] | None:
    """The calls of one task; None when its integration has no declared permissions (a
    GetObject of anything but a run summary among them: its needs are not declared here)."""
    integration = task["Resource"].removeprefix(TASK_PREFIX)
    key = str(task.get("Parameters", {}).get("Key.$", ""))
    if integration == "aws-sdk:s3:getObject" and "runs/" not in key:
        return None
    return INTEGRATIONS.get(integration)


# LoggingConfiguration (CloudWatch Logs) and TracingConfiguration (X-Ray) of the state
# machine: AWS Step Functions Developer Guide, "Using CloudWatch Logs to log execution
# history" and "AWS X-Ray and Step Functions" (these APIs take no resource ARN).
LOGGING = [
    Call(f"logs:{op}", "*", "execution logging")
    for op in (
        "CreateLogDelivery",
        "GetLogDelivery",
        "UpdateLogDelivery",
        "DeleteLogDelivery",
        "ListLogDeliveries",
        "PutResourcePolicy",
        "DescribeResourcePolicies",
        "DescribeLogGroups",
    )
]
TRACING = [
    Call(f"xray:{op}", "*", "tracing")
    for op in ("PutTraceSegments", "PutTelemetryRecords", "GetSamplingRules", "GetSamplingTargets")
]


# A nested execution (AWS Step Functions Developer Guide, "IAM policies for Step Functions
# nested executions"; "Start a new AWS Step Functions state machine from a running
# execution"): start the child, and for .sync:2 describe and stop its executions and use the
# managed rule through which the parent learns that the child ended.
NESTED_SYNC = "states:startExecution.sync:2"
PLACEHOLDER = re.compile(r"^\$\{([A-Za-z0-9]+)Arn\}$")


def nested_calls(child: str) -> list[Call]:
    """What starting `child` (the logical id of a state machine) as a .sync:2 nested
    execution needs."""
    rule = "{nested_sync_rule}"
    return [
        Call("states:StartExecution", "{" + child + "}", f"start {child}"),
        Call("states:DescribeExecution", "{" + child + "_execution}", f"{child} .sync:2 polls"),
        Call("states:StopExecution", "{" + child + "_execution}", f"{child} .sync:2 stops"),
        Call("events:PutTargets", rule, ".sync:2 managed rule"),
        Call("events:PutRule", rule, ".sync:2 managed rule"),
        Call("events:DescribeRule", rule, ".sync:2 managed rule"),
    ]


class UnknownIntegration(ValueError):
    """The ASL uses a service integration whose permissions are not declared here."""


def tasks(definition: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(states: dict[str, Any]) -> None:
        for state in states.values():
            if state.get("Type") == "Task":
                found.append(state)
            for branch in state.get("Branches", []):
                walk(branch["States"])
            if "Iterator" in state:
                walk(state["Iterator"]["States"])
            if "ItemProcessor" in state:
                walk(state["ItemProcessor"]["States"])

    walk(definition["States"])
    return found


def task_resources(definition: dict[str, Any]) -> list[str]:
    return [task["Resource"] for task in tasks(definition)]


def nested_children(definition: dict[str, Any], asl_path: Path) -> list[str]:
    """Logical ids of the state machines a definition starts as nested executions: its
    StateMachineArn is the substitution ${<LogicalId>Arn} (cloudformation/orchestration.yaml)."""
    children = []
    for task in tasks(definition):
        if task["Resource"].removeprefix(TASK_PREFIX) != NESTED_SYNC:
            continue
        match = PLACEHOLDER.match(str(task.get("Parameters", {}).get("StateMachineArn", "")))
        if match is None:
            raise UnknownIntegration(
                f"{asl_path}: a nested execution's StateMachineArn must be ${{<LogicalId>Arn}}"
            )
        children.append(match.group(1))
    return sorted(set(children))


def state_machine_calls(asl_path: Path) -> list[Call]:
    definition = json.loads(asl_path.read_text(encoding="utf-8"))
    calls: list[Call] = []
    for child in nested_children(definition, asl_path):
        calls.extend(nested_calls(child))
    for task in tasks(definition):
        integration = task["Resource"].removeprefix(TASK_PREFIX)
        if integration == NESTED_SYNC:
            continue
        found = task_calls(task)
        if found is None:
            raise UnknownIntegration(
                f"{asl_path}: integration {integration} has no declared permissions "
                "(tools/iam_check/asl.py INTEGRATIONS)"
            )
        calls.extend(c for c in found if c not in calls)
    return calls + LOGGING + TRACING
