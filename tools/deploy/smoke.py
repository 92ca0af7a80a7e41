"""Read-only smoke checks of a deployed environment (run after `make deploy`).

`python -m tools.deploy.smoke --env dev [--endpoint-url URL] [--region R]`

Checks, one printed line each (`OK` or `FAIL` with the reason):

- every stack of the environment's stack list (`<project>-<env>-<stack>`) is
  CREATE_COMPLETE or UPDATE_COMPLETE (not missing, in progress, failed or rolled back);
- the state machine exists and is ACTIVE;
- the Glue job exists, and its script and its `--extra-py-files` zip(s) are objects in the
  artifacts bucket;
- every crawler the glue stack outputs (`*CrawlerName`) exists;
- every EventBridge rule the orchestration stack outputs (`*RuleName`) is ENABLED;
- the SNS notice topic exists.

Resource names come from the stacks' outputs, so the checks follow the templates. Only
describe/get/head calls are made (see REQUIRED_ACTIONS; the CI deploy role grants them).
Exit status 1 when any check fails; the last line names every failed check.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
)

from tools.deploy.config import ConfigError, EnvConfig
from tools.deploy.session import add_target_arguments, open_target

# The only stack states a smoke test accepts (a rolled-back update is *_COMPLETE too).
HEALTHY_STACK_STATES = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
# IAM actions the checks call (s3:GetObject authorizes HeadObject); the CI deploy role
# (cloudformation/ci-deploy-role.yaml) must grant each one. Kept in sync by a test.
REQUIRED_ACTIONS = (
    "cloudformation:DescribeStacks",
    "states:DescribeStateMachine",
    "glue:GetJob",
    "glue:GetCrawler",
    "events:DescribeRule",
    "sns:GetTopicAttributes",
    "s3:GetObject",
)
NOT_FOUND_CODES = {"404", "NoSuchKey", "NotFound"}


class CheckFailed(Exception):
    """A check's reason for failing (the message is printed after FAIL)."""


@dataclass(frozen=True)
class CheckResult:
    name: str  # what was checked, e.g. "stack flightline-dev-glue"
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def _error_text(error: ClientError | BotoCoreError) -> str:
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        code = info.get("Code", "?")
        message = info.get("Message") or error.response.get("ResponseMetadata", {}).get(
            "HTTPStatusCode", ""
        )
        return f"{code}: {message}" if message else str(code)
    return str(error)


