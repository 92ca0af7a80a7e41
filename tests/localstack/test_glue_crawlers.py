"""Glue crawlers in LocalStack crawl LocalStack S3 for real."""

from __future__ import annotations

import gzip
import time

import pytest
from botocore.exceptions import ClientError

from tests.helpers import WAIT_SECONDS, unique

HEADER = "Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay\n"
FLIGHTS_DAY1 = HEADER + "DL,11433,13303,-3,1\nAA,10397,12478,,\n"  # a cancelled flight
FLIGHTS_DAY2 = HEADER + "UA,12478,10397,75,60.5\n"
# The widely used airports file: CRLF, a space after each comma, quoted names with commas.
AIRPORTS = (
    "airport_id,city,state,name\r\n10165, Adak Island, AK, Adak\r\n"
    '10397, Atlanta, GA, "Hartsfield-Jackson Atlanta International, ATL"\r\n'
)


@pytest.fixture
def database(glue):
    name = unique("test_db").replace("-", "_")
    glue.create_database(DatabaseInput={"Name": name})
    yield name
    glue.delete_database(Name=name)


def _crawler(glue, database: str, *paths: str, **extra) -> str:
    name = unique("test-crawler")
    glue.create_crawler(
        Name=name,
        Role="arn:aws:iam::000000000000:role/crawler",
        DatabaseName=database,
        Targets={"S3Targets": [{"Path": path} for path in paths]},
        **extra,
    )
    return name


def _crawl_to_ready(glue, name: str) -> list[str]:
    """Poll the crawler until READY; return the distinct states seen, in order."""
    seen: list[str] = []
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        state = glue.get_crawler(Name=name)["Crawler"]["State"]
        if not seen or seen[-1] != state:
            seen.append(state)
        if state == "READY":
            return seen
        time.sleep(0.05)
    raise AssertionError(f"crawler {name} never READY; states seen {seen}")


def _columns(table: dict) -> dict[str, str]:
    return {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}


def test_crawl_registers_tables_partitions_and_schema(glue, s3, database, localstack_bucket):
    bucket = localstack_bucket
    s3.put_object(
        Bucket=bucket, Key="daily_flights/date=2024-01-01/flights.csv", Body=FLIGHTS_DAY1.encode()
    )
    s3.put_object(
        Bucket=bucket,
        Key="daily_flights/date=2024-01-02/flights.csv.gz",
        Body=gzip.compress(FLIGHTS_DAY2.encode()),
    )
    s3.put_object(Bucket=bucket, Key="daily_flights/_SUCCESS", Body=b"")
    s3.put_object(Bucket=bucket, Key="dim/airports.csv", Body=AIRPORTS.encode())
    crawler = _crawler(glue, database, f"s3://{bucket}/daily_flights/", f"s3://{bucket}/dim/")

    glue.start_crawler(Name=crawler)
    with pytest.raises(ClientError) as refused:
        glue.start_crawler(Name=crawler)  # still RUNNING (or STOPPING): AWS refuses both
    assert refused.value.response["Error"]["Code"] == "CrawlerRunningException"
    states = _crawl_to_ready(glue, crawler)

    assert states[-1] == "READY"
    assert "STOPPING" in states
    assert states == [s for s in ["RUNNING", "STOPPING", "READY"] if s in states]
    assert glue.get_crawler(Name=crawler)["Crawler"]["LastCrawl"]["Status"] == "SUCCEEDED"

    flights = glue.get_table(DatabaseName=database, Name="daily_flights")["Table"]
    assert _columns(flights) == {
        "carrier": "string",
        "originairportid": "bigint",
        "destairportid": "bigint",
        "depdelay": "bigint",
        "arrdelay": "double",
    }
    assert flights["PartitionKeys"] == [{"Name": "date", "Type": "string"}]
    assert flights["StorageDescriptor"]["Location"] == f"s3://{bucket}/daily_flights/"
    assert flights["Parameters"]["classification"] == "csv"
    partitions = glue.get_partitions(DatabaseName=database, TableName="daily_flights")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["2024-01-01", "2024-01-02"]
    locations = {p["Values"][0]: p["StorageDescriptor"]["Location"] for p in partitions}
    assert locations["2024-01-02"] == f"s3://{bucket}/daily_flights/date=2024-01-02/"

    airports = glue.get_table(DatabaseName=database, Name="dim")["Table"]
    assert list(_columns(airports)) == ["airport_id", "city", "state", "name"]
    assert _columns(airports)["airport_id"] == "bigint"
    assert airports["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith(
        "OpenCSVSerde"
    )


