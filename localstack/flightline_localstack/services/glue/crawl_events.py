"""Crawlers in S3 event mode: which configurations AWS allows, and the folders a crawl reads.

AWS Glue Developer Guide, "Accelerating crawls using Amazon S3 event notifications":
- A crawler in event mode (RecrawlPolicy CRAWL_EVENT_MODE) has exactly one target, an S3
  folder with the event queue (S3Targets[].EventQueueArn), no sampling (SampleSize), not
  the "everything" wildcard s3://%.
- Its first successful crawl lists the whole target, and so does the first crawl after the
  crawler is updated ("Crawl is not running in S3 event mode"); every later crawl consumes
  the S3 events of the queue ("The crawl is running by consuming Amazon S3 events.") and
  lists only the folders they name; at most 100,000 messages per crawl; an empty queue
  costs nothing.
- The events are S3 event notifications ("Event message structure", Amazon S3 User Guide),
  sent to the queue directly or through SNS ("Setting up your account for Amazon S3 event
  notifications"); object keys in them are URL-encoded (a space as '+').

What AWS does not say, decided here (fail closed or leave things as they were):
- A configuration the page rules out is refused when the crawler is created or updated,
  with InvalidInputException (the Glue API's error for invalid input), not at crawl time.
  An event queue on a crawler that is not in event mode is refused too.
- A listing crawl leaves the queue alone: events queued before it are read again by the
  next event crawl (at most the queue's retention of them).
- Consumed messages are deleted only when the crawl succeeds; after a failure they come
  back once their visibility timeout ends, for the next crawl. A message that is neither
  an S3 notification nor S3's test event fails the crawl (it would be lost otherwise).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

EVENT_MODE = "CRAWL_EVENT_MODE"
MAX_MESSAGES_PER_CRAWL = 100_000
RECEIVE_BATCH = 10  # the most one ReceiveMessage returns
# Long enough that no message comes back to this crawl while it runs (a local crawl takes
# seconds); a failed crawl's messages reappear for the next one after it.
VISIBILITY_SECONDS = 300


class EventModeConfigError(ValueError):
    """A crawler configuration that AWS rules out for event mode."""


class EventMessageError(ValueError):
    """A queued message that is not an S3 event notification."""


def in_event_mode(recrawl_policy: dict | None) -> bool:
    return (recrawl_policy or {}).get("RecrawlBehavior") == EVENT_MODE


def check_config(targets: dict | None, recrawl_policy: dict | None) -> None:
    """Raise EventModeConfigError for what "Accelerating crawls using Amazon S3 event
    notifications" (Considerations and limitations) rules out."""
    targets = targets or {}
    s3_targets = targets.get("S3Targets") or []
    queued = [t for t in s3_targets if t.get("EventQueueArn") or t.get("DlqEventQueueArn")]
    if not in_event_mode(recrawl_policy):
        if queued:
            raise EventModeConfigError(
                "An S3 target has an EventQueueArn but RecrawlPolicy.RecrawlBehavior is not "
                f"{EVENT_MODE}"
            )
        return
    count = sum(len(items or []) for items in targets.values())
    if count != 1:
        raise EventModeConfigError(
            f"A crawler in {EVENT_MODE} supports a single target; this one has {count}"
        )
    if not s3_targets:
        raise EventModeConfigError(
            f"{EVENT_MODE} is emulated for S3 targets only (a Data Catalog target is not)"
        )
    (target,) = s3_targets
    if not target.get("EventQueueArn"):
        raise EventModeConfigError(f"{EVENT_MODE} needs the S3 target's EventQueueArn")
    if target.get("SampleSize") is not None:
        raise EventModeConfigError(
            f"Amazon S3 sampling (SampleSize) is not supported in {EVENT_MODE}"
        )
    if (target.get("Path") or "").startswith("s3://%"):
        raise EventModeConfigError(f"The path wildcard s3://% is not supported in {EVENT_MODE}")


def queue_url(sqs, queue_arn: str) -> str:
    """The queue's URL from its ARN (arn:aws:sqs:<region>:<account>:<name>)."""
    parts = queue_arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise EventMessageError(f"EventQueueArn is not an SQS queue ARN: {queue_arn}")
    account, name = parts[4], parts[5]
    return sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


def event_keys(body: str) -> list[tuple[str, str]]:
    """(bucket, key) of every S3 record in one message body: an S3 event notification, or
    one wrapped in an SNS notification; S3's test event names nothing."""
    try:
        message = json.loads(body)
    except json.JSONDecodeError as error:
        raise EventMessageError(f"not JSON: {error}") from error
    if isinstance(message, dict) and message.get("Type") == "Notification":
        return event_keys(message.get("Message") or "")
    if not isinstance(message, dict):
        raise EventMessageError("not an S3 event notification (a JSON object expected)")
    if message.get("Event") == "s3:TestEvent":
        return []
    records = message.get("Records")
    if not isinstance(records, list):
        raise EventMessageError("not an S3 event notification (no Records)")
    keys = []
    for record in records:
        s3 = record.get("s3") if isinstance(record, dict) else None
        try:
            keys.append((s3["bucket"]["name"], unquote_plus(s3["object"]["key"])))
        except (TypeError, KeyError) as error:
            raise EventMessageError(
                f"an S3 record without bucket name or object key: {error}"
            ) from None
    return keys


@dataclass
class Events:
    """What one crawl took from the queue: the folders to list and the messages to delete."""

    url: str
    folders: set[tuple[str, str]] = field(default_factory=set)  # (bucket, key prefix "a/b/")
    receipts: list[str] = field(default_factory=list)
    ignored: int = 0  # records outside the target


def folder_of(key: str) -> str:
    return key.rsplit("/", 1)[0] + "/" if "/" in key else ""


def receive(sqs, queue_arn: str, bucket: str, prefix: str) -> Events:
    """Take up to MAX_MESSAGES_PER_CRAWL messages; the folders of the records under the
    target s3://bucket/prefix."""
    events = Events(queue_url(sqs, queue_arn))
    while len(events.receipts) < MAX_MESSAGES_PER_CRAWL:
        wanted = min(RECEIVE_BATCH, MAX_MESSAGES_PER_CRAWL - len(events.receipts))
        messages = sqs.receive_message(
            QueueUrl=events.url,
            MaxNumberOfMessages=wanted,
            VisibilityTimeout=VISIBILITY_SECONDS,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            events.receipts.append(message["ReceiptHandle"])
            try:
                keys = event_keys(message.get("Body") or "")
            except EventMessageError as error:
                raise EventMessageError(f"queue message {message['MessageId']}: {error}") from None
            for event_bucket, key in keys:
                if event_bucket == bucket and key.startswith(prefix):
                    events.folders.add((bucket, folder_of(key)))
                else:
                    events.ignored += 1
    return events


def delete(sqs, events: Events) -> None:
    for start in range(0, len(events.receipts), RECEIVE_BATCH):
        batch = events.receipts[start : start + RECEIVE_BATCH]
        entries = [{"Id": str(i), "ReceiptHandle": handle} for i, handle in enumerate(batch)]
        failed = sqs.delete_message_batch(QueueUrl=events.url, Entries=entries).get("Failed")
        if failed:
            raise EventMessageError(f"could not delete consumed messages: {failed}")
