"""The day crawl machine, run whole for real in LocalStack (its Glue crawler, Data Catalog and
DynamoDB): after the day's job, it crawls only when the day's headers, as the job read them,
are not the ones the catalog table was last crawled from; otherwise it registers the day's
partition itself.

The headers come from the job's own code (flightline_glue.headers) reading the same bytes the
test uploads, so a `.gz` day and a day of several files are decided as the pipeline decides.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from flightline_glue.headers import header_summary
from flightline_glue.inputs import discover_day
from flightline_glue.storage import LocalStorage

from tests.helpers import unique

from .asl_fragment import fragment, reachable, run
from .conftest import machine_fixture

asl = machine_fixture("day_crawl")
HEADER = "Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay"
TABLE = "raw_daily_flights"  # the crawler's TablePrefix raw_ + the folder, as deployed


def _csv(header: str, row: str = "DL,11433,13303,-3,1") -> bytes:
    return f"{header}\n{row}\n".encode()


@pytest.fixture
def catalog(localstack_client, localstack_bucket, tmp_path) -> Any:
    """A bucket, a catalog database with a crawler over daily_flights/, a pipeline-state table
    and a topic: what the day crawl machine's substitutions name."""
    glue, ddb, sns = (localstack_client(s) for s in ("glue", "dynamodb", "sns"))
    database = unique("crawl_db").replace("-", "_")
    glue.create_database(DatabaseInput={"Name": database})
    crawler = unique("daily-flights")
    glue.create_crawler(
        Name=crawler,
        Role="arn:aws:iam::000000000000:role/crawler",
        DatabaseName=database,
        TablePrefix="raw_",
        Targets={"S3Targets": [{"Path": f"s3://{localstack_bucket}/daily_flights/"}]},
    )
    table = unique("locks")
    ddb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    topic = sns.create_topic(Name=unique("notices"))["TopicArn"]
    substitutions = {
        "CatalogDatabaseName": database,
        "DailyFlightsTableName": TABLE,
        "DailyFlightsCrawlerName": crawler,
        "LockTableName": table,
        "TopicArn": topic,
    }
    yield _Catalog(localstack_client, localstack_bucket, tmp_path, substitutions)
    sns.delete_topic(TopicArn=topic)
    ddb.delete_table(TableName=table)
    glue.delete_crawler(Name=crawler)
    glue.delete_database(Name=database)


class _Catalog:
    def __init__(self, client, bucket: str, tmp_path: Path, substitutions: dict[str, str]):
        self.client, self.bucket, self.tmp_path = client, bucket, tmp_path
        self.substitutions = substitutions
        self.glue = client("glue")

    def load_day(self, asl: dict[str, Any], day: str, files: dict[str, bytes]) -> dict[str, Any]:
        """Upload the day's files, read their headers as the job does, run the day crawl
        machine (as the day load does after the job, the first file the trigger); its output."""
        folder = f"daily_flights/date={day}"
        for name, body in files.items():
            self.client("s3").put_object(Bucket=self.bucket, Key=f"{folder}/{name}", Body=body)
            local = self.tmp_path / folder / name
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_bytes(body)
        found = discover_day(LocalStorage(self.tmp_path), dt.date.fromisoformat(day))
        trigger = f"{folder}/{next(iter(files))}"
        payload = {
            "event": {
                "bucket": self.bucket,
                "key": trigger,
                "run_id": unique("run"),
                "poll_seconds": 1,
                "max_polls": 120,
                "polls": 0,
            },
            "date": {"flight_date": day, "trigger_key": trigger},
            "run": {
                "summary": {"headers": header_summary((f.name, f.header_line) for f in found.files)}
            },
        }
        definition = fragment(asl, reachable(asl, asl["StartAt"]), self.substitutions)
        ended = run(self.client("stepfunctions"), definition, payload, seconds=300)
        assert ended["status"] == "SUCCEEDED", (ended.get("error"), ended.get("cause"))
        return ended["output"]

    def last_crawl(self) -> dict[str, Any] | None:
        crawler = self.substitutions["DailyFlightsCrawlerName"]
        return self.glue.get_crawler(Name=crawler)["Crawler"].get("LastCrawl")

    def has_partition(self, day: str) -> bool:
        partition = self.glue.get_partition(
            DatabaseName=self.substitutions["CatalogDatabaseName"],
            TableName=TABLE,
            PartitionValues=[day],
        )["Partition"]
        return partition["StorageDescriptor"]["Location"].endswith(f"date={day}/")

    def recorded(self) -> dict[str, Any]:
        item = self.client("dynamodb").get_item(
            TableName=self.substitutions["LockTableName"],
            Key={"pk": {"S": "crawler#daily_flights"}},
            ConsistentRead=True,
        )["Item"]
        return {name: value["S"] for name, value in item.items()}


