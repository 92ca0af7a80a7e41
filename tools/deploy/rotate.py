"""Command line: python -m tools.deploy.rotate --env dev --login crawler|reader|dbt|all.

Rotates a warehouse login's password (tools/deploy/rotation.py); only parses arguments and
reports. Scheduled monthly for dev and prod by .github/workflows/rotate.yml."""

from __future__ import annotations

import argparse
import sys

from botocore.exceptions import BotoCoreError, ClientError
from flightline_glue.warehouse.sql import WarehouseLoadError

from tools.deploy.config import ConfigError
from tools.deploy.rotation import (
    LOGIN_SECRET_OUTPUTS,
    RotationError,
    logins_of,
    rotate_env_login,
)
from tools.deploy.session import add_target_arguments, open_target
from tools.deploy.warehouse import WarehouseSetupError

FAILURES = (ConfigError, RotationError, WarehouseSetupError, WarehouseLoadError)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy.rotate", description=__doc__)
    add_target_arguments(parser)
    parser.add_argument(
        "--login",
        required=True,
        choices=[*sorted(LOGIN_SECRET_OUTPUTS), "all"],
        help="all: every password login the environment's warehouse stack has a secret for",
    )
    parser.add_argument("--poll-seconds", type=float, default=None)
    args = parser.parse_args(argv)
    try:
        target = open_target(args)
        stack = target.config.stack_name("warehouse")
        described = target.client("cloudformation").describe_stacks(StackName=stack)
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0]["Outputs"]}
        poll = args.poll_seconds or (0.5 if args.endpoint_url else 2.0)
        for login in logins_of(outputs) if args.login == "all" else [args.login]:
            rotation = rotate_env_login(outputs, target.client, login, poll)
            print(
                f"rotated the password of {rotation.user} in env {target.config.env}: "
                f"{rotation.secret_arn} AWSCURRENT is version {rotation.current_version} "
                f"(AWSPREVIOUS {rotation.previous_version})",
                flush=True,
            )
    except FAILURES as error:
        print(f"rotation failed: {error}", file=sys.stderr, flush=True)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"rotation failed: AWS call failed: {error}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
