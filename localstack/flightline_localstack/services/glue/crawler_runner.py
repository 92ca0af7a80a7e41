"""Glue crawlers for real: crawl the crawler's S3 targets in LocalStack S3.

What a crawl does, per S3 target `s3://bucket/prefix/`:
- Data files are CSV (optionally gzip). Files whose name starts with `_` or `.`, folder
  markers and keys matching the target's Exclusions (glob on the key relative to the
  target) are skipped, as Glue skips them.
- Tables: when everything under the target is data files or `key=value` partition folders,
  the target is one table named after its last folder; otherwise each first-level folder is
  a table. Names are lower-cased, non-alphanumerics become `_`, TablePrefix is prepended.
- Schema from the CSV header (names lower-cased and stripped, as Glue does) and types inferred
  from sampled rows (bigint, double, boolean, string); `key=value` folders become string
  partition keys and every partition is registered (existing ones are left alone).
- SchemaChangePolicy.UpdateBehavior LOG keeps an existing table's schema; the default
  UPDATE_IN_DATABASE replaces it. With LOG and the configuration's
  CrawlerOutput.Tables.AddOrUpdateBehavior MergeNewColumns ("Add new columns only",
  "Preventing a crawler from changing an existing schema"), columns the files add join the
  table; existing columns keep their type and are never dropped. Tables are never deleted.
- RecrawlPolicy CRAWL_EVENT_MODE: after the first successful crawl since the crawler was
  created or updated, a crawl lists only the folders named by the S3 events in the target's
  queue (crawl_events); before it, the whole target.
- JDBC, DynamoDB and other non-S3 targets are logged as skipped (nothing to crawl locally).

The crawler is RUNNING while it works, then STOPPING for a moment (as in AWS), then READY;
LastCrawl carries SUCCEEDED or FAILED with the error. A log per crawl is kept under
`.state/localstack/glue-crawls/<crawler>/`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from flightline_localstack import settings
from flightline_localstack.services.glue import crawl_events
from flightline_localstack.services.glue.crawler_tables import (
    CrawlError,
    Schema,
    TableLayout,
    layouts,
    list_keys,
    sample_text,
    split_s3,
    storage_descriptor,
    table_name,
    table_parameters,
)
from flightline_localstack.services.glue.models import Crawl, glue_stores

LOG = logging.getLogger(__name__)

SAMPLE_FILES_PER_TABLE = 20

# A crawler tagged with this key stays STOPPING that many seconds: a way for tests to hold a
# crawler busy (AWS crawls take minutes; emulated ones take a second). The tag is read again
# while the crawler waits, so removing it ends the hold: a test holds the crawler exactly as
# long as it needs, however slow a busy machine makes the rest of the run.
STOPPING_SECONDS_TAG = "flightline:emulator-stopping-seconds"
STOPPING_POLL_SECONDS = 0.2


def stopping_seconds(crawler=None) -> float:
    if crawler is not None:
        tagged = crawler.backend.get_tags(crawler.arn).get(STOPPING_SECONDS_TAG)
        if tagged:
            return float(tagged)
    return float(os.environ.get("FLIGHTLINE_CRAWLER_STOPPING_SECONDS", "1.0"))


def _hold_stopping(crawler) -> None:
    entered = time.monotonic()
    while (left := stopping_seconds(crawler) - (time.monotonic() - entered)) > 0:
        time.sleep(min(left, STOPPING_POLL_SECONDS))


def start(crawler, fake_crawl, account_id: str, region: str) -> Crawl:
    folder = settings.CRAWLS_DIR / re.sub(r"[^A-Za-z0-9_.-]", "_", crawler.name)
    folder.mkdir(parents=True, exist_ok=True)
    record = Crawl(crawler.name, fake_crawl.crawl_id, folder / f"{fake_crawl.crawl_id}.log")
    record.crawler_version = crawler.version
    glue_stores[account_id][region].crawls.setdefault(crawler.name, []).append(record)
    threading.Thread(
        target=_run,
        args=(record, crawler, fake_crawl, account_id, region),
        name=f"glue-crawl-{crawler.name}",
        daemon=True,
    ).start()
    return record


def _run(record: Crawl, crawler, fake_crawl, account_id: str, region: str) -> None:
    clients = settings.clients(account_id, region)
    started = time.monotonic()
    try:
        record.log(f"crawl {record.crawl_id} of crawler {crawler.name} started")
        try:
            clients.glue.get_database(Name=crawler.database_name)
        except Exception as error:
            raise CrawlError(f"Database {crawler.database_name} not found: {error}") from error
        targets = crawler.targets or {}
        for kind, items in targets.items():
            if kind != "S3Targets" and items:
                record.log(f"{kind}: skipped, only S3 targets are crawled locally")
        for target in targets.get("S3Targets") or []:
            if record.cancel_requested:
                break
            if crawl_events.in_event_mode(crawler.recrawl_policy) and _crawled_since_update(
                account_id, region, crawler, record
            ):
                _crawl_queued_folders(record, crawler, clients, target)
            else:
                if crawl_events.in_event_mode(crawler.recrawl_policy):
                    record.log("Crawl is not running in S3 event mode")  # a full listing
                _crawl_s3_target(record, crawler, clients, target)
        if record.cancel_requested:
            record.status = "CANCELLED"
        else:
            record.status = "SUCCEEDED"
        record.log(
            f"crawl finished: {record.tables_created} tables created, "
            f"{record.tables_updated} updated, {record.partitions_created} partitions added"
        )
    except CrawlError as error:
        LOG.info("crawl of %s failed: %s", crawler.name, error)
        record.status = "FAILED"
        record.error_message = str(error)[:2048]
        record.log(f"crawl failed: {error}")
    except Exception as error:
        LOG.exception("crawl of %s failed", crawler.name)
        record.status = "FAILED"
        record.error_message = str(error)[:2048]
        record.log(f"crawl failed: {error}")
    finally:
        # Like AWS: the crawler passes through STOPPING before it is READY again.
        fake_crawl.status = "STOPPING"
        _hold_stopping(crawler)
        record.completed_on = datetime.now(UTC)
        fake_crawl.end_time = record.completed_on
        crawler.crawl_elapsed_time = int((time.monotonic() - started) * 1000)
        fake_crawl.status = "FAILED" if record.status == "FAILED" else "COMPLETED"


# --- S3 event mode (crawl_events; "Accelerating crawls using Amazon S3 event notifications")


def _crawled_since_update(account_id: str, region: str, crawler, current: Crawl) -> bool:
    """Whether this crawler's definition, as it is now, has crawled successfully before."""
    history = glue_stores[account_id][region].crawls.get(crawler.name, [])
    return any(
        crawl is not current
        and crawl.status == "SUCCEEDED"
        and crawl.crawler_version == crawler.version
        for crawl in history
    )