def test_a_compressed_day_with_the_crawled_header_is_registered_without_a_crawl(
    catalog, asl
) -> None:
    first = catalog.load_day(asl, "2024-03-01", {"flights.csv": _csv(HEADER)})
    assert first["crawl"]["ran"] is True, first["crawl"]  # a new table
    crawled = catalog.last_crawl()
    assert crawled["Status"] == "SUCCEEDED"

    gz = catalog.load_day(asl, "2024-03-02", {"flights.csv.gz": gzip.compress(_csv(HEADER))})

    assert gz["crawl"] == {
        "ran": False,
        "reason": "the day's headers are the ones the catalog table was crawled from: "
        "partition registered, no crawl",
    }
    assert catalog.last_crawl() == crawled  # the crawler did not run again
    assert catalog.has_partition("2024-03-02")


def test_a_new_column_in_a_file_that_did_not_start_the_day_crawls(catalog, asl) -> None:
    catalog.load_day(asl, "2024-03-01", {"flights.csv": _csv(HEADER)})
    # The trigger (the first file) has the crawled header; the second one a new column.
    files = {"a.csv": _csv(HEADER), "b.csv": _csv(f"{HEADER},Gate", "DL,11433,13303,-3,1,B1")}

    two = catalog.load_day(asl, "2024-03-02", files)

    assert two["crawl"] == {
        "ran": True,
        "reason": "the day's headers are not the ones the catalog table was crawled from",
    }
    assert catalog.has_partition("2024-03-02")
    # Recorded after the crawl: the headers it was decided on, both of them.
    recorded = catalog.recorded()
    headers = two["run"]["summary"]["headers"]
    assert recorded["headers_sha256"] == headers["sha256"]
    assert sorted(h["line"] for h in json.loads(recorded["headers"])) == [
        HEADER,
        f"{HEADER},Gate",
    ]
    assert recorded["crawled_by"] == two["event"]["run_id"]
    # The same two headers the next day: the catalog already knows them.
    crawled = catalog.last_crawl()
    again = catalog.load_day(asl, "2024-03-03", files)
    assert again["crawl"]["ran"] is False, again["crawl"]
    assert catalog.last_crawl() == crawled
    assert catalog.has_partition("2024-03-03")


def test_a_day_declared_empty_is_registered_and_changes_no_record(catalog, asl) -> None:
    """`_NO_FLIGHTS` alone: no header, no column to learn. The rules before the comparison
    read only paths found present (a missing one would be an uncatchable States.Runtime)."""
    catalog.load_day(asl, "2024-03-01", {"flights.csv": _csv(HEADER)})
    recorded, crawled = catalog.recorded(), catalog.last_crawl()

    empty = catalog.load_day(asl, "2024-03-02", {"_NO_FLIGHTS": b""})

    assert empty["run"]["summary"]["headers"]["distinct"] == 0
    assert empty["crawl"]["ran"] is False, empty["crawl"]
    assert catalog.last_crawl() == crawled
    assert catalog.recorded() == recorded
    assert catalog.has_partition("2024-03-02")
