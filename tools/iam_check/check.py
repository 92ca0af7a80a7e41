"""The offline IAM check: every principal's policies, as written in the templates, against
what it needs (needs.py), with a real evaluator (evaluator.py).

Fails on: a needed request that is not allowed; a request that must be denied (privilege
escalation; through the permissions boundary, IAM changes or other projects' and
environments' data and network) that is allowed; an Allow on resource `*` without a
condition for an action that takes a narrower ARN (or any `svc:*` / `*` action), in a role's
policies or in the boundary; an action the Service Authorization Reference does not know; a
role the workload stacks create without the permissions boundary.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.deploy.config import REPO_ROOT, EnvConfig
from tools.iam_check import evaluator, needs
from tools.iam_check.needs import CI_STACK, WORKLOAD_STACKS, Request
from tools.iam_check.resolve import ACCOUNT, Resource, Stack, load_env_stacks

ASL_DIR = REPO_ROOT / "stepfunctions"

# logical id -> (stack, label); every principal the stacks create or CI assumes.
PRINCIPALS = {
    "DeployRole": (CI_STACK, "deploy role (GitHub Actions)"),
    "CloudFormationExecutionRole": (CI_STACK, "CloudFormation execution role"),
    "TriggerRole": ("orchestration", "EventBridge role"),
    "JobRole": ("glue", "Glue job role"),
    "CrawlerRole": ("glue", "Glue crawler role"),
    "DbtBuildRole": ("orchestration", "dbt build role (CodeBuild)"),
    "CopyRole": ("warehouse", "Redshift COPY role"),
    "FlowLogRole": ("network", "VPC flow-log role"),
    "QuickSightVpcRole": ("dashboards", "QuickSight VPC connection role"),
}


@dataclass
class Row:
    result: str  # OK | FAIL
    action: str
    resource: str
    why: str


@dataclass
class PrincipalReport:
    logical_id: str
    label: str
    arn: str
    rows: list[Row] = field(default_factory=list)

    @property
    def failures(self) -> list[Row]:
        return [r for r in self.rows if r.result == "FAIL"]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _managed_policies(stacks: dict[str, Stack]) -> dict[str, Resource]:
    return {
        r.arn: r
        for s in stacks.values()
        for r in s.resources.values()
        if r.type == "AWS::IAM::ManagedPolicy"
    }


def role_policies(role: Resource, stacks: dict[str, Stack]) -> list[dict[str, Any]]:
    managed = _managed_policies(stacks)
    found = [
        {"name": p["PolicyName"], "policy": p["PolicyDocument"]}
        for p in role.properties.get("Policies", [])
    ]
    for stack in stacks.values():  # AWS::IAM::Policy resources attached to the role
        for resource in stack.resources.values():
            if resource.type == "AWS::IAM::Policy" and role.ref in resource.properties["Roles"]:
                found.append(
                    {
                        "name": resource.properties["PolicyName"],
                        "policy": resource.properties["PolicyDocument"],
                    }
                )
    for arn in role.properties.get("ManagedPolicyArns", []):
        if arn not in managed:
            raise ValueError(f"{role.logical_id}: managed policy {arn} is not in the templates")
        found.append(
            {"name": managed[arn].logical_id, "policy": managed[arn].properties["PolicyDocument"]}
        )
    return found


def role_boundary(role: Resource, stacks: dict[str, Stack]) -> list[dict[str, Any]] | None:
    arn = role.properties.get("PermissionsBoundary")
    if not arn:
        return None
    managed = _managed_policies(stacks)
    return [{"name": managed[arn].logical_id, "policy": managed[arn].properties["PolicyDocument"]}]


def _boundary_policy(stacks: dict[str, Stack]) -> list[dict[str, Any]]:
    if CI_STACK not in stacks:
        return []
    boundary = stacks[CI_STACK].resources[needs.BOUNDARY_ID]
    return [{"name": boundary.logical_id, "policy": boundary.properties["PolicyDocument"]}]


def resource_policies(stacks: dict[str, Stack]) -> dict[str, dict[str, Any]]:
    """Resource policies by the ARN prefix they govern: the data key's policy, the buckets'
    policies."""
    found: dict[str, dict[str, Any]] = {}
    storage = stacks["storage"].resources
    found[storage["DataKey"].arn] = storage["DataKey"].properties["KeyPolicy"]
    for resource in storage.values():
        if resource.type == "AWS::S3::BucketPolicy":
            found[f"arn:aws:s3:::{resource.properties['Bucket']}"] = resource.properties[
                "PolicyDocument"
            ]
    return found


def _resource_policy(resource: str, policies: dict[str, dict[str, Any]]) -> dict | None:
    for prefix, policy in policies.items():
        if resource == prefix or resource.startswith(prefix + "/"):
            return policy
    return None


def _statements(policies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for p in policies for s in _as_list(p["policy"]["Statement"])]


def evaluate(
    stacks: dict[str, Stack],
    handler_data: dict[str, Any],
    asl_dir: Path = ASL_DIR,
    run: Callable[[dict[str, Any]], dict[str, Any]] = evaluator.run,
) -> list[PrincipalReport]:
    wanted: dict[str, list[Request]] = needs.runtime_requests(stacks, asl_dir)
    wanted["CloudFormationExecutionRole"] = needs.execution_role_requests(
        stacks, handler_data
    ) + needs.escalation_requests(stacks)
    resource_pols = resource_policies(stacks)

    principals: dict[str, tuple[Resource, list[dict[str, Any]], Any]] = {}
    reports: dict[str, PrincipalReport] = {}
    actions: set[str] = set()
    patterns: set[str] = set()
    machine_roles = {
        role: ("orchestration", f"state machine role ({Path(file).name})")
        for role, file in needs.state_machines(stacks).values()
    }
    for logical_id, (stack_name, label) in {**PRINCIPALS, **machine_roles}.items():
        role = stacks[stack_name].resources.get(logical_id) if stack_name in stacks else None
        if role is None:
            continue
        policies = role_policies(role, stacks)
        principals[logical_id] = (role, policies, role_boundary(role, stacks))
        reports[logical_id] = PrincipalReport(logical_id, label, role.arn)
        actions.update(r.action for r in wanted.get(logical_id, []))
        for statement in _statements(policies):
            for action in _as_list(statement.get("Action", [])):
                (patterns if "*" in action else actions).add(action)
    # The boundary itself, judged under an identity policy that allows everything.
    boundary_policy = _boundary_policy(stacks)
    caps = needs.boundary_cap_requests(stacks) if boundary_policy else []
    reports["BoundaryCaps"] = PrincipalReport(
        "BoundaryCaps", "what the workload boundary lets through", needs.boundary_arn(stacks)
    )
    actions.update(r.action for r in caps)
    for statement in _statements(boundary_policy):
        for action in _as_list(statement.get("Action", [])):
            (patterns if "*" in action else actions).add(action)
    # First what the Service Authorization Reference says about each action: an unknown
    # action cannot be granted, a wildcard-only one is asked for on resource "*".
    meta = run({"requests": [], "actions": sorted(actions), "patterns": sorted(patterns)})

    payload: dict[str, Any] = {"requests": [], "actions": [], "patterns": []}
    index: dict[str, tuple[str, Request]] = {}
    for logical_id, (role, policies, boundary) in principals.items():
        for n, request in enumerate(wanted.get(logical_id, [])):
            info = meta["actions"][request.action]
            if not info["known"]:
                reports[logical_id].rows.append(
                    Row(
                        "n/a", request.action, request.resource, f"{request.why}: not an IAM action"
                    )
                )
                continue
            if info["wildcardOnly"]:
                request.resource = "*"
            request_id = f"{logical_id}#{n}"
            index[request_id] = (logical_id, request)
            context = {"aws:SecureTransport": "true", **request.context}
            payload["requests"].append(
                {
                    "id": request_id,
                    "principal": role.arn,
                    "action": request.action,
                    "resource": request.resource,
                    "account": ACCOUNT,
                    "context": context,
                    "policies": policies,
                    "boundary": boundary,
                    "resourcePolicy": _resource_policy(request.resource, resource_pols),
                }
            )
    cap_principal = stacks["glue"].resources["JobRole"].arn
    for n, request in enumerate(caps):
        request_id = f"BoundaryCaps#{n}"
        index[request_id] = ("BoundaryCaps", request)
        payload["requests"].append(
            {
                "id": request_id,
                "principal": cap_principal,
                "action": request.action,
                "resource": request.resource,
                "account": ACCOUNT,
                "context": {"aws:SecureTransport": "true", **request.context},
                "policies": [{"name": "allow-all", "policy": needs.ALLOW_ALL}],
                "boundary": boundary_policy,
                "resourcePolicy": None,
            }
        )
    answer = run(payload)

    for request_id, (logical_id, request) in index.items():
        decision = answer["results"][request_id]["decision"]
        allowed = decision == "Allowed"
        ok = allowed if request.expect == "Allowed" else not allowed
        shown = decision if request.expect == "Allowed" else f"{decision} (must be denied)"
        reports[logical_id].rows.append(
            Row("OK" if ok else "FAIL", request.action, request.resource, f"{request.why}: {shown}")
        )
    for logical_id, (_, policies, _) in principals.items():
        reports[logical_id].rows.extend(_wildcard_rows(_statements(policies), meta))
    # A boundary that allows data actions on every resource caps nothing for them.
    reports["BoundaryCaps"].rows.extend(_wildcard_rows(_statements(boundary_policy), meta))
    reports_list = list(reports.values())
    reports_list.append(_boundary_report(stacks))
    return reports_list


def _wildcard_rows(statements: list[dict[str, Any]], answer: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        sid = statement.get("Sid", "?")
        actions = _as_list(statement.get("Action", []))
        resources = _as_list(statement.get("Resource", []))
        for action in actions:
            if action == "*" or action.endswith(":*"):
                rows.append(Row("FAIL", action, ", ".join(resources), f"{sid}: every action"))
            elif "*" not in action and not answer["actions"][action]["known"]:
                rows.append(Row("FAIL", action, "", f"{sid}: unknown action"))
        if "*" not in resources or "Condition" in statement:
            continue
        for action in actions:
            expanded = (
                answer["expanded"][action]
                if "*" in action
                else [{"action": action, "wildcardOnly": answer["actions"][action]["wildcardOnly"]}]
            )
            narrow = [e["action"] for e in expanded if not e["wildcardOnly"]]
            if narrow:
                rows.append(
                    Row(
                        "FAIL",
                        action,
                        "*",
                        f"{sid}: resource * but {', '.join(narrow)} take(s) an ARN",
                    )
                )
    return rows


def _boundary_report(stacks: dict[str, Stack]) -> PrincipalReport:
    report = PrincipalReport("PermissionsBoundary", "roles the workload stacks create", "")
    expected = needs.boundary_arn(stacks)
    for stack_name in (s for s in WORKLOAD_STACKS if s in stacks):
        for resource in stacks[stack_name].resources.values():
            if resource.type != "AWS::IAM::Role":
                continue
            actual = resource.properties.get("PermissionsBoundary")
            ok = actual == expected
            report.rows.append(
                Row(
                    "OK" if ok else "FAIL",
                    "PermissionsBoundary",
                    f"{stack_name}/{resource.logical_id}",
                    "has the workload boundary" if ok else f"boundary is {actual or 'missing'}",
                )
            )
    return report


# IAM's size quotas (AWS IAM User Guide, "IAM and AWS STS quotas"): a role's inline policies
# together, and one managed policy, in characters without white space.
INLINE_POLICIES_QUOTA = 10_240
MANAGED_POLICY_QUOTA = 6_144
# Measured with the longest names the storage stack's Project and EnvName patterns allow, so
# no environment's names can push a deploy over a quota.
LONGEST_NAMES = {"Project": "p" * 11, "EnvName": "e" * 7}


def policy_size(document: dict[str, Any]) -> int:
    return len(re.sub(r"\s", "", json.dumps(document, separators=(",", ":"))))


def quota_report(stacks: dict[str, Stack]) -> PrincipalReport:
    report = PrincipalReport("PolicySize", "IAM policy size quotas (longest names)", "")
    for stack in stacks.values():
        for resource in stack.resources.values():
            props = resource.properties
            if resource.type == "AWS::IAM::Role":
                # Its Policies and the AWS::IAM::Policy resources attached to it alike.
                managed = {m.logical_id for m in _managed_policies(stacks).values()}
                documents = [
                    p["policy"] for p in role_policies(resource, stacks) if p["name"] not in managed
                ]
                size = sum(policy_size(d) for d in documents)
                quota, what = INLINE_POLICIES_QUOTA, "inline policies"
            elif resource.type == "AWS::IAM::ManagedPolicy":
                size, quota = policy_size(props["PolicyDocument"]), MANAGED_POLICY_QUOTA
                what = "managed policy"
            else:
                continue
            report.rows.append(
                Row(
                    "OK" if size <= quota else "FAIL",
                    "PolicySize",
                    f"{stack.name}/{resource.logical_id}",
                    f"{what}: {size} of {quota} characters",
                )
            )
    return report


def run_check(
    config: EnvConfig,
    handler_data: dict[str, Any] | None = None,
    template_dir: Path | None = None,
    asl_dir: Path = ASL_DIR,
    run: Callable[[dict[str, Any]], dict[str, Any]] = evaluator.run,
) -> list[PrincipalReport]:
    kwargs: dict[str, Any] = {"template_dir": template_dir} if template_dir else {}
    # The opt-in dashboards stack as if the env enabled it, wherever it can (QuickSight reads
    # Redshift: an env with the local PostgreSQL warehouse cannot switch it on).
    kwargs["opt_in"] = config.parameters.get("WarehouseEngine") != "postgres"
    stacks = load_env_stacks(config, {}, **kwargs)
    data = handler_data if handler_data is not None else needs.load_handler_permissions()
    longest = dataclasses.replace(config, parameters={**config.parameters, **LONGEST_NAMES})
    sizes = quota_report(load_env_stacks(longest, {}, **kwargs))
    return [*evaluate(stacks, data, asl_dir, run), sizes]


def format_report(report: PrincipalReport) -> str:
    width_action = max([len(r.action) for r in report.rows] + [6])
    width_resource = min(max([len(r.resource) for r in report.rows] + [8]), 90)
    lines = [
        f"== {report.label}: {report.logical_id} {report.arn}".rstrip(),
        f"   {'result':6}  {'action':{width_action}}  {'resource':{width_resource}}  why",
    ]
    order = {"FAIL": 0, "n/a": 1, "OK": 2}
    for row in sorted(report.rows, key=lambda r: (order[r.result], r.action, r.resource)):
        action = f"{row.action:{width_action}}"
        lines.append(f"   {row.result:6}  {action}  {row.resource:{width_resource}}  {row.why}")
    ok = len([r for r in report.rows if r.result == "OK"])
    lines.append(f"   {ok}/{len(report.rows)} OK, {len(report.failures)} FAIL")
    return "\n".join(lines)