def test_bucket_root_target_makes_a_table_per_folder(glue, s3, database, localstack_bucket):
    bucket = localstack_bucket
    s3.put_object(Bucket=bucket, Key="daily_flights/date=2024-01-01/a.csv", Body=FLIGHTS_DAY1)
    s3.put_object(Bucket=bucket, Key="daily_flights/date=2024-01-02/b.csv", Body=FLIGHTS_DAY2)
    s3.put_object(Bucket=bucket, Key="dim/airports.csv", Body=AIRPORTS.encode())
    # header names trimmed and lower-cased; empty values do not decide a column's type
    s3.put_object(Bucket=bucket, Key="scores/s.csv", Body=b"A, B ,C\r\n1, x, 2.5\r\n, y, 3\r\n")
    crawler = _crawler(glue, database, f"s3://{bucket}/")

    glue.start_crawler(Name=crawler)
    _crawl_to_ready(glue, crawler)

    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=database)["TableList"]}
    assert sorted(tables) == ["daily_flights", "dim", "scores"]
    assert tables["daily_flights"]["PartitionKeys"] == [{"Name": "date", "Type": "string"}]
    assert tables["dim"]["PartitionKeys"] == []
    assert tables["dim"]["StorageDescriptor"]["Location"] == f"s3://{bucket}/dim/"
    assert _columns(tables["scores"]) == {"a": "bigint", "b": "string", "c": "double"}


def test_recrawl_adds_new_partitions_only(glue, s3, database, localstack_bucket):
    bucket = localstack_bucket
    s3.put_object(
        Bucket=bucket, Key="daily_flights/date=2024-01-01/flights.csv", Body=FLIGHTS_DAY1.encode()
    )
    crawler = _crawler(glue, database, f"s3://{bucket}/daily_flights/")
    glue.start_crawler(Name=crawler)
    _crawl_to_ready(glue, crawler)

    s3.put_object(
        Bucket=bucket, Key="daily_flights/date=2024-01-03/flights.csv", Body=FLIGHTS_DAY2.encode()
    )
    glue.start_crawler(Name=crawler)
    _crawl_to_ready(glue, crawler)

    partitions = glue.get_partitions(DatabaseName=database, TableName="daily_flights")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["2024-01-01", "2024-01-03"]


def test_crawl_into_missing_database_fails(glue, localstack_bucket):
    crawler = _crawler(glue, "no_such_database", f"s3://{localstack_bucket}/daily_flights/")
    glue.start_crawler(Name=crawler)
    _crawl_to_ready(glue, crawler)

    last = glue.get_crawler(Name=crawler)["Crawler"]["LastCrawl"]
    assert last["Status"] == "FAILED"
    assert "no_such_database" in last["ErrorMessage"]


def test_unknown_crawler_is_entity_not_found(glue):
    with pytest.raises(ClientError) as error:
        glue.start_crawler(Name=unique("missing"))
    assert error.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_a_tagged_crawler_stays_stopping_until_its_tag_is_removed(
    glue, s3, database, localstack_bucket
):
    """The tests' hold on a busy crawler (crawler_runner.STOPPING_SECONDS_TAG): STOPPING, and
    so refusing StartCrawler, for as long as the tag stays; READY soon after it is removed."""
    s3.put_object(
        Bucket=localstack_bucket, Key="daily_flights/date=2024-01-01/f.csv", Body=FLIGHTS_DAY1
    )
    crawler = _crawler(glue, database, f"s3://{localstack_bucket}/daily_flights/")
    arn = f"arn:aws:glue:{glue.meta.region_name}:000000000000:crawler/{crawler}"
    glue.tag_resource(ResourceArn=arn, TagsToAdd={"flightline:emulator-stopping-seconds": "300"})
    glue.start_crawler(Name=crawler)
    deadline = time.monotonic() + WAIT_SECONDS
    while glue.get_crawler(Name=crawler)["Crawler"]["State"] != "STOPPING":
        assert time.monotonic() < deadline, "the crawler never reached STOPPING"
        time.sleep(0.05)
    time.sleep(1.0)  # the untagged default hold (1 s) has passed
    with pytest.raises(ClientError) as refused:
        glue.start_crawler(Name=crawler)
    assert refused.value.response["Error"]["Code"] == "CrawlerRunningException"
    glue.untag_resource(ResourceArn=arn, TagsToRemove=["flightline:emulator-stopping-seconds"])
    assert _crawl_to_ready(glue, crawler)[-1] == "READY"
    assert glue.get_crawler(Name=crawler)["Crawler"]["LastCrawl"]["Status"] == "SUCCEEDED"
