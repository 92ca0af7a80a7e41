"""Template and deploy-tool facts behind the deploy/IAM review (issue 9) that the IAM check
does not cover: name lengths, IAM propagation order, Glue 5.0+ logging, the CI role names and
how the deploy tool picks the role CloudFormation acts as."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tools.deploy.config import ConfigError, load_env
from tools.deploy.environment import EXECUTION_ROLE_OUTPUT, execution_role_arn

REPO_ROOT = Path(__file__).resolve().parents[2]
# The longest region names (14 characters, e.g. ap-southeast-2) and a 12-digit account.
LONGEST_REGION = "ap-southeast-2"
ACCOUNT = "123456789012"


def _max_length(pattern: str) -> int:
    """Longest value a `^[first]{1}[rest]{m,n}$` AllowedPattern admits."""
    match = re.fullmatch(r"\^\[[^\]]+\]\[[^\]]+\]\{\d+,(\d+)\}\$", pattern)
    assert match, f"unexpected pattern {pattern}"
    return 1 + int(match.group(1))


def test_every_template_constrains_project_and_env_alike(
    templates: dict[str, dict[str, Any]],
) -> None:
    patterns = {
        (t["Parameters"]["Project"]["AllowedPattern"], t["Parameters"]["EnvName"]["AllowedPattern"])
        for t in templates.values()
    }
    assert len(patterns) == 1, patterns


def test_bucket_names_fit_s3s_63_characters_at_the_longest_parameters(
    templates: dict[str, dict[str, Any]],
) -> None:
    params = templates["storage"]["Parameters"]
    values = {
        "Project": "p" * _max_length(params["Project"]["AllowedPattern"]),
        "EnvName": "e" * _max_length(params["EnvName"]["AllowedPattern"]),
        "AWS::AccountId": ACCOUNT,
        "AWS::Region": LONGEST_REGION,
    }
    names = [
        r["Properties"]["BucketName"]["Fn::Sub"]
        for r in templates["storage"]["Resources"].values()
        if r["Type"] == "AWS::S3::Bucket"
    ]
    assert len(names) == 3
    for template in names:
        name = re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], template)
        assert len(name) <= 63, f"{template}: {name} has {len(name)} characters"


def test_the_environments_names_fit_the_pattern() -> None:
    for env in ("dev", "prod", "local", "sandbox"):
        assert re.fullmatch(r"[a-z][a-z0-9]{1,6}", load_env(env).parameters["EnvName"])


def test_codebuild_and_state_machine_wait_for_their_roles_policies(
    templates: dict[str, dict[str, Any]],
) -> None:
    # CodeBuild checks the role's VPC permissions and Step Functions its log delivery when
    # they are created: the policies must exist first (separate resources, DependsOn).
    resources = templates["orchestration"]["Resources"]
    machines = [n for n, r in resources.items() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    assert len(machines) == 8
    for consumer, policy, role in [
        ("DbtProject", "DbtBuildPolicy", "DbtBuildRole"),
        *((m, f"{m}Policy", f"{m}Role") for m in machines),  # one role per machine
    ]:
        depends = resources[consumer].get("DependsOn")
        assert policy in ([depends] if isinstance(depends, str) else depends), consumer
        assert resources[policy]["Type"] == "AWS::IAM::Policy"
        assert resources[policy]["Properties"]["Roles"] == [{"Ref": role}]
        assert "Policies" not in resources[role]["Properties"], role


def test_glue_6_job_logs_to_its_own_encrypted_groups(templates: dict[str, dict[str, Any]]) -> None:
    resources = templates["glue"]["Resources"]
    job = resources["LoadJob"]["Properties"]
    assert job["GlueVersion"] == "6.0"
    arguments = job["DefaultArguments"]
    # Glue 4.0-and-earlier arguments, ignored since 5.0 ("Logging for AWS Glue jobs").
    assert "--enable-continuous-cloudwatch-log" not in arguments
    assert "--continuous-log-logGroup" not in arguments
    prefix = arguments["--custom-logGroup-prefix"]["Fn::Sub"]
    groups = {
        r["Properties"]["LogGroupName"]["Fn::Sub"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Logs::LogGroup"
    }
    assert set(groups) == {f"{prefix}/error", f"{prefix}/output"}
    for properties in groups.values():
        assert properties["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert "KmsKeyId" in properties


def test_ci_roles_live_outside_the_names_the_execution_role_may_touch(
    templates: dict[str, dict[str, Any]],
) -> None:
    resources = templates["ci-deploy-role"]["Resources"]
    for name in ("DeployRole", "CloudFormationExecutionRole"):
        properties = resources[name]["Properties"]
        assert properties["Path"] == {"Fn::Sub": "/${Project}-ci/"}
        assert properties["RoleName"]["Fn::Sub"].startswith("${Project}-ci-${EnvName}-")


# --- which role CloudFormation acts as -------------------------------------------------------


def _cfn() -> Any:
    return boto3.client(
        "cloudformation",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",  # a stubbed client: no request leaves
    )


def test_the_execution_role_comes_from_the_ci_stack_outputs() -> None:
    cfn = _cfn()
    role = "arn:aws:iam::123456789012:role/flightline-ci/flightline-ci-dev-cfn-exec"
    with Stubber(cfn) as stub:
        stub.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": "flightline-dev-ci-deploy-role",
                        "CreationTime": "2026-01-01T00:00:00Z",
                        "StackStatus": "CREATE_COMPLETE",
                        "Outputs": [{"OutputKey": EXECUTION_ROLE_OUTPUT, "OutputValue": role}],
                    }
                ]
            },
            {"StackName": "flightline-dev-ci-deploy-role"},
        )
        assert execution_role_arn(cfn, load_env("dev"), None) == role


def test_a_given_role_wins_without_any_call() -> None:
    cfn = _cfn()
    with Stubber(cfn):  # any call would fail: nothing is queued
        assert execution_role_arn(cfn, load_env("dev"), "arn:aws:iam::1:role/x") == (
            "arn:aws:iam::1:role/x"
        )


def test_without_the_ci_stack_the_deploy_says_how_to_bootstrap() -> None:
    cfn = _cfn()
    with Stubber(cfn) as stub:
        stub.add_client_error(
            "describe_stacks",
            service_error_code="ValidationError",
            service_message="Stack with id flightline-dev-ci-deploy-role does not exist",
        )
        with pytest.raises(ConfigError, match="make deploy ENV=dev STACKS=ci-deploy-role"):
            execution_role_arn(cfn, load_env("dev"), None)


# --- the sandbox commands are the local ones with another endpoint ---------------------------


def _make_dry_run(*args: str) -> list[str]:
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    command = result.stdout.replace("\\\n", " ").strip().splitlines()[-1]
    return command.split()


@pytest.mark.parametrize(
    ("target", "module"),
    [("deploy", "tools.deploy"), ("smoke", "tools.deploy.smoke"), ("e2e-aws", "tools.e2e.run_day")],
)
def test_sandbox_targets_run_the_tested_tools_with_only_the_endpoint_differing(
    target: str, module: str
) -> None:
    # The LocalStack tests run these modules' functions (deploy_env, the smoke checks,
    # e2e.run_day) against an endpoint; in a sandbox account the endpoint is AWS.
    sandbox = _make_dry_run(target, "ENV=sandbox")
    local = _make_dry_run(target, "ENV=sandbox", "ENDPOINT=http://127.0.0.1:4566")
    assert sandbox[:3] == [".venv/bin/python", "-m", module]
    assert sandbox == [w for w in local if w not in ("--endpoint-url", "http://127.0.0.1:4566")]
    assert "--endpoint-url" in local
