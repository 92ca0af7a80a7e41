"""The requests each principal must be allowed (and the few it must be denied).

- CloudFormation execution role: the handler permissions of every resource the workload
  stacks declare (data/handler_permissions.json), each asked for the resource it acts on,
  with the stack tags CloudFormation propagates and the permissions boundary it attaches.
- State machine roles: each machine's ASL integrations (asl.py), one role per machine.
- Job, crawler, dbt, COPY, flow-log, EventBridge, QuickSight VPC connection and deploy tool
  roles: calls.py.

The opt-in dashboards stack (QuickSight) is judged as if the environment enabled it
(resolve.load_env_stacks(opt_in=True)): what an environment may switch on must pass too.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.iam_check import asl, calls
from tools.iam_check.calls import Call
from tools.iam_check.resolve import ACCOUNT, PARTITION, REGION, Resource, Stack

DATA = Path(__file__).parent / "data" / "handler_permissions.json"
HANDLERS = ("create", "read", "update", "delete")
WORKLOAD_STACKS = ("storage", "network", "warehouse", "glue", "orchestration", "dashboards")
CI_STACK = "ci-deploy-role"
BOUNDARY_ID = "WorkloadBoundary"

# The service a role-taking resource hands its role to (iam:PassedToService).
PASSED_TO = {
    "AWS::Glue::Job": "glue.amazonaws.com",
    "AWS::Glue::Crawler": "glue.amazonaws.com",
    "AWS::CodeBuild::Project": "codebuild.amazonaws.com",
    "AWS::StepFunctions::StateMachine": "states.amazonaws.com",
    "AWS::Events::Rule": "events.amazonaws.com",
    "AWS::EC2::FlowLog": "vpc-flow-logs.amazonaws.com",
    "AWS::RedshiftServerless::Namespace": "redshift.amazonaws.com",
    "AWS::QuickSight::VPCConnection": "quicksight.amazonaws.com",
}
ROLE_PROPERTIES = ("Role", "RoleArn", "ServiceRole", "DeliverLogsPermissionArn", "IamRoles")


@dataclass
class Request:
    action: str
    resource: str
    why: str
    context: dict[str, Any] = field(default_factory=dict)
    expect: str = "Allowed"  # or "Denied"


def load_handler_permissions(path: Path = DATA) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))["types"]


def _queue_arn(url: str) -> str:
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:{PARTITION}:sqs:{REGION}:{account}:{name}"


def names(stacks: dict[str, Stack]) -> dict[str, str]:
    """Placeholder values for calls.py and asl.py, from the resolved stacks."""

    def res(stack: str, logical_id: str) -> Resource:
        return stacks[stack].resources[logical_id]

    p = stacks["storage"].parameters
    project, env = p.get("Project", "flightline"), p["EnvName"]
    region_account = f"{REGION}:{ACCOUNT}"
    values = {
        "project": project,
        "env": env,
        "region": REGION,
        "account": ACCOUNT,
        "landing": res("storage", "LandingBucket").arn,
        "artifacts": res("storage", "ArtifactsBucket").arn,
        "data_key": res("storage", "DataKey").arn,
        "warehouse_secret": res("warehouse", "WarehouseSecret").arn,
        "jdbc_secret": stacks["warehouse"].outputs["JdbcSecretArn"],
        "workgroup": stacks["warehouse"].outputs["WorkgroupArn"],
        # Redshift Serverless names namespaces by a generated id in their ARN.
        "namespace": f"arn:{PARTITION}:redshift-serverless:{region_account}:namespace/"
        "0a1b2c3d-0000-4000-8000-000000000000",
        # ManageAdminPassword: Redshift names the secret after the namespace and admin user.
        "admin_secret": f"arn:{PARTITION}:secretsmanager:{region_account}:secret:"
        f"redshift!{project}-{env}-admin-AbC123",
        "job": res("glue", "LoadJob").arn,
        "crawler": res("glue", "DailyFlightsCrawler").arn,
        "crawl_queue": res("storage", "CrawlEventQueue").arn,
        "connection_jdbc": res("glue", "WarehouseJdbcConnection").arn,
        "catalog_database": res("glue", "CatalogDatabase").arn,
        "catalog_table": res("glue", "CatalogDatabase").arn.replace(":database/", ":table/")
        + "/raw_daily_flights",
        # The job's log groups: the custom prefix's (--custom-logGroup-prefix), and the ones
        # Glue names after the role and the security configuration ("JobRun", LogGroupName).
        "glue_log_group": res("glue", "JobErrorLogGroup").arn.removesuffix(":*"),
        "glue_secure_log_group": f"arn:{PARTITION}:logs:{region_account}:log-group:/aws-glue/"
        f"jobs/{res('glue', 'SecurityConfiguration').ref}-role/{res('glue', 'JobRole').ref}/error",
        "glue_secure_log_group_api": f"arn:{PARTITION}:logs:{region_account}:log-group:/aws-glue/"
        f"jobs-{res('glue', 'JobRole').ref}-{res('glue', 'SecurityConfiguration').ref}",
        # With the security configuration's CloudWatch encryption, a crawler logs to
        # /aws-glue/crawlers-role/<role name>-<security configuration name>.
        "crawler_log_group": f"arn:{PARTITION}:logs:{region_account}:log-group:/aws-glue/"
        f"crawlers-role/{res('glue', 'CrawlerRole').ref}-{res('glue', 'SecurityConfiguration').ref}"
        f":log-stream:{res('glue', 'DailyFlightsCrawler').ref}",
        "dbt_log_group": res("orchestration", "DbtLogGroup").arn.removesuffix("*")
        + "log-stream:build/1",
        "flow_log_group": res("network", "FlowLogGroup").arn.removesuffix("*")
        + "log-stream:eni-1-all",
        **state_machine_names(stacks),
        "lock_table": res("orchestration", "LockTable").arn,
        "catalog": f"arn:{PARTITION}:glue:{region_account}:catalog",
        "topic": res("orchestration", "NoticeTopic").arn,
        "daily_file_rule": res("orchestration", "DailyFileRule").arn,
        "airports_file_rule": res("orchestration", "AirportsFileRule").arn,
        "dbt_project": res("orchestration", "DbtProject").arn,
        "nested_sync_rule": f"arn:{PARTITION}:events:{region_account}:rule/"
        "StepFunctionsGetEventsForStepFunctionsExecutionRule",
        "codebuild_sync_rule": f"arn:{PARTITION}:events:{region_account}:rule/"
        "StepFunctionsGetEventsForCodeBuildStartBuildRule",
        "execution_role": res(CI_STACK, "CloudFormationExecutionRole").arn,
        "eni": f"arn:{PARTITION}:ec2:{region_account}:network-interface/eni-0a1b2c3d",
        "subnet": res("network", "PrivateSubnetA").arn,
        "security_group": res("network", "PipelineSecurityGroup").arn,
    }
    for stack in (*WORKLOAD_STACKS, CI_STACK):
        values[f"stack_{stack}"] = (
            f"arn:{PARTITION}:cloudformation:{region_account}:stack/{project}-{env}-{stack}/0a1b"
        )
    if "dashboards" in stacks:
        values.update(
            vpc=res("network", "Vpc").arn,
            quicksight_eni=f"arn:{PARTITION}:ec2:{region_account}:network-interface/eni-0a1b2c3e",
            quicksight_security_group=res("dashboards", "QuickSightSecurityGroup").arn,
            reader_secret=stacks["warehouse"].outputs["DashboardReaderSecretArn"],
        )
    return values


def fill(call: Call, values: dict[str, str], expect: str = "Allowed") -> Request:
    def sub(text: str) -> str:
        return text.format_map(values) if "{" in text else text

    context = {
        key: [sub(v) for v in value] if isinstance(value, list) else sub(value)
        for key, value in call.context.items()
    }
    return Request(call.action, sub(call.resource), call.why, context, expect)


def state_machines(stacks: dict[str, Stack]) -> dict[str, tuple[str, str]]:
    """Every state machine of the orchestration stack: logical id -> (its role's logical id,
    the ASL file it loads, from its `Metadata: DefinitionFile`)."""
    found = {}
    for logical_id, body in stacks["orchestration"].template["Resources"].items():
        if body["Type"] != "AWS::StepFunctions::StateMachine":
            continue
        role = body["Properties"]["RoleArn"]["Fn::GetAtt"]
        role_id = role.split(".")[0] if isinstance(role, str) else role[0]
        found[logical_id] = (role_id, body["Metadata"]["DefinitionFile"])
    return found


def state_machine_names(stacks: dict[str, Stack]) -> dict[str, str]:
    """{<logical id>} and {<logical id>_execution} (an execution of it) for every machine."""
    values = {}
    for logical_id in state_machines(stacks):
        arn = stacks["orchestration"].resources[logical_id].arn
        values[logical_id] = arn
        values[f"{logical_id}_execution"] = (
            arn.replace(":stateMachine:", ":execution:") + ":2024-01-01-abc"
        )
    return values


def resource_facts(values: dict[str, str]) -> dict[str, dict[str, Any]]:
    """What AWS knows of the project's resources whatever the caller: the stack tags the
    deploy tool sets and CloudFormation propagates to the tagged resources (aws:ResourceTag),
    the data key's alias (kms:ResourceAliases). The boundary scopes by them where an ARN
    cannot (generated ids)."""
    tags = {"aws:ResourceTag/project": values["project"], "aws:ResourceTag/env": values["env"]}
    tagged = ("workgroup", "subnet", "security_group", "quicksight_security_group")
    facts: dict[str, dict[str, Any]] = {values[k]: tags for k in tagged if values.get(k)}
    facts[values["data_key"]] = {
        "kms:ResourceAliases": [f"alias/{values['project']}-{values['env']}-data"]
    }
    return facts


def _with_facts(requests: list[Request], facts: dict[str, dict[str, Any]]) -> list[Request]:
    for request in requests:
        request.context = {**facts.get(request.resource, {}), **request.context}
    return requests


def runtime_requests(stacks: dict[str, Stack], asl_dir: Path) -> dict[str, list[Request]]:
    values = names(stacks)
    facts = resource_facts(values)
    filled = {
        role: [fill(c, values) for c in asl.state_machine_calls(asl_dir / Path(file).name)]
        for role, file in state_machines(stacks).values()
    }
    filled |= {
        "TriggerRole": [fill(c, values) for c in calls.EVENTBRIDGE],
        "JobRole": [fill(c, values) for c in calls.GLUE_JOB],
        "CrawlerRole": [fill(c, values) for c in calls.GLUE_CRAWLER],
        "DbtBuildRole": [fill(c, values) for c in calls.DBT_BUILD],
        "CopyRole": [fill(c, values) for c in calls.COPY_ROLE],
        "FlowLogRole": [fill(c, values) for c in calls.FLOW_LOGS],
        "DeployRole": [fill(c, values) for c in calls.DEPLOY_TOOL]
        + [fill(c, values, "Denied") for c in calls.DEPLOY_TOOL_DENIED],
    }
    if "dashboards" in stacks:
        filled["QuickSightVpcRole"] = [fill(c, values) for c in calls.QUICKSIGHT_VPC] + [
            fill(c, values, "Denied") for c in calls.QUICKSIGHT_VPC_DENIED
        ]
        filled["DeployRole"] += [fill(c, values) for c in calls.DEPLOY_TOOL_DASHBOARDS]
    return {role: _with_facts(requests, facts) for role, requests in filled.items()}


# --- the CloudFormation execution role --------------------------------------------------


def _tags(stacks: dict[str, Stack]) -> dict[str, Any]:
    # The deploy tool tags every stack project=<Project>, env=<EnvName>; CloudFormation
    # propagates stack tags to the resources it creates.
    p = stacks["storage"].parameters
    project, env = p.get("Project", "flightline"), p["EnvName"]
    return {
        "aws:RequestTag/project": project,
        "aws:RequestTag/env": env,
        "aws:ResourceTag/project": project,
        "aws:ResourceTag/env": env,
        "aws:TagKeys": ["project", "env"],
    }


def _passed_roles(resource: Resource, stacks: dict[str, Stack]) -> list[str]:
    found: list[str] = []
    for key in ROLE_PROPERTIES:
        value = resource.properties.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and ":role/" in item:
                found.append(item)
    if resource.type == "AWS::Events::Rule":
        found += [t["RoleArn"] for t in resource.properties.get("Targets", []) if "RoleArn" in t]
    return found


def boundary_arn(stacks: dict[str, Stack]) -> str:
    return stacks[CI_STACK].resources[BOUNDARY_ID].arn


def _target(
    action: str, resource: Resource, stacks: dict[str, Stack], values: dict[str, str]
) -> list[tuple[str, dict[str, Any]]]:
    """The resource(s) a handler permission acts on, with request context."""
    service = action.split(":", 1)[0]
    own_service = resource.type.split("::")[1].lower()
    own_service = {
        "cloudwatch": "cloudwatch",
        "stepfunctions": "states",
        "redshiftserverless": "redshift-serverless",
        "secretsmanager": "secretsmanager",
    }.get(own_service, own_service)
    ctx: dict[str, Any] = {}
    if action == "iam:PassRole":
        roles = _passed_roles(resource, stacks)
        service_principal = PASSED_TO.get(resource.type, "")
        return [(r, {"iam:PassedToService": service_principal}) for r in roles]
    if action == "glue:CreateConnection":  # authorized on the catalog
        return [(f"arn:{PARTITION}:glue:{REGION}:{ACCOUNT}:catalog", {})]
    if action == "iam:CreateServiceLinkedRole":
        return [
            (
                f"arn:{PARTITION}:iam::{ACCOUNT}:role/aws-service-role/"
                "redshift.amazonaws.com/AWSServiceRoleForRedshift",
                {"iam:AWSServiceName": "redshift.amazonaws.com"},
            )
        ]
    if service == "iam" and resource.type == "AWS::IAM::Policy":
        ctx = {"iam:PermissionsBoundary": boundary_arn(stacks)}
        arns = {
            r.ref: r.arn
            for r in stacks[resource.stack].resources.values()
            if r.type == "AWS::IAM::Role"
        }
        return [(arns[name], ctx) for name in resource.properties["Roles"]]
    if service == "iam" and resource.type == "AWS::IAM::Role":
        ctx = {"iam:PermissionsBoundary": boundary_arn(stacks)}
        return [(resource.arn, ctx)]
    if service == "kms" and resource.type != "AWS::KMS::Key":
        if resource.type == "AWS::KMS::Alias":
            return [(resource.arn, {}), (values["data_key"], {})]
        return [(values["data_key"], {})]
    if service == "secretsmanager" and resource.type == "AWS::RedshiftServerless::Namespace":
        # ManageAdminPassword: Redshift creates the admin secret, named redshift!<namespace>-...
        name = resource.properties["NamespaceName"]
        return [
            (
                f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:"
                f"redshift!{name}-{resource.properties['AdminUsername']}-AbCdEf",
                {},
            )
        ]
    if service == "redshift-serverless" and "Namespace" in action:
        return [(values["namespace"], {})]
    if service == "s3" and resource.type == "AWS::StepFunctions::StateMachine":
        location = resource.properties["DefinitionS3Location"]
        return [(f"arn:{PARTITION}:s3:::{location['Bucket']}/{location['Key']}", {})]
    if service == "s3" and resource.type == "AWS::S3::BucketPolicy":
        return [(f"arn:{PARTITION}:s3:::{resource.properties['Bucket']}", {})]
    if service == "s3" and action in ("s3:DeleteObject", "s3:PutObjectAcl"):
        return [(f"{resource.arn}/example-key", {})]
    if resource.type == "AWS::SNS::TopicPolicy":
        return [(t, {}) for t in resource.properties["Topics"]]
    if resource.type == "AWS::SNS::Subscription":
        return [(resource.properties["TopicArn"], {})]
    if resource.type == "AWS::SQS::QueuePolicy":
        # Queues are given by URL (Ref): https://sqs.<region>.amazonaws.com/<account>/<name>.
        return [(_queue_arn(url), {}) for url in resource.properties["Queues"]]
    if service == "logs" and resource.type == "AWS::EC2::FlowLog":
        return [("*", {})]
    if service == "logs" and resource.type == "AWS::StepFunctions::StateMachine":
        return [("*", {})]
    if service == "ec2":
        return [(_ec2_target(action, resource, stacks), {})]
    if service == "quicksight":
        return _quicksight_target(action, resource, stacks)
    if service == own_service and resource.arn:
        return [(resource.arn, {})]
    if service == "glue" and resource.type == "AWS::Glue::SecurityConfiguration":
        return [("*", {})]
    raise ValueError(f"{resource.logical_id} ({resource.type}): no target for {action}")


def _quicksight_target(
    action: str, resource: Resource, stacks: dict[str, Stack]
) -> list[tuple[str, dict[str, Any]]]:
    """QuickSight authorizes on the resource the action names: a data set's CreateDataSet and
    PassDataSource on the data source it reads, a dashboard's PassDataSet on its data sets,
    ingestions on the data set's ingestion ("Actions defined by Amazon QuickSight", Service
    Authorization Reference)."""
    props = resource.properties
    if action in ("quicksight:PassDataSource", "quicksight:CreateDataSet"):
        tables = props.get("PhysicalTableMap", {}).values()
        return [(t[kind]["DataSourceArn"], {}) for t in tables for kind in t]
    if action == "quicksight:PassDataSet":
        declared = props.get("Definition", {}).get("DataSetIdentifierDeclarations", [])
        return [(d["DataSetArn"], {}) for d in declared]
    if action in ("quicksight:DescribeIngestion", "quicksight:CancelIngestion"):
        return [(f"{resource.arn}/ingestion/example-ingestion", {})]
    return [(resource.arn, {})]


def _ec2_target(action: str, resource: Resource, stacks: dict[str, Stack]) -> str:
    """EC2 actions authorize per resource type; ask for the one the action creates or
    changes (the VPC for in-VPC creates, the parent for attachments)."""
    vpc = stacks["network"].resources["Vpc"].arn
    props = resource.properties
    kind = resource.type
    if action.startswith("ec2:Describe"):
        return "*"
    if kind == "AWS::EC2::Route":
        return f"{vpc.split(':vpc/')[0]}:route-table/{props['RouteTableId']}"
    if kind == "AWS::EC2::SubnetRouteTableAssociation":
        return f"{vpc.split(':vpc/')[0]}:route-table/{props['RouteTableId']}"
    if kind == "AWS::EC2::VPCGatewayAttachment":
        return f"{vpc.split(':vpc/')[0]}:internet-gateway/{props['InternetGatewayId']}"
    if kind in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
        return f"{vpc.split(':vpc/')[0]}:security-group/{props['GroupId']}"
    if kind == "AWS::EC2::FlowLog" and action == "ec2:CreateFlowLogs":
        return f"{vpc.split(':vpc/')[0]}:vpc-flow-log/*"
    return resource.arn


def _unused(action: str, spec: dict[str, Any], resource: Resource) -> bool:
    for pattern, prop in spec.get("unused", {}).items():
        if fnmatch.fnmatchcase(action, pattern) and prop not in resource.properties:
            return True
    return False


class MissingSchema(KeyError):
    """A template uses a resource type without vendored handler permissions."""


def execution_role_requests(stacks: dict[str, Stack], data: dict[str, Any]) -> list[Request]:
    values = names(stacks)
    namespace = stacks["warehouse"].resources.get("Namespace")  # absent for postgres (local)
    values["namespace"] = namespace.arn if namespace else ""
    tags = _tags(stacks)
    requests: dict[tuple[str, str], Request] = {}
    for stack_name in (s for s in WORKLOAD_STACKS if s in stacks):
        for resource in stacks[stack_name].resources.values():
            spec = data.get(resource.type)
            if spec is None:
                raise MissingSchema(
                    f"{stack_name}/{resource.logical_id}: {resource.type} has no entry in "
                    f"{DATA.name}; vendor its schema's handler permissions (docs/iam-check.md)"
                )
            for handler in HANDLERS:
                for listed in spec.get(handler, []):
                    service, _, name = listed.partition(":")
                    action = f"{service.lower()}:{name}"
                    if _unused(action, spec, resource):
                        continue
                    refused = spec.get("refused", {}).get(action)
                    for target, ctx in _target(action, resource, stacks, values):
                        key = (action, target)
                        if key in requests:
                            continue
                        why = f"{resource.type} {handler} ({stack_name}/{resource.logical_id})"
                        if refused:
                            why = f"{why}; refused: {refused}"
                        expect = "Denied" if refused else "Allowed"
                        requests[key] = Request(action, target, why, {**tags, **ctx}, expect)
    return list(requests.values())


def escalation_requests(stacks: dict[str, Stack]) -> list[Request]:
    """What the execution role must be denied: roles without the boundary, touching the
    boundary or the CI roles."""
    p = stacks["storage"].parameters
    project, env = p.get("Project", "flightline"), p["EnvName"]
    workload_role = f"arn:{PARTITION}:iam::{ACCOUNT}:role/{project}-{env}-glue-JobRole-X"
    boundary = boundary_arn(stacks)
    ci_roles = [
        stacks[CI_STACK].resources[r].arn for r in ("DeployRole", "CloudFormationExecutionRole")
    ]
    denied = [
        Request("iam:CreateRole", workload_role, "a role without the boundary", {}, "Denied"),
        Request(
            "iam:CreateRole",
            workload_role,
            "a role with another boundary",
            {"iam:PermissionsBoundary": f"arn:{PARTITION}:iam::{ACCOUNT}:policy/other"},
            "Denied",
        ),
        Request("iam:PutRolePolicy", workload_role, "inline policy, no boundary", {}, "Denied"),
        Request(
            "iam:DeleteRolePermissionsBoundary", workload_role, "drop the boundary", {}, "Denied"
        ),
        Request("iam:CreatePolicyVersion", boundary, "rewrite the boundary", {}, "Denied"),
        Request("iam:DeletePolicy", boundary, "delete the boundary", {}, "Denied"),
    ]
    for role in ci_roles:
        for action in ("iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy"):
            denied.append(
                Request(
                    action,
                    role,
                    "change a CI role",
                    {"iam:PermissionsBoundary": boundary},
                    "Denied",
                )
            )
    return denied


# --- what the permissions boundary caps ---------------------------------------------------

# The identity policy a boundary is judged against: everything allowed, so what is left is
# exactly what the boundary lets through (an effective permission is the intersection of the
# two: AWS IAM User Guide, "Permissions boundaries for IAM entities").
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def boundary_cap_requests(stacks: dict[str, Stack]) -> list[Request]:
    """What no workload role may do, whatever its own policies say: escalate through IAM, or
    reach data and network resources of other projects and other environments."""
    p = stacks["storage"].parameters
    project, env = p.get("Project", "flightline"), p["EnvName"]
    other_env = "prod" if env != "prod" else "dev"
    region_account = f"{REGION}:{ACCOUNT}"
    own_role = stacks["glue"].resources["JobRole"].arn
    ci_roles = [
        stacks[CI_STACK].resources[r].arn for r in ("DeployRole", "CloudFormationExecutionRole")
    ]
    other_tags = {"aws:ResourceTag/project": "other", "aws:ResourceTag/env": "prod"}

    def deny(action: str, resource: str, why: str, context: dict | None = None) -> Request:
        return Request(action, resource, why, context or {}, "Denied")

    arn = f"arn:{PARTITION}"
    return [
        # Escalation: no workload role changes IAM or becomes another principal.
        deny("iam:PassRole", f"{arn}:iam::{ACCOUNT}:role/any-role", "pass any role"),
        deny("iam:CreatePolicyVersion", boundary_arn(stacks), "rewrite the boundary"),
        deny("iam:PutRolePolicy", own_role, "grant itself more"),
        deny("iam:AttachRolePolicy", own_role, "attach an admin policy"),
        deny("iam:DeleteRolePermissionsBoundary", own_role, "drop its boundary"),
        deny("iam:CreateRole", f"{arn}:iam::{ACCOUNT}:role/{project}-{env}-x", "a new role"),
        deny("iam:CreateAccessKey", f"{arn}:iam::{ACCOUNT}:user/admin", "long-lived keys"),
        *(deny("sts:AssumeRole", role, "become a CI role") for role in ci_roles),
        # Data of other projects and other environments of this one.
        deny("s3:GetObject", f"{arn}:s3:::other-team-data/export.csv", "another bucket"),
        deny("s3:PutObject", f"{arn}:s3:::other-team-data/export.csv", "another bucket"),
        deny(
            "s3:GetObject",
            f"{arn}:s3:::{project}-{other_env}-landing-{ACCOUNT}-{REGION}/x.csv",
            "another environment's bucket",
        ),
        deny(
            "secretsmanager:GetSecretValue",
            f"{arn}:secretsmanager:{region_account}:secret:other/prod/db-AbCdEf",
            "another secret",
        ),
        deny(
            "secretsmanager:GetSecretValue",
            f"{arn}:secretsmanager:{region_account}:secret:{project}/{other_env}/warehouse-AbCdEf",
            "another environment's secret",
        ),
        deny(
            "kms:Decrypt",
            f"{arn}:kms:{region_account}:key/11111111-2222-4333-8444-555555555555",
            "another key",
            {"kms:ResourceAliases": ["alias/other-data"]},
        ),
        deny("dynamodb:GetItem", f"{arn}:dynamodb:{region_account}:table/other", "another table"),
        deny(
            "states:StartExecution",
            f"{arn}:states:{region_account}:stateMachine:other",
            "another state machine",
        ),
        deny("sns:Publish", f"{arn}:sns:{region_account}:other", "another topic"),
        deny("sqs:ReceiveMessage", f"{arn}:sqs:{region_account}:other", "another queue"),
        deny(
            "sqs:PurgeQueue",
            f"{arn}:sqs:{region_account}:{project}-{other_env}-crawl-events",
            "another environment's queue",
        ),
        deny("codebuild:StartBuild", f"{arn}:codebuild:{region_account}:project/other", "a build"),
        deny("glue:GetTable", f"{arn}:glue:{region_account}:table/other/t", "another catalog"),
        deny(
            "redshift-data:ExecuteStatement",
            f"{arn}:redshift-serverless:{region_account}:workgroup/0a1b2c3d-other",
            "another workgroup",
            other_tags,
        ),
        deny(
            "logs:PutLogEvents",
            f"{arn}:logs:{region_account}:log-group:/other/app:log-stream:x",
            "another log group",
        ),
        # Network writes outside the project's subnets and security groups.
        deny(
            "ec2:CreateNetworkInterface",
            f"{arn}:ec2:{region_account}:subnet/subnet-0other",
            "an ENI in another subnet",
            other_tags,
        ),
        deny(
            "ec2:ModifyNetworkInterfaceAttribute",
            f"{arn}:ec2:{region_account}:security-group/sg-0other",
            "another security group",
            other_tags,
        ),
        deny(
            "ec2:AuthorizeSecurityGroupIngress",
            f"{arn}:ec2:{region_account}:security-group/sg-0other",
            "open a security group",
        ),
        deny(
            "ec2:CreateRoute",
            f"{arn}:ec2:{region_account}:route-table/rtb-0other",
            "change a route table",
        ),
    ]
