"""The offline IAM check (tools/iam_check) on the real templates, and on copies with one
thing broken: each break must fail the check, naming the principal and the request."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools.deploy.config import TEMPLATE_DIR, load_env
from tools.iam_check import check, needs
from tools.iam_check.check import PrincipalReport
from tools.iam_check.resolve import load_env_stacks


def _run(template_dir: Path | None = None) -> dict[str, PrincipalReport]:
    reports = check.run_check(load_env("dev"), template_dir=template_dir)
    return {r.logical_id: r for r in reports}


def _failing(report: PrincipalReport) -> list[tuple[str, str]]:
    return [(r.action, r.resource) for r in report.failures]


@pytest.fixture
def templates_copy(tmp_path: Path) -> Path:
    target = tmp_path / "cloudformation"
    shutil.copytree(TEMPLATE_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not unique in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_every_principal_can_do_its_job_on_the_templates() -> None:
    reports = _run()
    machine_roles = {
        role for role, _ in needs.state_machines(load_env_stacks(load_env("dev"), {})).values()
    }
    assert len(machine_roles) == 8  # one role per state machine
    assert set(reports) == {
        *check.PRINCIPALS,
        *machine_roles,
        "PermissionsBoundary",
        "BoundaryCaps",
        "PolicySize",
    }
    for report in reports.values():
        assert report.rows, f"{report.label}: nothing checked"
        assert not report.failures, check.format_report(report)
    # The findings the check exists for: the topic's and alarms' tag calls, the managed
    # admin password's secret and key grant, the state machine's .sync polling.
    execution = {(r.action, r.result) for r in reports["CloudFormationExecutionRole"].rows}
    for action in (
        "sns:TagResource",
        "cloudwatch:TagResource",
        "secretsmanager:CreateSecret",
        "kms:CreateGrant",
    ):
        assert (action, "OK") in execution, action
    deploy = {(r.action, r.result) for r in reports["DeployRole"].rows}
    assert ("cloudformation:DeleteStack", "OK") in deploy
    # Each machine role: its .sync polling (and, for a parent, the nested run's rule).
    day_load = {r.action for r in reports["DayLoadStateMachineRole"].rows if r.result == "OK"}
    assert {"glue:GetJobRun", "events:PutRule", "states:StartExecution"} <= day_load
    marts = {r.action for r in reports["MartsBuildStateMachineRole"].rows if r.result == "OK"}
    assert {"codebuild:BatchGetBuilds", "events:PutRule"} <= marts
    # The dbt lock and the day's state (issue 11's table): the table's handlers and the
    # marts build machine's lock calls (a stale holder is described, then broken).
    assert ("dynamodb:CreateTable", "OK") in execution
    assert {"dynamodb:PutItem", "dynamodb:DeleteItem", "states:DescribeExecution"} <= marts


@pytest.mark.parametrize("env", ["prod", "local"])
def test_the_other_environments_pass_too(env: str) -> None:
    # prod: other sizes; local: the postgres warehouse (no namespace, workgroup or COPY role).
    reports = check.run_check(load_env(env))
    assert [r.label for r in reports if r.failures] == []


def test_removing_one_needed_permission_fails_the_check(templates_copy: Path) -> None:
    _edit(
        templates_copy / "ci-deploy-role.yaml",
        "                  - sns:TagResource\n                  - sns:UntagResource\n",
        "                  - sns:UntagResource\n",
    )
    reports = _run(templates_copy)
    failing = _failing(reports["CloudFormationExecutionRole"])
    assert failing == [
        ("sns:TagResource", "arn:aws:sns:us-east-1:123456789012:flightline-dev-notices")
    ]
    assert all(not r.failures for k, r in reports.items() if k != "CloudFormationExecutionRole")


def test_a_state_machine_integration_without_its_sync_permission_fails(
    templates_copy: Path,
) -> None:
    role = "      Roles: [!Ref DayLoadStateMachineRole]\n"
    policy = "          - Sid: LoadJob\n            Effect: Allow\n            Action:\n"
    job = "              - glue:StartJobRun\n              - glue:GetJobRun\n"
    _edit(
        templates_copy / "orchestration.yaml",
        role
        + '      PolicyDocument:\n        Version: "2012-10-17"\n        Statement:\n'
        + policy
        + job
        + "              - glue:GetJobRuns\n",
        role
        + '      PolicyDocument:\n        Version: "2012-10-17"\n        Statement:\n'
        + policy
        + job,
    )
    failing = _failing(_run(templates_copy)["DayLoadStateMachineRole"])
    assert [action for action, _ in failing] == ["glue:GetJobRuns"]


def test_an_action_on_every_resource_fails_where_an_arn_is_supported(
    templates_copy: Path,
) -> None:
    _edit(
        templates_copy / "network.yaml",
        "              # DescribeLogGroups takes no resource ARN.\n"
        "              - Effect: Allow\n"
        "                Action: logs:DescribeLogGroups\n",
        "              - Effect: Allow\n"
        "                Action: [logs:DescribeLogGroups, logs:Put*]\n",
    )
    failing = _failing(_run(templates_copy)["FlowLogRole"])
    assert failing == [("logs:Put*", "*")]


def test_a_role_without_the_boundary_fails(templates_copy: Path) -> None:
    path = templates_copy / "warehouse.yaml"
    text = path.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines(keepends=True) if "PermissionsBoundary:" in x)
    path.write_text(text.replace(line, ""), encoding="utf-8")
    failing = _failing(_run(templates_copy)["PermissionsBoundary"])
    assert failing == [("PermissionsBoundary", "warehouse/CopyRole")]


def test_roles_without_the_boundary_condition_fail_as_escalation(templates_copy: Path) -> None:
    # The execution role may create roles only with the boundary attached; drop that
    # condition and it could create any role under the project prefix.
    _edit(
        templates_copy / "ci-deploy-role.yaml",
        "                Condition:\n"
        "                  StringEquals:\n"
        '                    "iam:PermissionsBoundary": !Ref WorkloadBoundary\n',
        "",
    )
    failing = _failing(_run(templates_copy)["CloudFormationExecutionRole"])
    assert ("iam:CreateRole", "arn:aws:iam::123456789012:role/flightline-dev-glue-JobRole-X") in (
        failing
    )
    assert (
        "iam:PutRolePolicy",
        "arn:aws:iam::123456789012:role/flightline-dev-glue-JobRole-X",
    ) in (failing)


def test_the_deploy_role_cannot_change_the_ci_stack(templates_copy: Path) -> None:
    _edit(
        templates_copy / "ci-deploy-role.yaml",
        "stack/${Project}-${EnvName}-storage/*",
        "stack/${Project}-${EnvName}-*/*",
    )
    failing = _failing(_run(templates_copy)["DeployRole"])
    assert {action for action, _ in failing} == {
        "cloudformation:CreateChangeSet",
        "cloudformation:ExecuteChangeSet",
        "cloudformation:DeleteStack",
    }


def test_a_resource_type_without_handler_permissions_is_named(templates_copy: Path) -> None:
    # Adding a resource type means vendoring its handler permissions first.
    _edit(
        templates_copy / "orchestration.yaml",
        "  # --- trigger ----",
        "  Later:\n    Type: AWS::Scheduler::Schedule\n    Properties: {}\n\n  # --- trigger ----",
    )
    with pytest.raises(
        needs.MissingSchema, match=r"AWS::Scheduler::Schedule .*handler_permissions"
    ):
        _run(templates_copy)


def test_a_role_policy_over_iams_size_quota_fails(templates_copy: Path) -> None:
    """The execution role's inline policies sit close to IAM's 10,240 characters; anything
    that pushes them over (here a longer statement id) fails offline, not at deploy."""
    assert _failing(_run()["PolicySize"]) == []
    _edit(
        templates_copy / "ci-deploy-role.yaml",
        "- Sid: ProjectOrchestration\n",
        f"- Sid: ProjectOrchestration{'X' * 300}\n",
    )
    failing = _failing(_run(templates_copy)["PolicySize"])
    assert failing == [("PolicySize", "ci-deploy-role/CloudFormationExecutionRole")]


def test_the_boundary_caps_every_workload_role_to_the_projects_resources() -> None:
    """Judged under an identity policy that allows everything, the workload boundary lets
    through no IAM change and nothing of another project or environment (issue 18, 9)."""
    caps = _run()["BoundaryCaps"]
    assert not caps.failures, check.format_report(caps)
    denied = {(r.action, r.resource.rsplit(":", 1)[-1]) for r in caps.rows if r.result == "OK"}
    for action, resource in (
        ("iam:PassRole", "role/any-role"),
        ("iam:CreatePolicyVersion", "policy/flightline-dev-workload-boundary"),
        ("s3:GetObject", "other-team-data/export.csv"),
        ("s3:GetObject", "flightline-prod-landing-123456789012-us-east-1/x.csv"),
        ("secretsmanager:GetSecretValue", "other/prod/db-AbCdEf"),
        ("kms:Decrypt", "key/11111111-2222-4333-8444-555555555555"),
        ("dynamodb:GetItem", "table/other"),
        ("states:StartExecution", "other"),
        ("ec2:CreateNetworkInterface", "subnet/subnet-0other"),
        ("ec2:CreateRoute", "route-table/rtb-0other"),
    ):
        assert (action, resource) in denied, (action, resource)


def test_a_boundary_granting_data_on_every_resource_fails(templates_copy: Path) -> None:
    _edit(
        templates_copy / "ci-deploy-role.yaml",
        "          - Sid: ProjectObjects\n",
        "          - Sid: AnyObject\n"
        "            Effect: Allow\n"
        "            Action: [s3:GetObject, secretsmanager:GetSecretValue]\n"
        '            Resource: "*"\n'
        "          - Sid: ProjectObjects\n",
    )
    failing = _failing(_run(templates_copy)["BoundaryCaps"])
    assert ("s3:GetObject", "*") in failing
    assert ("secretsmanager:GetSecretValue", "*") in failing
    assert ("s3:GetObject", "arn:aws:s3:::other-team-data/export.csv") in failing
    assert (
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:other/prod/db-AbCdEf",
    ) in failing


def test_the_job_can_log_where_its_security_configuration_sends_its_logs() -> None:
    """With the security configuration's CloudWatch encryption, Glue names the job's log
    groups after the configuration and the role, and associates the key with them; the
    custom prefix's groups get the key too (issue 18, 6)."""
    rows = {(r.action, r.resource, r.result) for r in _run()["JobRole"].rows}
    prefix = "arn:aws:logs:us-east-1:123456789012:log-group:"
    groups = (
        "/aws-glue/jobs/flightline-dev-role/flightline-dev-load-job/error",
        "/aws-glue/jobs-flightline-dev-load-job-flightline-dev",
        "/aws-glue/jobs/flightline-dev/error",
    )
    for group in groups:
        assert ("logs:AssociateKmsKey", f"{prefix}{group}", "OK") in rows, group
        assert ("logs:PutLogEvents", f"{prefix}{group}:log-stream:jr_1-driver", "OK") in rows
    for group in groups[:2]:  # Glue creates these itself when they are missing
        assert ("logs:CreateLogGroup", f"{prefix}{group}", "OK") in rows, group
