"""Watch the deployed pipeline from the outside: which execution an upload started, its states
with timing as they happen, the SNS notices (through an SQS subscription) and the run summaries
the job leaves in the landing bucket.

Shared by `make demo` (tools/demo/demo.py), the end-to-end tests (tests/fixtures/pipeline.py) and
the end-to-end benchmark (tools/bench/e2e.py). Only boto3: any endpoint, LocalStack or AWS;
where the job writes its summaries comes from the job's own layout (flightline_glue.layout).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from flightline_glue import layout

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
SHA_METADATA = "flightline-sha256"


class WaitTimeout(Exception):
    """A condition did not become true in time."""


def wait_until(condition: Callable[[], Any], what: str, seconds: float, poll: float = 0.3) -> Any:
    """Poll until condition() is truthy and return it; raise WaitTimeout after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"gave up waiting for {what} after {seconds:.0f}s")
        time.sleep(poll)


# ---- uploads --------------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_sha256(s3: Any, bucket: str, key: str) -> str | None:
    """The content hash an earlier upload recorded on the object (None: no such object)."""
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return head.get("Metadata", {}).get(SHA_METADATA, "")


def upload_if_changed(s3: Any, bucket: str, key: str, path: Path) -> bool:
    """Upload `path` to `key` unless the object already holds the same content; True if sent."""
    data = path.read_bytes()
    digest = sha256(data)
    if stored_sha256(s3, bucket, key) == digest:
        return False
    s3.put_object(Bucket=bucket, Key=key, Body=data, Metadata={SHA_METADATA: digest})
    return True


# ---- executions -----------------------------------------------------------------------------


def list_executions(sfn: Any, state_machine_arn: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn):
        found.extend(page["executions"])
    return found


def own_history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    """The execution's own events, its nested executions' tasks as single states."""
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events.extend(page["events"])
    return events


# A parent starts each child with states:startExecution.sync:2; the task's submitted and
# succeeded outputs, and its failure's cause, are the child's DescribeExecution, which names it
# ("Start a new AWS Step Functions state machine execution", Step Functions Developer Guide).
NESTED_RESOURCE = "arn:aws:states:::states:startExecution"
CHILD_EVENT_FIELDS = (
    "taskSubmittedEventDetails",
    "taskSucceededEventDetails",
    "taskFailedEventDetails",
)
EXECUTION_EVENTS = {
    "ExecutionStarted",
    "ExecutionSucceeded",
    "ExecutionFailed",
    "ExecutionAborted",
    "ExecutionTimedOut",
}


def _child_arn(event: dict[str, Any]) -> str | None:
    for field in CHILD_EVENT_FIELDS:
        details = event.get(field)
        if not details or not details.get("resource", "").startswith("startExecution"):
            continue
        text = details.get("output") or details.get("cause") or ""
        try:
            described = json.loads(text)
        except ValueError:
            continue
        if isinstance(described, dict):
            arn = described.get("ExecutionArn") or described.get("executionArn")
            if arn:
                return arn
    return None


def _task_state(by_id: dict[int, dict[str, Any]], event: dict[str, Any]) -> str | None:
    """The task state a Task* event belongs to: its previousEventId chain leads back to the
    state's entered event (in a Parallel state, the branches' events interleave)."""
    seen = 0
    while event is not None and seen < 16:
        if "stateEnteredEventDetails" in event:
            return event["stateEnteredEventDetails"]["name"]
        if not event.get("type", "").startswith("Task"):
            return None
        event, seen = by_id.get(event.get("previousEventId", 0)), seen + 1
    return None


