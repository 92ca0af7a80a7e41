"""Resolve the templates' intrinsic functions with representative values.

Every stack of one environment is loaded with the same parameters (the env's parameter file,
the artifact keys the deploy tool would pass, defaults for the rest); each resource gets a
physical name and ARN shaped like the ones AWS gives it (generated names keep the
`<stack>-<LogicalId>-<suffix>` form CloudFormation uses), and `Fn::ImportValue` reads the
exporting stack's resolved outputs. The result is the policy documents as AWS would store
them, so a real evaluator can judge them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.deploy import cfn_yaml
from tools.deploy.config import DASHBOARDS_STACK, STACK_ORDER, TEMPLATE_DIR, EnvConfig

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
SUFFIX = "AbC123XyZ"  # CloudFormation's random suffix of generated names
NO_VALUE = object()


class ResolveError(ValueError):
    """A template uses an intrinsic or reference the resolver cannot represent."""


def _ec2(kind: str, prefix: str) -> tuple[str, str]:
    return kind, prefix


# Types whose Ref is the name property (or the generated name) and whose ARN is
# arn:<partition>:<service>:<region>:<account>:<prefix><name>.
NAMED_BY_PROPERTY = {
    "AWS::CodeBuild::Project": ("Name", "codebuild", "project/"),
    "AWS::DynamoDB::Table": ("TableName", "dynamodb", "table/"),
    "AWS::Events::Rule": ("Name", "events", "rule/"),
    "AWS::CloudWatch::Alarm": ("AlarmName", "cloudwatch", "alarm:"),
    "AWS::Glue::Job": ("Name", "glue", "job/"),
    "AWS::Glue::Crawler": ("Name", "glue", "crawler/"),
}

# Ref value prefix and ARN resource path for EC2 types (their ids are generated).
EC2_IDS = {
    "AWS::EC2::VPC": _ec2("vpc", "vpc-0a1b2c3d"),
    "AWS::EC2::Subnet": _ec2("subnet", "subnet-0a1b2c3d"),
    "AWS::EC2::RouteTable": _ec2("route-table", "rtb-0a1b2c3d"),
    "AWS::EC2::InternetGateway": _ec2("internet-gateway", "igw-0a1b2c3d"),
    "AWS::EC2::NatGateway": _ec2("natgateway", "nat-0a1b2c3d"),
    "AWS::EC2::EIP": _ec2("elastic-ip", "eipalloc-0a1b2c3d"),
    "AWS::EC2::SecurityGroup": _ec2("security-group", "sg-0a1b2c3d"),
    "AWS::EC2::VPCEndpoint": _ec2("vpc-endpoint", "vpce-0a1b2c3d"),
    "AWS::EC2::FlowLog": _ec2("vpc-flow-log", "fl-0a1b2c3d"),
    "AWS::EC2::SecurityGroupIngress": _ec2("security-group-rule", "sgr-0a1b2c3d"),
    "AWS::EC2::SecurityGroupEgress": _ec2("security-group-rule", "sgr-0a1b2c3e"),
    "AWS::EC2::SubnetRouteTableAssociation": _ec2("route-table", "rtbassoc-0a1b2c3d"),
    "AWS::EC2::Route": _ec2("route-table", "rtb-0a1b2c3d"),
    "AWS::EC2::VPCGatewayAttachment": _ec2("internet-gateway", "igw-0a1b2c3d"),
}

# QuickSight types: the id property and the ARN's resource type.
QUICKSIGHT_IDS = {
    "AWS::QuickSight::VPCConnection": ("VPCConnectionId", "vpcConnection"),
    "AWS::QuickSight::DataSource": ("DataSourceId", "datasource"),
    "AWS::QuickSight::DataSet": ("DataSetId", "dataset"),
    "AWS::QuickSight::Dashboard": ("DashboardId", "dashboard"),
}


@dataclass
class Resource:
    stack: str
    logical_id: str
    type: str
    properties: dict[str, Any]
    ref: str = ""
    arn: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Stack:
    name: str  # short name: storage, network, ...
    full_name: str
    template: dict[str, Any]
    parameters: dict[str, str]
    conditions: dict[str, bool] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)


class Resolver:
    def __init__(self, stack: Stack, exports: dict[str, str]) -> None:
        self.stack = stack
        self.exports = exports

    # -- values ------------------------------------------------------------------------------
    def pseudo(self, name: str) -> str:
        return {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": PARTITION,
            "AWS::StackName": self.stack.full_name,
            "AWS::URLSuffix": "amazonaws.com",
        }[name]

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.stack.parameters:
            return self.stack.parameters[name]
        if name in self.stack.resources:
            return self.stack.resources[name].ref
        raise ResolveError(f"{self.stack.name}: Ref {name} is neither a parameter nor a resource")

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource = self.stack.resources.get(logical_id)
        if resource is None:
            raise ResolveError(f"{self.stack.name}: GetAtt of unknown resource {logical_id}")
        if attribute == "Arn" and resource.arn:
            return resource.arn
        if attribute in resource.attributes:
            return resource.attributes[attribute]
        raise ResolveError(f"{self.stack.name}: GetAtt {logical_id}.{attribute} not represented")

    def sub(self, template: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, template)

    def condition(self, name: str) -> bool:
        return self.stack.conditions[name]

    def value(self, node: Any) -> Any:
        """Resolve a template node; NO_VALUE entries are dropped from lists and maps."""
        if isinstance(node, list):
            items = [self.value(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                parts = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(parts[0], parts[1])
            if key == "Fn::Sub":
                if isinstance(arg, str):
                    return self.sub(arg, {})
                text, variables = arg
                return self.sub(text, {k: self.value(v) for k, v in variables.items()})
            if key == "Fn::ImportValue":
                name = self.value(arg)
                if name not in self.exports:
                    raise ResolveError(f"{self.stack.name}: import {name} is exported by no stack")
                return self.exports[name]
            if key == "Fn::If":
                name, yes, no = arg
                return self.value(yes if self.condition(name) else no)
            if key == "Fn::Join":
                separator, items = arg
                return separator.join(str(i) for i in self.value(items))
            if key == "Fn::Split":
                separator, text = arg
                return self.value(text).split(separator)
            if key == "Fn::Select":
                index, items = arg
                return self.value(items)[int(self.value(index))]
            if key == "Fn::Contains":  # rule functions ("Rules" section)
                items, item = arg
                return self.value(item) in self.value(items)
            if key == "Fn::Equals":
                left, right = arg
                return self.value(left) == self.value(right)
            if key == "Fn::Not":
                return not self.value(arg[0])
            if key == "Fn::And":
                return all(self.value(a) for a in arg)
            if key == "Fn::Or":
                return any(self.value(a) for a in arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::GetAZs":
                return [f"{REGION}a", f"{REGION}b", f"{REGION}c"]
            if key == "Fn::Cidr":
                raise ResolveError(f"{self.stack.name}: Fn::Cidr is not represented")
        return {k: v for k, v in ((k, self.value(v)) for k, v in node.items()) if v is not NO_VALUE}


def _name(props: dict[str, Any], key: str, fallback: str) -> str:
    value = props.get(key)
    return value if isinstance(value, str) and value else fallback


def _identify(stack: Stack, resolver: Resolver, logical_id: str, resource: Resource) -> None:
    """Set a resource's Ref, Arn and attributes. Only name properties are resolved here
    (they may use parameters, pseudo parameters and imports, never other resources)."""
    raw = resource.properties
    generated = f"{stack.full_name}-{logical_id}-{SUFFIX}"
    arn = f"arn:{PARTITION}"

    def prop(key: str) -> Any:
        return resolver.value(raw[key]) if key in raw else None

    kind = resource.type
    if kind in NAMED_BY_PROPERTY:
        key, service, prefix = NAMED_BY_PROPERTY[kind]
        name = prop(key) or generated
        resource.ref, resource.arn = name, f"{arn}:{service}:{REGION}:{ACCOUNT}:{prefix}{name}"
    elif kind == "AWS::IAM::Role":
        name = prop("RoleName") or generated[:64]
        path = prop("Path") or "/"
        resource.ref, resource.arn = name, f"{arn}:iam::{ACCOUNT}:role{path}{name}"
        resource.attributes["RoleId"] = "AROAEXAMPLE"
    elif kind == "AWS::IAM::ManagedPolicy":
        name = prop("ManagedPolicyName") or generated
        path = prop("Path") or "/"
        resource.ref = resource.arn = f"{arn}:iam::{ACCOUNT}:policy{path}{name}"
        resource.attributes["PolicyArn"] = resource.arn
    elif kind == "AWS::IAM::OIDCProvider":
        resource.ref = resource.arn = (
            f"{arn}:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
        )
    elif kind == "AWS::S3::Bucket":
        name = prop("BucketName") or generated.lower()
        resource.ref, resource.arn = name, f"{arn}:s3:::{name}"
    elif kind == "AWS::KMS::Key":
        resource.ref = "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
        resource.arn = f"{arn}:kms:{REGION}:{ACCOUNT}:key/{resource.ref}"
        resource.attributes["KeyId"] = resource.ref
    elif kind == "AWS::KMS::Alias":
        resource.ref = prop("AliasName")
        resource.arn = f"{arn}:kms:{REGION}:{ACCOUNT}:{resource.ref}"
    elif kind == "AWS::SNS::Topic":
        name = prop("TopicName") or generated
        resource.ref = resource.arn = f"{arn}:sns:{REGION}:{ACCOUNT}:{name}"
        resource.attributes["TopicName"] = name
    elif kind == "AWS::SQS::Queue":
        name = prop("QueueName") or generated
        resource.ref = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
        resource.arn = f"{arn}:sqs:{REGION}:{ACCOUNT}:{name}"
        resource.attributes["QueueName"] = name
    elif kind == "AWS::Logs::LogGroup":
        name = prop("LogGroupName") or generated
        resource.ref = name
        resource.arn = f"{arn}:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"
    elif kind == "AWS::StepFunctions::StateMachine":
        name = prop("StateMachineName") or generated
        resource.ref = resource.arn = f"{arn}:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
        resource.attributes["Name"] = name
    elif kind == "AWS::SecretsManager::Secret":
        name = prop("Name") or generated
        resource.ref = resource.arn = (
            f"{arn}:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf"
        )
    elif kind == "AWS::Glue::Database":
        name = (prop("DatabaseInput") or {}).get("Name", generated)
        resource.ref, resource.arn = name, f"{arn}:glue:{REGION}:{ACCOUNT}:database/{name}"
    elif kind == "AWS::Glue::Connection":
        name = (prop("ConnectionInput") or {}).get("Name", generated)
        resource.ref, resource.arn = name, f"{arn}:glue:{REGION}:{ACCOUNT}:connection/{name}"
    elif kind == "AWS::Glue::SecurityConfiguration":
        resource.ref = prop("Name") or generated
    elif kind == "AWS::RedshiftServerless::Namespace":
        resource.ref = prop("NamespaceName")
        resource.arn = f"{arn}:redshift-serverless:{REGION}:{ACCOUNT}:namespace/0a1b2c3d-ns"
        resource.attributes["Namespace.NamespaceArn"] = resource.arn
    elif kind == "AWS::RedshiftServerless::Workgroup":
        resource.ref = prop("WorkgroupName")
        resource.arn = f"{arn}:redshift-serverless:{REGION}:{ACCOUNT}:workgroup/0a1b2c3d-wg"
        resource.attributes["Workgroup.WorkgroupArn"] = resource.arn
        resource.attributes["Workgroup.Endpoint.Address"] = (
            f"{resource.ref}.{ACCOUNT}.{REGION}.redshift-serverless.amazonaws.com"
        )
    elif kind in QUICKSIGHT_IDS:
        # Ref is "<account>|<id>" (the resource's primaryIdentifier); the ARN names the id
        # ("Resource types defined by Amazon QuickSight", Service Authorization Reference).
        key, segment = QUICKSIGHT_IDS[kind]
        ident = prop(key) or generated
        resource.ref = f"{ACCOUNT}|{ident}"
        resource.arn = f"{arn}:quicksight:{REGION}:{ACCOUNT}:{segment}/{ident}"
    elif kind in EC2_IDS:
        segment, ident = EC2_IDS[kind]
        resource.ref = f"{ident}{logical_id.lower()[:6]}"
        resource.arn = f"{arn}:ec2:{REGION}:{ACCOUNT}:{segment}/{resource.ref}"
        if kind == "AWS::EC2::Subnet":
            resource.attributes["AvailabilityZone"] = f"{REGION}a"
        if kind == "AWS::EC2::SecurityGroup":
            resource.attributes["GroupId"] = resource.ref
        if kind == "AWS::EC2::EIP":
            resource.attributes["AllocationId"] = resource.ref
    else:
        resource.ref = generated
        resource.arn = ""


def failed_assertions(stack: Stack) -> list[str]:
    """The template's Rules as CloudFormation checks them before creating anything: the
    description of each assertion that fails where its rule's condition holds (AWS
    CloudFormation User Guide, "Rules"). LocalStack ignores the section."""
    resolver = Resolver(stack, {})
    failed: list[str] = []
    for name, rule in stack.template.get("Rules", {}).items():
        if "RuleCondition" in rule and not resolver.value(rule["RuleCondition"]):
            continue
        for assertion in rule["Assertions"]:
            if not resolver.value(assertion["Assert"]):
                failed.append(f"{name}: {assertion.get('AssertDescription', 'assertion failed')}")
    return failed


def load_stack(
    name: str,
    parameters: dict[str, str],
    exports: dict[str, str],
    template_dir: Path = TEMPLATE_DIR,
) -> Stack:
    template = cfn_yaml.load(template_dir / f"{name}.yaml")
    declared = template.get("Parameters", {})
    values: dict[str, str] = {}
    for key, spec in declared.items():
        if key in parameters:
            values[key] = parameters[key]
        elif "Default" in spec:
            values[key] = str(spec["Default"])
        elif key.endswith("Key"):  # artifact keys, set by the deploy tool
            values[key] = f"artifacts/{key.lower()}/0a1b2c3d/{key.lower()}"
        else:
            values[key] = f"example-{key.lower()}"
    project, env = values.get("Project", "flightline"), values["EnvName"]
    stack = Stack(name, f"{project}-{env}-{name}", template, values)
    resolver = Resolver(stack, exports)
    for cond_name, expression in template.get("Conditions", {}).items():
        stack.conditions[cond_name] = bool(resolver.value(expression))
    for logical_id, body in template.get("Resources", {}).items():
        if "Condition" in body and not stack.conditions[body["Condition"]]:
            continue
        resource = Resource(name, logical_id, body["Type"], body.get("Properties", {}))
        _identify(stack, resolver, logical_id, resource)
        stack.resources[logical_id] = resource
    for resource in stack.resources.values():
        resource.properties = resolver.value(resource.properties)
    for key, body in template.get("Outputs", {}).items():
        if "Condition" in body and not stack.conditions[body["Condition"]]:
            continue
        value = resolver.value(body["Value"])
        stack.outputs[key] = value
        if "Export" in body:
            exports[resolver.value(body["Export"]["Name"])] = value
    return stack


# What an environment that opts in to the dashboards gives (cloudformation/parameters/*.json).
OPT_IN = {"EnableDashboards": "true", "DashboardViewerArn": (
    f"arn:{PARTITION}:quicksight:{REGION}:{ACCOUNT}:group/default/flightline-viewers"
)}  # fmt: skip


def load_env_stacks(
    config: EnvConfig,
    artifact_keys: dict[str, str],
    template_dir: Path = TEMPLATE_DIR,
    *,
    opt_in: bool = False,
) -> dict[str, Stack]:
    """Every stack of the environment, the CI role stack included, in dependency order.
    An opt-in stack (dashboards) is loaded where the environment enables it, or with
    `opt_in` as if it did: the IAM check judges what any environment may switch on."""
    parameters = {**OPT_IN, **config.parameters} if opt_in else dict(config.parameters)
    parameters.update(artifact_keys)
    exports: dict[str, str] = {}
    optional = set() if opt_in else {DASHBOARDS_STACK} - set(config.stacks)
    return {
        name: load_stack(name, parameters, exports, template_dir)
        for name in STACK_ORDER
        if (template_dir / f"{name}.yaml").is_file() and name not in optional
    }