def _is_not_found(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    return code in NOT_FOUND_CODES or "NotFound" in code or "does not exist" in str(error)


def parse_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise CheckFailed(f"{uri!r} is not an s3://bucket/key location")
    bucket, key = uri[5:].split("/", 1)
    if not bucket or not key:
        raise CheckFailed(f"{uri!r} is not an s3://bucket/key location")
    return bucket, key


@dataclass
class Smoke:
    config: EnvConfig
    client: Callable[[str], Any]
    log: Callable[[str], None] = print

    def __post_init__(self) -> None:
        self.results: list[CheckResult] = []
        self.outputs: dict[str, dict[str, str]] = {}

    # -- bookkeeping ---------------------------------------------------------------------
    def _check(self, name: str, check: Callable[[], str]) -> bool:
        try:
            result = CheckResult(name, True, check())
        except CheckFailed as failure:
            result = CheckResult(name, False, str(failure))
        except ClientError as error:
            reason = "not found" if _is_not_found(error) else "AWS call failed"
            result = CheckResult(name, False, f"{reason} ({_error_text(error)})")
        except (NoCredentialsError, EndpointConnectionError):
            raise  # every other check would fail the same way: stop (smoke() reports it)
        except BotoCoreError as error:
            result = CheckResult(name, False, f"AWS call failed ({_error_text(error)})")
        self.results.append(result)
        self.log(result.line())
        return result.ok

    def _output(self, stack: str, key: str) -> str:
        value = self.outputs.get(stack, {}).get(key)
        if not value:
            raise CheckFailed(f"no {key} output from stack {self.config.stack_name(stack)}")
        return value

    def _outputs_ending(self, stack: str, suffix: str) -> list[tuple[str, str]]:
        return sorted((k, v) for k, v in self.outputs.get(stack, {}).items() if k.endswith(suffix))

    # -- checks --------------------------------------------------------------------------
    def _stack(self, stack: str) -> str:
        name = self.config.stack_name(stack)
        try:
            described = self.client("cloudformation").describe_stacks(StackName=name)
        except ClientError as error:
            if "does not exist" in str(error):
                raise CheckFailed("stack does not exist") from error
            raise
        found = described["Stacks"][0]
        self.outputs[stack] = {
            o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", []) if "OutputValue" in o
        }
        status = found["StackStatus"]
        if status not in HEALTHY_STACK_STATES:
            reason = found.get("StackStatusReason")
            raise CheckFailed(f"{status}" + (f" ({reason})" if reason else ""))
        return status

    def _state_machine(self, arn: str) -> str:
        described = self.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
        status = described.get("status", "?")
        if status != "ACTIVE":
            raise CheckFailed(f"status {status}, expected ACTIVE")
        return status

    def _object(self, uri: str, bucket: str) -> str:
        found_bucket, key = parse_s3_uri(uri)
        if found_bucket != bucket:
            raise CheckFailed(f"{uri} is not in the artifacts bucket {bucket}")
        try:
            head = self.client("s3").head_object(Bucket=found_bucket, Key=key)
        except ClientError as error:
            if _is_not_found(error):
                raise CheckFailed(f"s3://{found_bucket}/{key} does not exist") from error
            raise
        return f"s3://{found_bucket}/{key} ({head.get('ContentLength', '?')} bytes)"

    def _job(self, name: str) -> dict[str, Any]:
        try:
            return self.client("glue").get_job(JobName=name)["Job"]
        except ClientError as error:
            if _is_not_found(error):
                raise CheckFailed("job does not exist") from error
            raise

    def _crawler(self, name: str) -> str:
        try:
            crawler = self.client("glue").get_crawler(Name=name)["Crawler"]
        except ClientError as error:
            if _is_not_found(error):
                raise CheckFailed("crawler does not exist") from error
            raise
        return f"exists ({crawler.get('State', '?')})"

    def _rule(self, name: str) -> str:
        try:
            state = self.client("events").describe_rule(Name=name).get("State", "?")
        except ClientError as error:
            if _is_not_found(error):
                raise CheckFailed("rule does not exist") from error
            raise
        if state != "ENABLED":
            raise CheckFailed(f"{state}, expected ENABLED")
        return state

    def _topic(self, arn: str) -> str:
        try:
            self.client("sns").get_topic_attributes(TopicArn=arn)
        except ClientError as error:
            if _is_not_found(error):
                raise CheckFailed("topic does not exist") from error
            raise
        return "exists"

    # -- run -----------------------------------------------------------------------------
    def run(self) -> list[CheckResult]:
        stacks = self.config.stacks
        for stack in stacks:
            self._check(f"stack {self.config.stack_name(stack)}", lambda s=stack: self._stack(s))
        if "orchestration" in stacks:
            self._orchestration_checks()
        if "glue" in stacks:
            self._glue_checks()
        return self.results

    def _named(self, kind: str, stack: str, key: str, check: Callable[[str], str]) -> None:
        """A check of the resource a stack output names (FAIL when the output is missing)."""
        value = self.outputs.get(stack, {}).get(key)
        if not value:
            self._check(f"{kind} ({key})", lambda: self._output(stack, key))
            return
        self._check(f"{kind} {value}", lambda: check(value))

    def _each_named(
        self, kind: str, stack: str, suffix: str, expected: str, check: Callable[[str], str]
    ) -> None:
        """Check every output of `stack` ending in `suffix`; none at all fails on `expected`."""
        found = self._outputs_ending(stack, suffix)
        if not found:
            self._check(f"{kind} (*{suffix})", lambda: self._output(stack, expected))
        for key, _ in found:
            self._named(kind, stack, key, check)

    def _orchestration_checks(self) -> None:
        self._each_named(
            "state machine",
            "orchestration",
            "StateMachineArn",
            "DayStateMachineArn",
            self._state_machine,
        )
        self._each_named("rule", "orchestration", "RuleName", "DailyFileRuleName", self._rule)
        self._named("topic", "orchestration", "NoticeTopicArn", self._topic)

    def _glue_checks(self) -> None:
        job_name = self.outputs.get("glue", {}).get("JobName")
        job: dict[str, Any] = {}

        def job_exists() -> str:
            job.update(self._job(self._output("glue", "JobName")))
            return "exists"

        job_ok = self._check(f"glue job {job_name or '(JobName)'}", job_exists)
        if job_ok:
            self._job_artifact_checks(job)
        self._each_named("crawler", "glue", "CrawlerName", "DailyFlightsCrawlerName", self._crawler)

    def _job_artifact_checks(self, job: dict[str, Any]) -> None:
        script = job.get("Command", {}).get("ScriptLocation", "")

        def artifact(uri: str, what: str) -> Callable[[], str]:
            def check() -> str:
                if not uri:
                    raise CheckFailed(f"the job has no {what}")
                return self._object(uri, self._output("storage", "ArtifactsBucketName"))

            return check

        self._check("glue job script", artifact(script, "ScriptLocation"))
        extra = job.get("DefaultArguments", {}).get("--extra-py-files", "")
        uris = [u.strip() for u in extra.split(",") if u.strip()]
        if not uris:
            self._check("glue job --extra-py-files", artifact("", "--extra-py-files argument"))
        for uri in uris:
            self._check("glue job --extra-py-files", artifact(uri, "--extra-py-files"))


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def smoke(
    config: EnvConfig,
    client: Callable[[str], Any],
    log: Callable[[str], None] = print,
    error: Callable[[str], None] = _stderr,
) -> int:
    """Run every check, print one line each and a summary; 0 when all pass, else 1."""
    try:
        results = Smoke(config, client, log).run()
    except (NoCredentialsError, EndpointConnectionError) as failure:
        error(f"smoke FAILED for env {config.env}: cannot reach AWS: {failure}")
        return 1
    failed = [r for r in results if not r.ok]
    if failed:
        error(
            f"smoke FAILED for env {config.env}: {len(failed)} of {len(results)} checks: "
            + "; ".join(f"{r.name} ({r.detail})" for r in failed)
        )
        return 1
    log(f"smoke passed for env {config.env}: {len(results)} checks")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy.smoke", description=__doc__)
    add_target_arguments(parser)
    try:
        target = open_target(parser.parse_args(argv))
    except ConfigError as error:
        print(f"smoke failed: {error}", file=sys.stderr, flush=True)
        return 1
    print(f"smoke checks of env {target.config.env} in {target.where}", flush=True)
    return smoke(target.config, target.client, lambda line: print(line, flush=True))


if __name__ == "__main__":
    sys.exit(main())