def children(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(state name, child execution ARN) of every nested execution the events started."""
    by_id = {event["id"]: event for event in events}
    found: list[tuple[str, str]] = []
    for event in events:
        arn = _child_arn(event)
        state = _task_state(by_id, event) if arn else None
        if arn and state and (state, arn) not in found:
            found.append((state, arn))
    return found


def descendants(sfn: Any, execution_arn: str) -> list[str]:
    """Every execution nested under this one, at any depth."""
    found: list[str] = []
    for _, child in children(own_history(sfn, execution_arn)):
        found += [child, *descendants(sfn, child)]
    return found


def history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    """The execution's events with each nested execution's states in place of the task state
    that ran it (recursively): a day's history shows RunGlueJob, RunDbt, ... as its own.
    The child's own start and end events are left out; the parent's are kept. Two children
    of a Parallel state come one after the other, each where its task state was entered."""
    events = own_history(sfn, execution_arn)
    by_id = {event["id"]: event for event in events}
    nested = dict(children(events))
    merged: list[dict[str, Any]] = []
    for event in events:
        entered = event.get("stateEnteredEventDetails", {}).get("name")
        exited = event.get("stateExitedEventDetails", {}).get("name")
        if entered in nested:
            merged += [
                e for e in history(sfn, nested[entered]) if e.get("type") not in EXECUTION_EVENTS
            ]
        elif exited not in nested and _task_state(by_id, event) not in nested:
            merged.append(event)  # the parent's own, its end while a child ran included
    return merged


def input_key(sfn: Any, execution_arn: str) -> str | None:
    """The S3 key of the event that started the execution (URL-decoded), if it has one."""
    described = sfn.describe_execution(executionArn=execution_arn)
    try:
        return unquote_plus(json.loads(described["input"])["detail"]["object"]["key"])
    except (KeyError, TypeError, ValueError):
        return None


class ExecutionIndex:
    """Executions of the machines S3 events start (the day and airports machines), by the
    (decoded) key of their triggering event."""

    def __init__(self, sfn: Any, *state_machine_arns: str) -> None:
        self.sfn = sfn
        self.arns = state_machine_arns
        self._keys: dict[str, str | None] = {}

    def all(self) -> list[dict[str, Any]]:
        executions = [e for arn in self.arns for e in list_executions(self.sfn, arn)]
        for execution in executions:
            arn = execution["executionArn"]
            if arn not in self._keys:
                self._keys[arn] = input_key(self.sfn, arn)
        return executions

    def key_of(self, execution_arn: str) -> str | None:
        if execution_arn not in self._keys:
            self._keys[execution_arn] = input_key(self.sfn, execution_arn)
        return self._keys[execution_arn]

    def for_key(self, key: str, exclude: Iterable[str] = ()) -> list[dict[str, Any]]:
        skip = set(exclude)
        return sorted(
            (
                e
                for e in self.all()
                if e["executionArn"] not in skip and self.key_of(e["executionArn"]) == key
            ),
            key=lambda e: e["startDate"],
        )


@dataclasses.dataclass
class StateRun:
    """One state of an execution: when it was entered and left, and how it failed if it did."""

    name: str
    entered: dt.datetime
    exited: dt.datetime | None = None
    error: str | None = None
    output: str | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.exited is None else (self.exited - self.entered).total_seconds()


def state_runs(events: list[dict[str, Any]]) -> list[StateRun]:
    """The states an execution went through, in order, from its history."""
    runs: list[StateRun] = []
    open_runs: dict[str, StateRun] = {}
    for event in events:
        if "stateEnteredEventDetails" in event:
            run = StateRun(event["stateEnteredEventDetails"]["name"], event["timestamp"])
            runs.append(run)
            open_runs[run.name] = run
        elif "stateExitedEventDetails" in event:
            details = event["stateExitedEventDetails"]
            run = open_runs.pop(details["name"], None)
            if run is not None:
                run.exited = event["timestamp"]
                run.output = details.get("output")
        else:
            for field in ("taskFailedEventDetails", "executionFailedEventDetails"):
                failed = event.get(field)
                if failed and runs:
                    runs[-1].error = failed.get("error")
    return runs


def task_errors(events: list[dict[str, Any]]) -> list[str]:
    """Errors of failed tasks (e.g. Glue.CrawlerRunningException), in order."""
    return [
        e["taskFailedEventDetails"].get("error", "")
        for e in events
        if "taskFailedEventDetails" in e
    ]


def state_outputs(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """Every output of state `name` (a polled state exits several times), parsed."""
    return [
        json.loads(e["stateExitedEventDetails"]["output"])
        for e in events
        if e.get("stateExitedEventDetails", {}).get("name") == name
    ]


def seconds_per_state(runs: list[StateRun]) -> dict[str, float]:
    """Total time per state name (a polled state counts every visit)."""
    totals: dict[str, float] = {}
    for run in runs:
        if run.seconds is not None:
            totals[run.name] = totals.get(run.name, 0.0) + run.seconds
    return totals


def follow(
    sfn: Any,
    executions: dict[str, str],
    out: Callable[[str], None] = print,
    poll: float = 0.5,
    timeout: float = 900,
    quiet_states: frozenset[str] = frozenset({"CountPoll", "StorePollCount", "CrawlerReady"}),
) -> dict[str, dict[str, Any]]:
    """Print each execution's states as they finish (label, state, seconds, time since start)
    until all have ended; returns describe_execution of each, keyed by label."""
    printed = {label: 0 for label in executions}
    ended: dict[str, dict[str, Any]] = {}
    width = max((len(label) for label in executions), default=0)
    deadline = time.monotonic() + timeout
    while len(ended) < len(executions):
        for label, arn in executions.items():
            if label in ended:
                continue
            described = sfn.describe_execution(executionArn=arn)
            runs = state_runs(history(sfn, arn))
            started = described["startDate"]
            done = [r for r in runs if r.exited is not None or r.error]
            for run in done[printed[label] :]:
                if run.name in quiet_states:
                    continue
                took = f"{run.seconds:6.1f}s" if run.seconds is not None else "   ---"
                since = ((run.exited or run.entered) - started).total_seconds()
                failed = f"  {run.error}" if run.error else ""
                out(f"  {label:<{width}}  {run.name:<24}{took}  (+{since:5.1f}s){failed}")
            printed[label] = len(done)
            if described["status"] in TERMINAL:
                total = (described["stopDate"] - started).total_seconds()
                out(f"  {label:<{width}}  => {described['status']} in {total:.1f}s")
                ended[label] = described
        if len(ended) < len(executions):
            if time.monotonic() > deadline:
                raise WaitTimeout(f"executions still running after {timeout:.0f}s")
            time.sleep(poll)
    return ended


# ---- notices --------------------------------------------------------------------------------


class NoticeInbox:
    """An SQS queue subscribed to the notice topic; keeps every message it has received."""

    def __init__(self, sqs: Any, sns: Any, topic_arn: str, queue_name: str, sfn: Any) -> None:
        self.sqs = sqs
        self.sfn = sfn
        self.url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.subscription = sns.subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        self.messages: list[dict[str, Any]] = []

    def receive(self, wait_seconds: int = 1) -> list[dict[str, Any]]:
        received = self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        for message in received:
            body = json.loads(message["Body"])
            body["notice"] = json.loads(body["Message"])
            self.messages.append(body)
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return self.messages

    def for_execution(self, execution: dict[str, Any]) -> dict[str, Any] | None:
        """The notice an execution or one of its nested executions published: success
        notices carry the run's name (run_id, which children inherit), failure notices the ARN
        of the execution that failed (the execution or a child of it)."""
        if not self.messages:
            return None
        arns = {execution["executionArn"], *descendants(self.sfn, execution["executionArn"])}
        for message in self.messages:
            notice = message["notice"]
            if notice.get("execution") in arns or notice.get("run_id") == execution["name"]:
                return message
        return None

    def wait_for(self, execution: dict[str, Any], seconds: float = 60) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            self.receive()
            return self.for_execution(execution)

        return wait_until(found, f"the notice of {execution['name']}", seconds, poll=0)

    def close(self, sns: Any) -> None:
        sns.unsubscribe(SubscriptionArn=self.subscription)
        self.sqs.delete_queue(QueueUrl=self.url)


# ---- run summaries --------------------------------------------------------------------------


def run_summary(s3: Any, bucket: str, flight_date: str, run_id: str) -> dict[str, Any] | None:
    key = layout.summary_key(run_id, flight_date)
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


def latest_summary(s3: Any, bucket: str, flight_date: str) -> dict[str, Any] | None:
    """The newest run summary of a date (any run), e.g. when a second demo loads nothing."""
    newest = None
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=layout.summaries_prefix(flight_date)
    ):
        for item in page.get("Contents", []):
            if item["Key"].endswith(f"/{layout.SUMMARY_NAME}") and (
                newest is None or item["LastModified"] > newest["LastModified"]
            ):
                newest = item
    if newest is None:
        return None
    return json.loads(s3.get_object(Bucket=bucket, Key=newest["Key"])["Body"].read())
