"""Disposable environments: deploy one under a unique name, use it, destroy it.

The end-to-end tests and the end-to-end benchmark deploy `cloudformation/parameters/local.json`
under a throwaway EnvName so that runs never share resources, and destroy it afterwards.
Emulators only: the `local` env file is the only base, and the deploy role in AWS holds no
bucket deletion (tools/iam_check does not declare these calls for it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from tools.deploy.config import EnvConfig, load_env
from tools.deploy.environment import deploy_env
from tools.deploy.stacks import StackResult

# EnvName allows 7 characters: the bucket names built from it stay within 63.
ENV_NAME_LENGTH = 7


def disposable_env(prefix: str, **overrides: str) -> EnvConfig:
    """The `local` environment file with a unique EnvName (so unique resource names)."""
    env = f"{prefix}{uuid.uuid4().hex}"[:ENV_NAME_LENGTH]
    config = load_env("local")
    parameters = {**config.parameters, **overrides, "EnvName": env}
    return dataclasses.replace(config, env=env, parameters=parameters)


@dataclasses.dataclass
class Deployment:
    """A deployed environment: its stacks' results, the client factory and the deploy log."""

    env: str
    first: list[StackResult]
    client: Callable[[str], Any]
    logs: list[str]
    config: EnvConfig

    def outputs(self, stack: str) -> dict[str, str]:
        name = self.config.stack_name(stack)
        for result in self.first:
            if result.stack == name:
                return result.outputs
        raise KeyError(stack)

    @property
    def landing(self) -> str:
        return self.outputs("storage")["LandingBucketName"]

    def state_machine(self, name: str) -> str:
        """A machine's ARN by its output's stem: "Day", "MartsBuild", "MissedDay", ..."""
        return self.outputs("orchestration")[f"{name}StateMachineArn"]

    @property
    def event_machines(self) -> tuple[str, str]:
        """The machines an S3 upload starts (through the rules): day and airports."""
        return self.state_machine("Day"), self.state_machine("Airports")


def deploy_disposable(
    config: EnvConfig, client: Callable[[str], Any], poll_seconds: float = 0.2
) -> Deployment:
    logs: list[str] = []
    results = deploy_env(config, client, poll_seconds=poll_seconds, log=logs.append)
    return Deployment(config.env, results, client, logs, config)


@contextlib.contextmanager
def deployed(
    prefix: str, client: Callable[[str], Any], *, poll_seconds: float = 0.2, **overrides: str
) -> Iterator[Deployment]:
    """A disposable environment deployed for the duration of the block, then destroyed."""
    deployment = deploy_disposable(disposable_env(prefix, **overrides), client, poll_seconds)
    try:
        yield deployment
    finally:
        destroy(client, deployment.env, deployment.first)


def destroy(client: Callable[[str], Any], env: str, results: list[StackResult]) -> None:
    """Delete the stacks (newest first) and the buckets they retain; best effort, so a
    failure here never hides the result of what ran in the environment."""
    cfn, s3 = client("cloudformation"), client("s3")
    buckets = [v for r in results for k, v in r.outputs.items() if k.endswith("BucketName")]
    for result in reversed(results):
        try:
            cfn.delete_stack(StackName=result.stack)
            cfn.get_waiter("stack_delete_complete").wait(
                StackName=result.stack, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
            )
        except Exception as error:
            print(f"destroy: {result.stack}: {error}")
    # Buckets are retained on stack deletion by design (RetainExceptOnCreate).
    for bucket in [*buckets, f"flightline-{env}-access-logs-000000000000-us-east-1"]:
        try:
            empty_bucket(s3, bucket)
            s3.delete_bucket(Bucket=bucket)
        except s3.exceptions.NoSuchBucket:
            pass  # LocalStack deletes RetainExceptOnCreate buckets with the stack
        except Exception as error:
            print(f"destroy: bucket {bucket}: {error}")


def empty_bucket(s3: Any, bucket: str) -> None:
    """Delete every version and delete marker of a bucket."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        items = page.get("Versions", []) + page.get("DeleteMarkers", [])
        if items:
            objects = [{"Key": i["Key"], "VersionId": i["VersionId"]} for i in items]
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
