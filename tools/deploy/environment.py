"""Deploy an environment: its stacks in order, the artifacts they need, the warehouse grants.

The library behind `python -m tools.deploy` (tools/deploy/cli.py); the demo, the benchmark
and the tests deploy through it too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools.deploy import artifacts as artifacts_mod
from tools.deploy import warehouse as warehouse_mod
from tools.deploy import wheelhouse
from tools.deploy.config import (
    CI_STACK,
    REPO_ROOT,
    STACK_ORDER,
    TEMPLATE_DIR,
    ConfigError,
    EnvConfig,
)
from tools.deploy.stacks import StackDeployer, StackResult


def log_line(message: str) -> None:
    print(message, flush=True)


EXECUTION_ROLE_OUTPUT = "CloudFormationExecutionRoleArn"


def execution_role_arn(cfn: Any, config: EnvConfig, given: str | None) -> str:
    """The role CloudFormation creates the workload stacks with: the given ARN, else the CI
    role stack's output. Never the caller's own permissions: that is the path CI takes, so a
    missing permission fails every deploy the same way (cloudformation/README.md)."""
    if given:
        return given
    name = config.stack_name(CI_STACK)
    try:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    except cfn.exceptions.ClientError as error:
        if "does not exist" not in str(error):
            raise
        raise ConfigError(
            f"no stack {name}: an administrator deploys it once per account and env "
            f"(make deploy ENV={config.env} STACKS={CI_STACK}); or pass --cfn-role-arn"
        ) from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    if EXECUTION_ROLE_OUTPUT not in outputs:
        raise ConfigError(f"{name} has no {EXECUTION_ROLE_OUTPUT} output: redeploy it")
    return outputs[EXECUTION_ROLE_OUTPUT]


def deploy_env(
    config: EnvConfig,
    client: Callable[[str], Any],
    *,
    stacks: list[str] | None = None,
    root: Path = REPO_ROOT,
    template_dir: Path = TEMPLATE_DIR,
    poll_seconds: float = 3.0,
    role_arn: str | None = None,
    log: Callable[[str], None] = log_line,
) -> list[StackResult]:
    """Deploy the environment's stacks in order; returns what happened to each."""
    # The env file lists what `make deploy` deploys; --stacks may name any stack (e.g. the
    # ci-deploy-role stack an administrator deploys once per account and environment).
    unknown = sorted(set(stacks or []) - set(STACK_ORDER))
    if unknown:
        raise ConfigError(f"unknown stacks {unknown} (known: {', '.join(STACK_ORDER)})")
    selected = list(config.stacks) if stacks is None else [s for s in STACK_ORDER if s in stacks]
    cfn = client("cloudformation")
    tags = {"project": config.project, "env": config.env}
    # The CI role stack is the administrator's, created with the caller's own credentials;
    # every workload stack is created by the CloudFormation execution role it holds.
    admin = StackDeployer(cfn, log=log, poll_seconds=poll_seconds, tags=tags)
    built = [*artifacts_mod.build_all(root), wheelhouse.wheelhouse(root)]
    parameters = dict(config.parameters)
    parameters.update({artifact.parameter: artifact.key for artifact in built})
    results: list[StackResult] = []
    # storage first even when not selected (the artifacts bucket must exist for the others),
    # after the CI stack when that is selected (it holds the workload roles' boundary).
    ci = [s for s in selected if s == CI_STACK]
    workload = ["storage"] + [s for s in selected if s not in (CI_STACK, "storage")]
    if ci == selected:
        workload = []  # the administrator's bootstrap: the CI stack alone
    deployer: StackDeployer | None = None
    for stack in ci + workload:
        if stack != CI_STACK and deployer is None:
            role = execution_role_arn(cfn, config, role_arn)
            log(f"workload stacks are created by {role}")
            deployer = StackDeployer(
                cfn, log=log, poll_seconds=poll_seconds, role_arn=role, tags=tags
            )
        template = (template_dir / f"{stack}.yaml").read_text(encoding="utf-8")
        started = time.monotonic()
        result = (admin if stack == CI_STACK else deployer).deploy(  # type: ignore[union-attr]
            config.stack_name(stack), template, parameters
        )
        log(f"{result.stack}: {result.action} in {time.monotonic() - started:.1f}s")
        results.append(result)
        if stack == "storage":
            bucket = result.outputs["ArtifactsBucketName"]
            artifacts_mod.upload(client("s3"), bucket, built, log=log)
        if stack == "warehouse":
            # Grants before anything logs in: the job and dbt hold nothing else.
            warehouse_mod.set_up_after_deploy(config, result.outputs, client, log, poll_seconds)
    return results
