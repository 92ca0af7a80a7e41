"""Helpers for the LocalStack deployment tests: a throwaway environment and polling."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tools.deploy.cli import deploy_env
from tools.deploy.config import EnvConfig, load_env
from tools.deploy.stacks import StackResult
from tools.e2e_follow import history
from tools.e2e_follow import list_executions as executions

__all__ = ["executions", "history"]  # re-exported for the tests: one paging implementation

WAIT_SECONDS = 60  # upper bound for asynchronous delivery; never asserted as a duration
CSV = b"Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay\nDL,11433,13303,-3,1\n"


def throwaway_env(prefix: str, **overrides: str) -> EnvConfig:
    """cloudformation/parameters/local.json with a unique EnvName (so unique names), as
    long as the templates allow (7 characters: the bucket names stay within 63)."""
    env = f"{prefix}{uuid.uuid4().hex}"[:7]
    base = load_env("local")
    parameters = {**base.parameters, **overrides, "EnvName": env}
    return dataclasses.replace(base, env=env, parameters=parameters)


def deploy(
    config: EnvConfig, client: Callable[[str], Any], log: Callable[[str], None]
) -> list[StackResult]:
    return deploy_env(config, client, poll_seconds=0.2, log=log)


@contextlib.contextmanager
def deployed(prefix: str, client: Callable[[str], Any], **overrides: str) -> Iterator[Deployment]:
    """A throwaway environment deployed for the duration of the block, then torn down."""
    config = throwaway_env(prefix, **overrides)
    logs: list[str] = []
    results = deploy(config, client, logs.append)
    try:
        yield Deployment(config.env, results, client, logs, config)
    finally:
        teardown(client, config.env, results)


@dataclasses.dataclass
class Deployment:
    env: str
    first: list[StackResult]
    client: Callable[[str], Any]
    logs: list[str]
    config: EnvConfig

    def outputs(self, stack: str) -> dict[str, str]:
        name = f"flightline-{self.env}-{stack}"
        for result in self.first:
            if result.stack == name:
                return result.outputs
        raise KeyError(stack)

    @property
    def landing(self) -> str:
        return self.outputs("storage")["LandingBucketName"]

    @property
    def state_machine(self) -> str:
        return self.outputs("orchestration")["StateMachineArn"]


def teardown(client: Callable[[str], Any], env: str, results: list[StackResult]) -> None:
    cfn, s3 = client("cloudformation"), client("s3")
    buckets = [v for r in results for k, v in r.outputs.items() if k.endswith("BucketName")]
    for result in reversed(results):
        try:
            cfn.delete_stack(StackName=result.stack)
            cfn.get_waiter("stack_delete_complete").wait(
                StackName=result.stack, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
            )
        except Exception as error:  # best effort: never hide the test result
            print(f"teardown: {result.stack}: {error}")
    # Buckets are retained on stack deletion by design (RetainExceptOnCreate).
    for bucket in [*buckets, f"flightline-{env}-access-logs-000000000000-us-east-1"]:
        try:
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                items = page.get("Versions", []) + page.get("DeleteMarkers", [])
                if items:
                    s3.delete_objects(
                        Bucket=bucket,
                        Delete={
                            "Objects": [
                                {"Key": i["Key"], "VersionId": i["VersionId"]} for i in items
                            ]
                        },
                    )
            s3.delete_bucket(Bucket=bucket)
        except s3.exceptions.NoSuchBucket:
            pass  # LocalStack deletes RetainExceptOnCreate buckets with the stack
        except Exception as error:
            print(f"teardown: bucket {bucket}: {error}")


def wait_for(condition: Callable[[], Any], what: str, seconds: float = WAIT_SECONDS) -> Any:
    """Poll until condition() is truthy (returns it); fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"gave up waiting for {what}")


def entered(events: list[dict[str, Any]]) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e
    ]


def state_output(events: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for event in events:
        details = event.get("stateExitedEventDetails")
        if details and details["name"] == name:
            return json.loads(details["output"])
    raise AssertionError(f"state {name} never exited")


def execution_input_key(sfn: Any, execution_arn: str) -> str:
    described = sfn.describe_execution(executionArn=execution_arn)
    return json.loads(described["input"])["detail"]["object"]["key"]