def _crawl_queued_folders(record: Crawl, crawler, clients, target: dict) -> None:
    bucket, prefix = split_s3(target.get("Path") or "")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    record.log("The crawl is running by consuming Amazon S3 events.")
    try:
        events = crawl_events.receive(clients.sqs, target["EventQueueArn"], bucket, prefix)
    except crawl_events.EventMessageError as error:
        raise CrawlError(str(error)) from error
    except clients.sqs.exceptions.QueueDoesNotExist as error:
        raise CrawlError(f"EventQueueArn {target['EventQueueArn']}: {error}") from error
    record.log(
        f"{len(events.receipts)} messages: {len(events.folders)} folders to list, "
        f"{events.ignored} records outside the target"
    )
    exclusions = list(target.get("Exclusions") or [])
    keys = sorted(
        key
        for folder_bucket, folder in sorted(events.folders)
        for key in list_keys(clients.s3, folder_bucket, folder, exclusions, root=prefix, deep=False)
    )
    record.folders_listed = len(events.folders)
    record.log(f"target {target.get('Path')}: {len(keys)} data files in the queued folders")
    if keys:
        for layout in layouts(bucket, prefix, keys, crawler.table_prefix):
            _register_table(record, crawler, clients.glue, clients.s3, layout)
    if not record.cancel_requested:
        crawl_events.delete(clients.sqs, events)
        record.log(f"{len(events.receipts)} consumed messages deleted")


# --- registering tables and partitions ----------------------------------------------------


def _crawl_s3_target(record: Crawl, crawler, clients, target: dict) -> None:
    s3, glue = clients.s3, clients.glue
    path = target.get("Path") or ""
    bucket, prefix = split_s3(path)
    exclusions = list(target.get("Exclusions") or [])
    keys = list_keys(s3, bucket, prefix, exclusions)
    if prefix and not prefix.endswith("/"):
        if keys == [prefix]:  # the target is one file: its folder is the table
            folder = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
            name = table_name(Path(prefix).name.split(".")[0], crawler.table_prefix)
            layout = TableLayout(name, bucket, folder, [(prefix, [])])
            _register_table(record, crawler, glue, s3, layout)
            return
        prefix += "/"
        keys = [key for key in keys if key.startswith(prefix)]
    record.log(f"target {path}: {len(keys)} data files")
    if not keys:
        return
    for layout in layouts(bucket, prefix, keys, crawler.table_prefix):
        _register_table(record, crawler, glue, s3, layout)


