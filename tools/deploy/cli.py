"""Command line: python -m tools.deploy --env dev [--endpoint-url URL] [--region R].

Only parses arguments and reports: the work is tools/deploy/environment.py's deploy_env."""

from __future__ import annotations

import argparse
import sys
import time

from botocore.exceptions import BotoCoreError, ClientError

from tools.deploy import artifacts, warehouse
from tools.deploy.config import CI_STACK, ConfigError
from tools.deploy.environment import EXECUTION_ROLE_OUTPUT, deploy_env, log_line
from tools.deploy.session import add_target_arguments, open_target
from tools.deploy.stacks import DeployError

# Printed after a deploy: what a developer uploads to, watches and subscribes to.
SHOWN_OUTPUTS = {
    "LandingBucketName",
    "DayStateMachineArn",
    "AirportsStateMachineArn",
    "NoticeTopicArn",
    "DeployRoleArn",
}
FAILURES = (
    ConfigError, artifacts.ArtifactError, DeployError,
    warehouse.WarehouseSetupError, warehouse.WarehouseLoadError,
)  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy", description=__doc__)
    add_target_arguments(parser)
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
        target = open_target(args)
        config = target.config
        log_line(f"deploying env {config.env} ({', '.join(config.stacks)}) to {target.where}")
        poll = args.poll_seconds or (0.5 if args.endpoint_url else 5.0)
        started = time.monotonic()
        results = deploy_env(
            config,
            target.client,
            stacks=args.stacks.split(",") if args.stacks else None,
            poll_seconds=poll,
            role_arn=args.cfn_role_arn,
        )
    except FAILURES as error:
        print(f"deploy failed: {error}", file=sys.stderr, flush=True)
        return 1
    except (BotoCoreError, ClientError) as error:
        # Credentials, endpoint or permission problems: say so without a traceback.
        print(f"deploy failed: AWS call failed: {error}", file=sys.stderr, flush=True)
        return 1
    summary = ", ".join(f"{r.stack} {r.action}" for r in results)
    log_line(f"done in {time.monotonic() - started:.1f}s: {summary}")
    for result in results:
        for key in SHOWN_OUTPUTS & set(result.outputs):
            log_line(f"  {key} = {result.outputs[key]}")
    return 0
