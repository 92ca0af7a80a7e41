"""Deploy one stack through a change set, wait with progress, explain failures."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tools.deploy import cfn_yaml

TEMPLATE_BODY_LIMIT = 51_200
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
NO_CHANGE_REASONS = ("didn't contain changes", "No updates are to be performed")
# A stack in one of these states has nothing worth keeping and cannot be updated.
DEAD_STATES = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"}
OK_STATES = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
# Event timestamps are the service's clock: look a little before our own start time.
CLOCK_SKEW = timedelta(seconds=5)


class DeployError(RuntimeError):
    """A stack failed to deploy; the message lists the failing resources and reasons."""


@dataclass
class StackResult:
    stack: str
    action: str  # created | updated | unchanged
    outputs: dict[str, str] = field(default_factory=dict)
    executed_change_set: str | None = None


def template_parameters(template_text: str) -> set[str]:
    return set(cfn_yaml.loads(template_text).get("Parameters", {}))


def template_outputs(template_text: str) -> set[str]:
    """Outputs the stack always has (conditional ones may be absent)."""
    outputs = cfn_yaml.loads(template_text).get("Outputs", {})
    return {key for key, value in outputs.items() if "Condition" not in value}


def _describe(cfn: Any, name: str) -> dict[str, Any] | None:
    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]
    except cfn.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return None
        raise


def template_body(name: str, template_text: str) -> str:
    """What to send as TemplateBody: the file, or, when its comments and layout take it over
    the request's limit (51,200 bytes, "CloudFormation quotas"), the same template in its
    compact JSON form, which CloudFormation takes as well ("Template format"). Over the limit
    even then: refused."""
    if len(template_text.encode()) <= TEMPLATE_BODY_LIMIT:
        return template_text
    compact = json.dumps(cfn_yaml.loads(template_text), separators=(",", ":"))
    if len(compact.encode()) > TEMPLATE_BODY_LIMIT:
        raise DeployError(f"{name}: template over {TEMPLATE_BODY_LIMIT} bytes; split it")
    return compact


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


@dataclass
class StackDeployer:
    cfn: Any
    log: Callable[[str], None] = print
    poll_seconds: float = 3.0
    timeout_seconds: float = 3600.0
    role_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep

    # -- public ------------------------------------------------------------------------------
    def deploy(self, name: str, template_text: str, parameters: dict[str, str]) -> StackResult:
        body = template_body(name, template_text)
        declared = template_parameters(template_text)
        params = [
            {"ParameterKey": key, "ParameterValue": value}
            for key, value in sorted(parameters.items())
            if key in declared
        ]
        existing = _describe(self.cfn, name)
        if existing and existing["StackStatus"] in DEAD_STATES:
            self.log(
                f"{name}: {existing['StackStatus']} from an earlier failure; deleting it first"
            )
            self._delete(name)
            existing = None
        if (
            existing
            and existing["StackStatus"].endswith("_IN_PROGRESS")
            and (existing["StackStatus"] != "REVIEW_IN_PROGRESS")
        ):
            raise DeployError(
                f"{name}: busy ({existing['StackStatus']}); try again when it settles"
            )
        create = existing is None or existing["StackStatus"] == "REVIEW_IN_PROGRESS"
        change_set = f"deploy-{datetime.now(UTC).strftime('%Y%m%d%H%M%S%f')}"
        kwargs: dict[str, Any] = {
            "StackName": name,
            "ChangeSetName": change_set,
            "ChangeSetType": "CREATE" if create else "UPDATE",
            "TemplateBody": body,
            "Parameters": params,
            "Capabilities": CAPABILITIES,
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(self.tags.items())],
        }
        if self.role_arn:
            kwargs["RoleARN"] = self.role_arn
        self.log(f"{name}: creating change set ({'create' if create else 'update'})")
        try:
            self.cfn.create_change_set(**kwargs)
        except self.cfn.exceptions.ClientError as error:
            raise DeployError(f"{name}: change set rejected: {error}") from error
        description = self._wait_change_set(name, change_set)
        if description["Status"] == "FAILED":
            reason = description.get("StatusReason", "")
            if any(marker in reason for marker in NO_CHANGE_REASONS):
                self.cfn.delete_change_set(StackName=name, ChangeSetName=change_set)
                self.log(f"{name}: no changes")
                stack = _describe(self.cfn, name) or {}
                return StackResult(name, "unchanged", _outputs(stack))
            raise DeployError(f"{name}: change set failed: {reason}")
        for change in description.get("Changes", []):
            rc = change.get("ResourceChange", {})
            replace = " (replacement)" if rc.get("Replacement") == "True" else ""
            self.log(
                f"  plan {rc.get('Action', '?'):7} {rc.get('LogicalResourceId')} "
                f"{rc.get('ResourceType', '')}{replace}"
            )
        started = datetime.now(UTC)
        self.cfn.execute_change_set(StackName=name, ChangeSetName=change_set)
        stack = self._wait_stack(name, started)
        outputs = self._complete_outputs(name, stack, template_outputs(template_text))
        return StackResult(name, "created" if create else "updated", outputs, change_set)

    def _complete_outputs(self, name: str, stack: dict[str, Any], expected: set[str]) -> dict:
        # LocalStack, under concurrent deploys, can report a stack complete a moment before
        # its outputs are resolved: read them again briefly rather than hand on a partial set.
        outputs = _outputs(stack)
        for _ in range(20):
            if expected <= outputs.keys():
                return outputs
            self.sleep(0.5)
            outputs = _outputs(_describe(self.cfn, name) or {})
        missing = ", ".join(sorted(expected - outputs.keys()))
        raise DeployError(f"{name}: completed without its outputs {missing}")

    # -- waiting -----------------------------------------------------------------------------
    def _wait_change_set(self, name: str, change_set: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            description = self.cfn.describe_change_set(StackName=name, ChangeSetName=change_set)
            if description["Status"] in ("CREATE_COMPLETE", "FAILED"):
                # Large change sets page their Changes; the plan printout wants them all.
                changes = list(description.get("Changes", []))
                token = description.get("NextToken")
                while token:
                    page = self.cfn.describe_change_set(
                        StackName=name, ChangeSetName=change_set, NextToken=token
                    )
                    changes.extend(page.get("Changes", []))
                    token = page.get("NextToken")
                description["Changes"] = changes
                return description
            if time.monotonic() > deadline:
                raise DeployError(f"{name}: change set {change_set} still {description['Status']}")
            self.sleep(self.poll_seconds)

    def _new_events(self, name: str, since: datetime, seen: set[str]) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for page in self.cfn.get_paginator("describe_stack_events").paginate(StackName=name):
            fresh = [
                e
                for e in page["StackEvents"]
                if e["Timestamp"] >= since and e["EventId"] not in seen
            ]
            events.extend(fresh)
            if len(fresh) < len(page["StackEvents"]):
                break
        events.sort(key=lambda e: e["Timestamp"])
        for event in events:
            seen.add(event["EventId"])
        return events

    def _print_event(self, event: dict[str, Any]) -> None:
        reason = event.get("ResourceStatusReason") or ""
        stamp = event["Timestamp"].strftime("%H:%M:%S")
        self.log(
            f"  {stamp} {event['ResourceStatus']:<28} {event['LogicalResourceId']:<32} "
            f"{event.get('ResourceType', '')}" + (f"  {reason}" if reason else "")
        )

    def _wait_stack(self, name: str, since: datetime) -> dict[str, Any]:
        since = since - CLOCK_SKEW
        seen: set[str] = set()
        failures: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            for event in self._new_events(name, since, seen):
                self._print_event(event)
                if event["ResourceStatus"].endswith("_FAILED"):
                    failures.append(event)
            stack = _describe(self.cfn, name)
            if stack is None:
                raise DeployError(f"{name}: stack disappeared while deploying")
            status = stack["StackStatus"]
            if not status.endswith("_IN_PROGRESS"):
                for event in self._new_events(name, since, seen):
                    self._print_event(event)
                    if event["ResourceStatus"].endswith("_FAILED"):
                        failures.append(event)
                if status in OK_STATES:
                    self.log(f"{name}: {status}")
                    return stack
                raise DeployError(self._failure_message(name, stack, failures))
            if time.monotonic() > deadline:
                raise DeployError(f"{name}: still {status} after {self.timeout_seconds:.0f}s")
            self.sleep(self.poll_seconds)

    @staticmethod
    def _failure_message(name: str, stack: dict[str, Any], failures: list[dict[str, Any]]) -> str:
        lines = [f"{name}: {stack['StackStatus']} ({stack.get('StackStatusReason', 'no reason')})"]
        # The first failure is the cause; later ones are usually "cancelled" consequences.
        for event in failures:
            reason = event.get("ResourceStatusReason") or "no reason given"
            if event["LogicalResourceId"] == name:
                continue
            resource = f"{event['LogicalResourceId']} ({event.get('ResourceType', '?')})"
            lines.append(f"  failed: {resource}: {reason}")
        return "\n".join(lines)

    def _delete(self, name: str, attempts: int = 3) -> None:
        """Delete a dead stack. DELETE_FAILED is retried: a first delete after a failed create
        often trips over resources the rollback already removed."""
        deadline = time.monotonic() + self.timeout_seconds
        stack: dict[str, Any] | None = None
        for _ in range(attempts):
            self.cfn.delete_stack(StackName=name)
            while True:
                stack = _describe(self.cfn, name)
                if stack is None or stack["StackStatus"] == "DELETE_COMPLETE":
                    return
                if stack["StackStatus"] == "DELETE_FAILED":
                    break
                if time.monotonic() > deadline:
                    raise DeployError(f"{name}: still deleting after {self.timeout_seconds:.0f}s")
                self.sleep(self.poll_seconds)
            self.sleep(self.poll_seconds)
        reason = (stack or {}).get("StackStatusReason")
        raise DeployError(f"{name}: could not delete after {attempts} attempts: {reason}")