def _register_table(record: Crawl, crawler, glue, s3, layout: TableLayout) -> None:
    # The partition structure most files share; files that deviate are reported and skipped.
    shapes = Counter(tuple(k for k, _ in parts) for _, parts in layout.files)
    partition_keys, _ = shapes.most_common(1)[0]
    files = [
        (key, parts) for key, parts in layout.files if tuple(k for k, _ in parts) == partition_keys
    ]
    skipped = len(layout.files) - len(files)
    if skipped:
        record.log(f"table {layout.name}: {skipped} files with another partition layout skipped")

    schema = Schema()
    for key, _ in files[:SAMPLE_FILES_PER_TABLE]:
        schema.add_file(sample_text(s3, layout.bucket, key), key.lower().endswith(".gz"))
    if not schema.columns:
        record.log(f"table {layout.name}: no header found, not registered")
        return
    location = f"s3://{layout.bucket}/{layout.root}"
    table_input = {
        "Name": layout.name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            **table_parameters(schema),
            "UPDATED_BY_CRAWLER": crawler.name,
            "CrawlerSchemaSerializerVersion": "1.0",
            "CrawlerSchemaDeserializerVersion": "1.0",
            "objectCount": str(len(files)),
        },
        "PartitionKeys": [{"Name": k.lower(), "Type": "string"} for k in partition_keys],
        "StorageDescriptor": storage_descriptor(schema, location),
    }
    database = crawler.database_name
    existing = None
    with contextlib.suppress(glue.exceptions.EntityNotFoundException):
        existing = glue.get_table(DatabaseName=database, Name=layout.name)["Table"]
    if existing is None:
        glue.create_table(DatabaseName=database, TableInput=table_input)
        record.tables_created += 1
        record.log(f"table {database}.{layout.name} created at {location}")
    else:
        policy = (crawler.schema_change_policy or {}).get("UpdateBehavior", "UPDATE_IN_DATABASE")
        if policy == "UPDATE_IN_DATABASE":
            glue.update_table(DatabaseName=database, TableInput=table_input)
            record.tables_updated += 1
            record.log(f"table {database}.{layout.name} updated")
        elif _merges_new_columns(crawler) and _new_columns(existing, schema):
            table_input = _with_new_columns(existing, schema)
            glue.update_table(DatabaseName=database, TableInput=table_input)
            record.tables_updated += 1
            added = ", ".join(c["Name"] for c in _new_columns(existing, schema))
            record.log(f"table {database}.{layout.name}: new columns merged ({added})")
        else:
            record.log(f"table {database}.{layout.name} exists; schema kept (UpdateBehavior LOG)")
            table_input["StorageDescriptor"] = existing.get("StorageDescriptor", {})
    if partition_keys:
        _register_partitions(record, glue, database, layout, files, table_input)


def _merges_new_columns(crawler) -> bool:
    """CrawlerOutput.Tables.AddOrUpdateBehavior MergeNewColumns in the configuration JSON."""
    try:
        configuration = json.loads(crawler.configuration or "{}")
    except json.JSONDecodeError as error:
        raise CrawlError(f"Crawler configuration is not JSON: {error}") from error
    tables = configuration.get("CrawlerOutput", {}).get("Tables", {})
    return tables.get("AddOrUpdateBehavior") == "MergeNewColumns"


def _new_columns(existing: dict, schema: Schema) -> list[dict[str, str]]:
    known = {c["Name"] for c in existing.get("StorageDescriptor", {}).get("Columns", [])}
    known |= {k["Name"] for k in existing.get("PartitionKeys", [])}
    return [c for c in schema.glue_columns() if c["Name"] not in known]


def _with_new_columns(existing: dict, schema: Schema) -> dict:
    """The existing table as a TableInput, its columns followed by the new ones."""
    descriptor = dict(existing.get("StorageDescriptor", {}))
    descriptor["Columns"] = [*descriptor.get("Columns", []), *_new_columns(existing, schema)]
    keys = ("Name", "Description", "Owner", "Retention", "PartitionKeys", "TableType", "Parameters")
    return {**{k: existing[k] for k in keys if k in existing}, "StorageDescriptor": descriptor}


def _register_partitions(record, glue, database, layout, files, table_input) -> None:
    known = set()
    paginator = glue.get_paginator("get_partitions")
    for page in paginator.paginate(DatabaseName=database, TableName=layout.name):
        for partition in page.get("Partitions", []):
            known.add(tuple(partition["Values"]))
    wanted: dict[tuple[str, ...], str] = {}
    for _, parts in files:
        values = tuple(v for _, v in parts)
        folder = "".join(
            f"{k}={v}/" if not k.startswith("partition_") else f"{v}/" for k, v in parts
        )
        wanted.setdefault(values, f"s3://{layout.bucket}/{layout.root}{folder}")
    new = [(values, location) for values, location in sorted(wanted.items()) if values not in known]
    descriptor = table_input["StorageDescriptor"]
    for start in range(0, len(new), 100):
        batch = [
            {"Values": list(values), "StorageDescriptor": {**descriptor, "Location": location}}
            for values, location in new[start : start + 100]
        ]
        response = glue.batch_create_partition(
            DatabaseName=database, TableName=layout.name, PartitionInputList=batch
        )
        for error in response.get("Errors", []):
            record.log(f"partition {error.get('PartitionValues')}: {error.get('ErrorDetail')}")
        record.partitions_created += len(batch) - len(response.get("Errors", []))
    if new:
        record.log(f"table {database}.{layout.name}: {len(new)} partitions added")
