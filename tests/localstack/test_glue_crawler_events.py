"""Glue crawlers in S3 event mode in LocalStack ("Accelerating crawls using Amazon S3 event
notifications", AWS Glue Developer Guide): the first crawl lists the whole target, later
ones list only the folders named by the S3 events queued by the bucket's notification."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.helpers import unique
from tests.localstack.test_glue_crawlers import FLIGHTS_DAY1, HEADER, _columns, _crawl_to_ready

EVENT_MODE = {"RecrawlBehavior": "CRAWL_EVENT_MODE"}
# The project's settings for the daily-flights crawler (cloudformation/glue.yaml).
ADD_NEW_COLUMNS = {
    "SchemaChangePolicy": {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
    "Configuration": json.dumps(
        {"Version": 1.0, "CrawlerOutput": {"Tables": {"AddOrUpdateBehavior": "MergeNewColumns"}}}
    ),
}


@pytest.fixture
def database(glue):
    name = unique("test_db").replace("-", "_")
    glue.create_database(DatabaseInput={"Name": name})
    yield name
    glue.delete_database(Name=name)


@pytest.fixture
def queue(localstack_client):
    """A queue that the bucket may notify; (url, arn)."""
    sqs = localstack_client("sqs")
    url = sqs.create_queue(QueueName=unique("crawl-events"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    yield url, arn
    sqs.delete_queue(QueueUrl=url)


def _notify(s3, bucket: str, queue_arn: str) -> None:
    """The landing bucket's notification (cloudformation/storage.yaml), on this bucket."""
    rule = {"Key": {"FilterRules": [{"Name": "prefix", "Value": "daily_flights/"}]}}
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"], "Filter": rule},
                {"QueueArn": queue_arn, "Events": ["s3:ObjectRemoved:*"], "Filter": rule},
            ]
        },
    )


def _event_crawler(glue, database: str, bucket: str, queue_arn: str) -> str:
    name = unique("test-crawler")
    glue.create_crawler(
        Name=name,
        Role="arn:aws:iam::000000000000:role/crawler",
        DatabaseName=database,
        Targets={
            "S3Targets": [{"Path": f"s3://{bucket}/daily_flights/", "EventQueueArn": queue_arn}]
        },
        RecrawlPolicy=EVENT_MODE,
        **ADD_NEW_COLUMNS,
    )
    return name


def _crawl(glue, name: str) -> None:
    glue.start_crawler(Name=name)
    _crawl_to_ready(glue, name)
    last = glue.get_crawler(Name=name)["Crawler"]["LastCrawl"]
    assert last["Status"] == "SUCCEEDED", last.get("ErrorMessage")


def _days(glue, database: str) -> list[str]:
    partitions = glue.get_partitions(DatabaseName=database, TableName="daily_flights")
    return sorted(p["Values"][0] for p in partitions["Partitions"])


def _queued(sqs, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def _put(s3, bucket: str, key: str, body: str) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode())


def test_later_crawls_read_only_the_folders_of_queued_events(
    glue, s3, localstack_client, database, localstack_bucket, queue
):
    bucket, (url, arn) = localstack_bucket, queue
    sqs = localstack_client("sqs")
    _put(s3, bucket, "daily_flights/date=2024-01-01/flights.csv", FLIGHTS_DAY1)
    _put(s3, bucket, "daily_flights/date=2024-01-02/flights.csv", FLIGHTS_DAY1)
    crawler = _event_crawler(glue, database, bucket, arn)

    _crawl(glue, crawler)  # the first crawl lists the whole target
    assert _days(glue, database) == ["2024-01-01", "2024-01-02"]

    # Changes S3 never told the queue about: a day folder, and an old day's header.
    _put(s3, bucket, "daily_flights/date=2024-01-04/flights.csv", FLIGHTS_DAY1)
    secret = HEADER.replace("\n", ",Secret\n") + "DL,11433,13303,-3,1,x\n"
    _put(s3, bucket, "daily_flights/date=2024-01-02/flights.csv", secret)
    _notify(s3, bucket, arn)
    # A new day with a new column, in a key S3 URL-encodes in the event ('=', a space).
    distance = HEADER.replace("\n", ",Distance\n") + "UA,12478,10397,75,60.5,2475\n"
    _put(s3, bucket, "daily_flights/date=2024-01-03/flights day3.csv", distance)
    _put(s3, bucket, "daily_flights/date=2024-01-03/_SUCCESS", "")  # an event, not data
    assert _queued(sqs, url) >= 2  # S3's test event and the new day's object

    _crawl(glue, crawler)

    assert _days(glue, database) == ["2024-01-01", "2024-01-02", "2024-01-03"]
    table = glue.get_table(DatabaseName=database, Name="daily_flights")["Table"]
    assert list(_columns(table)) == [
        "carrier",
        "originairportid",
        "destairportid",
        "depdelay",
        "arrdelay",
        "distance",
    ]
    assert _columns(table)["distance"] == "bigint"
    assert _columns(table)["arrdelay"] == "bigint"  # an existing column keeps its type
    assert _queued(sqs, url) == 0  # consumed messages are deleted

    # An empty queue: nothing is listed, the unannounced day stays unknown.
    _crawl(glue, crawler)
    assert _days(glue, database) == ["2024-01-01", "2024-01-02", "2024-01-03"]


