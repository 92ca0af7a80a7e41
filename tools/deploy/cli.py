"""Command line: python -m tools.deploy --env dev [--endpoint-url URL] [--region R]."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

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
    load_env,
)
from tools.deploy.stacks import DeployError, StackDeployer, StackResult

# Printed after a deploy: what a developer uploads to, watches and subscribes to.
SHOWN_OUTPUTS = {"LandingBucketName", "StateMachineArn", "NoticeTopicArn", "DeployRoleArn"}


def _log(message: str) -> None:
    print(message, flush=True)


def make_session(region: str | None, endpoint_url: str | None) -> tuple[Callable[[str], Any], str]:
    """A client factory bound to the region (and emulator endpoint, when given)."""
    session_kwargs: dict[str, Any] = {}
    if endpoint_url:
        # Emulators take any credentials; never send real ones to them.
        session_kwargs.update(aws_access_key_id="test", aws_secret_access_key="test")  # noqa: S106
    session = boto3.session.Session(region_name=region, **session_kwargs)
    if not session.region_name:
        raise ConfigError("no region: pass --region, set AWS_REGION or the env file's 'region'")
    config = Config(retries={"max_attempts": 8, "mode": "adaptive"})

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint_url, config=config)

    return client, session.region_name


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
    log: Callable[[str], None] = _log,
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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy", description=__doc__)
    parser.add_argument("--env", required=True, help="cloudformation/parameters/<env>.json")
    parser.add_argument("--endpoint-url", help="e.g. http://127.0.0.1:4566 for LocalStack")
    parser.add_argument("--region", help="default: the env file's region, then AWS config")
    parser.add_argument("--stacks", help="comma-separated subset (storage always runs)")
    parser.add_argument(
        "--cfn-role-arn",
        help="CloudFormation execution role for the workload stacks "
        f"(default: the {CI_STACK} stack's {EXECUTION_ROLE_OUTPUT} output)",
    )
    parser.add_argument("--poll-seconds", type=float, default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = load_env(args.env)
        client, region = make_session(args.region or config.region, args.endpoint_url)
        target = args.endpoint_url or f"AWS {region}"
        _log(f"deploying env {config.env} ({', '.join(config.stacks)}) to {target}")
        poll = args.poll_seconds or (0.5 if args.endpoint_url else 5.0)
        started = time.monotonic()
        results = deploy_env(
            config,
            client,
            stacks=args.stacks.split(",") if args.stacks else None,
            poll_seconds=poll,
            role_arn=args.cfn_role_arn,
        )
    except (
        ConfigError, artifacts_mod.ArtifactError, DeployError,
        warehouse_mod.WarehouseSetupError, warehouse_mod.WarehouseLoadError,
    ) as error:  # fmt: skip
        print(f"deploy failed: {error}", file=sys.stderr, flush=True)
        return 1
    except (BotoCoreError, ClientError) as error:
        # Credentials, endpoint or permission problems: say so without a traceback.
        print(f"deploy failed: AWS call failed: {error}", file=sys.stderr, flush=True)
        return 1
    summary = ", ".join(f"{r.stack} {r.action}" for r in results)
    _log(f"done in {time.monotonic() - started:.1f}s: {summary}")
    for result in results:
        for key in SHOWN_OUTPUTS & set(result.outputs):
            _log(f"  {key} = {result.outputs[key]}")
    return 0
