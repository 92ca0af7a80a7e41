"""The IAM check covers the opt-in dashboards stack (QuickSight) though no environment enables
it: the VPC connection's role, its boundary, and what the execution and deploy roles need to
create the stack. Each break below must fail the check, naming the principal and request."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools.deploy.config import TEMPLATE_DIR, load_env
from tools.iam_check import check
from tools.iam_check.check import PrincipalReport

ROLE = "arn:aws:iam::123456789012:role/flightline-dev-dashboards-QuickSightVpcRole-AbC123XyZ"
ENI = "arn:aws:ec2:us-east-1:123456789012:network-interface/eni-0a1b2c3e"


def _run(template_dir: Path | None = None, env: str = "dev") -> dict[str, PrincipalReport]:
    reports = check.run_check(load_env(env), template_dir=template_dir)
    return {r.logical_id: r for r in reports}


def _failing(report: PrincipalReport) -> list[tuple[str, str]]:
    return sorted((r.action, r.resource) for r in report.failures)


@pytest.fixture
def templates_copy(tmp_path: Path) -> Path:
    target = tmp_path / "cloudformation"
    shutil.copytree(TEMPLATE_DIR, target)
    return target


def _drop_lines(path: Path, *needles: str) -> None:
    """Remove every line containing one of the needles (each must occur)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for needle in needles:
        assert any(needle in line for line in lines), f"{needle!r} not in {path.name}"
    kept = [line for line in lines if not any(n in line for n in needles)]
    path.write_text("".join(kept), encoding="utf-8")


def test_the_dashboards_stack_is_checked_though_no_environment_enables_it() -> None:
    assert "dashboards" not in load_env("dev").stacks
    reports = _run()
    role = reports["QuickSightVpcRole"]
    assert role.arn == ROLE
    assert not role.failures, check.format_report(role)
    granted = {(r.action, r.resource) for r in role.rows if r.result == "OK"}
    for action in (
        "ec2:CreateNetworkInterface",
        "ec2:ModifyNetworkInterfaceAttribute",
        "ec2:DeleteNetworkInterface",
    ):
        assert (action, ENI) in granted
    assert {"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"} <= {a for a, _ in granted}
    execution = {r.action for r in reports["CloudFormationExecutionRole"].rows if r.result == "OK"}
    assert {
        "quicksight:CreateVPCConnection",
        "quicksight:CreateDataSource",
        "quicksight:CreateDataSet",
        "quicksight:PassDataSet",
        "quicksight:CreateDashboard",
    } <= execution
    boundary = {r.resource: r.result for r in reports["PermissionsBoundary"].rows}
    assert boundary["dashboards/QuickSightVpcRole"] == "OK"
    deploy = {
        (r.action, r.result) for r in reports["DeployRole"].rows if "dashboards" in r.resource
    }
    assert ("cloudformation:ExecuteChangeSet", "OK") in deploy


def test_the_local_warehouse_cannot_have_dashboards() -> None:
    # QuickSight reads Redshift; the postgres env has no reader secret to import.
    assert "QuickSightVpcRole" not in _run(env="local")


def test_removing_a_permission_quicksight_needs_fails_the_check(templates_copy: Path) -> None:
    _drop_lines(templates_copy / "dashboards.yaml", "- ec2:ModifyNetworkInterfaceAttribute")
    assert _failing(_run(templates_copy)["QuickSightVpcRole"]) == [
        ("ec2:ModifyNetworkInterfaceAttribute", ENI),
        (
            "ec2:ModifyNetworkInterfaceAttribute",
            "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0a1b2c3dquicks",
        ),
    ]


def test_an_interface_outside_the_vpc_is_refused_by_the_vpc_condition(
    templates_copy: Path,
) -> None:
    path = templates_copy / "dashboards.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index(
        "            Condition:\n              StringEquals:\n                ec2:Vpc:"
    )
    end = text.index("          - Sid: TheQuickSightGroup")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    failing = _run(templates_copy)["QuickSightVpcRole"].failures
    assert [(r.action, r.why) for r in failing] == [
        ("ec2:CreateNetworkInterface", "ENI outside the pipeline's VPC: Allowed (must be denied)")
    ]


def test_the_quicksight_role_without_the_boundary_fails(templates_copy: Path) -> None:
    path = templates_copy / "dashboards.yaml"
    text = path.read_text(encoding="utf-8")
    boundary = (
        "      PermissionsBoundary:\n"
        "        Fn::Sub: arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/"
        "${Project}-${EnvName}-workload-boundary\n"
    )
    assert text.count(boundary) == 1
    path.write_text(text.replace(boundary, ""), encoding="utf-8")
    failing = _failing(_run(templates_copy)["PermissionsBoundary"])
    assert failing == [("PermissionsBoundary", "dashboards/QuickSightVpcRole")]


def test_the_boundary_caps_the_quicksight_role(templates_copy: Path) -> None:
    # The boundary once lacked ModifyNetworkInterfaceAttribute: QuickSight's VPC connection
    # would have failed on AWS though the role's own policy granted it.
    path = templates_copy / "ci-deploy-role.yaml"
    text = path.read_text(encoding="utf-8")
    line = "              - ec2:ModifyNetworkInterfaceAttribute\n"
    assert text.count(line) == 2  # on the interfaces, and on the project's security groups
    path.write_text(text.replace(line, ""), encoding="utf-8")
    failing = _run(templates_copy)["QuickSightVpcRole"].failures
    assert {r.action for r in failing} == {"ec2:ModifyNetworkInterfaceAttribute"}


def test_the_execution_role_without_a_quicksight_handler_permission_fails(
    templates_copy: Path,
) -> None:
    _drop_lines(templates_copy / "ci-deploy-role.yaml", "- quicksight:PassDataSet")
    failing = _failing(_run(templates_copy)["CloudFormationExecutionRole"])
    assert {action for action, _ in failing} == {"quicksight:PassDataSet"}
    assert {resource.rsplit("/", 1)[0] for _, resource in failing} == {
        "arn:aws:quicksight:us-east-1:123456789012:dataset"
    }