def test_a_crawl_after_an_update_lists_the_whole_target_again(
    glue, s3, database, localstack_bucket, queue
):
    bucket, (_, arn) = localstack_bucket, queue
    _put(s3, bucket, "daily_flights/date=2024-01-01/flights.csv", FLIGHTS_DAY1)
    crawler = _event_crawler(glue, database, bucket, arn)
    _crawl(glue, crawler)
    _put(s3, bucket, "daily_flights/date=2024-01-02/flights.csv", FLIGHTS_DAY1)  # no event
    _crawl(glue, crawler)
    assert _days(glue, database) == ["2024-01-01"]

    glue.update_crawler(Name=crawler, Description="changed")
    _crawl(glue, crawler)

    assert _days(glue, database) == ["2024-01-01", "2024-01-02"]


@pytest.mark.parametrize(
    ("targets", "recrawl", "reason"),
    [
        (
            lambda b, q: {
                "S3Targets": [
                    {"Path": f"s3://{b}/daily_flights/", "EventQueueArn": q},
                    {"Path": f"s3://{b}/dim/"},
                ]
            },
            EVENT_MODE,
            "single target",
        ),
        (
            lambda b, q: {
                "S3Targets": [
                    {"Path": f"s3://{b}/daily_flights/", "EventQueueArn": q, "SampleSize": 5}
                ]
            },
            EVENT_MODE,
            "sampling",
        ),
        (
            lambda b, q: {"S3Targets": [{"Path": f"s3://{b}/daily_flights/", "EventQueueArn": q}]},
            {"RecrawlBehavior": "CRAWL_EVERYTHING"},
            "EventQueueArn",
        ),
        (
            lambda b, q: {"S3Targets": [{"Path": f"s3://{b}/daily_flights/"}]},
            EVENT_MODE,
            "EventQueueArn",
        ),
    ],
    ids=["two-targets", "sampling", "queue-without-event-mode", "event-mode-without-queue"],
)
def test_event_mode_refuses_what_aws_rules_out(
    glue, database, localstack_bucket, queue, targets, recrawl, reason
):
    bucket, (_, arn) = localstack_bucket, queue
    name = unique("test-crawler")
    with pytest.raises(ClientError) as refused:
        glue.create_crawler(
            Name=name,
            Role="arn:aws:iam::000000000000:role/crawler",
            DatabaseName=database,
            Targets=targets(bucket, arn),
            RecrawlPolicy=recrawl,
        )
    assert refused.value.response["Error"]["Code"] == "InvalidInputException"
    assert reason in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError):
        glue.get_crawler(Name=name)  # nothing was created

    # Updating a valid crawler into such a configuration is refused the same way.
    crawler = _event_crawler(glue, database, bucket, arn)
    with pytest.raises(ClientError) as refused:
        glue.update_crawler(Name=crawler, Targets=targets(bucket, arn), RecrawlPolicy=recrawl)
    assert refused.value.response["Error"]["Code"] == "InvalidInputException"
