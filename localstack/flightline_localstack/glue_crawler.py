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
  UPDATE_IN_DATABASE replaces it. Tables are never deleted.
- JDBC, DynamoDB and other non-S3 targets are logged as skipped (nothing to crawl locally).

The crawler is RUNNING while it works, then STOPPING for a moment (as in AWS), then READY;
LastCrawl carries SUCCEEDED or FAILED with the error. A log per crawl is kept under
`.state/localstack/glue-crawls/<crawler>/`.
"""

from __future__ import annotations

import contextlib
import csv
import fnmatch
import io
import logging
import os
import re
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flightline_localstack import settings

LOG = logging.getLogger(__name__)

SAMPLE_BYTES = 1024 * 1024
SAMPLE_FILES_PER_TABLE = 20
DATA_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz", ".gz")
PARTITION_SEGMENT = re.compile(r"^([^=/]+)=([^/]*)$")


# A crawler tagged with this key stays STOPPING that many seconds: a way for tests to hold a
# crawler busy (AWS crawls take minutes; emulated ones take a second).
STOPPING_SECONDS_TAG = "flightline:emulator-stopping-seconds"


def stopping_seconds(crawler=None) -> float:
    if crawler is not None:
        tagged = crawler.backend.get_tags(crawler.arn).get(STOPPING_SECONDS_TAG)
        if tagged:
            return float(tagged)
    return float(os.environ.get("FLIGHTLINE_CRAWLER_STOPPING_SECONDS", "1.0"))


@dataclass
class CrawlRecord:
    crawler_name: str
    crawl_id: str
    log_path: Path
    started_on: datetime = field(default_factory=lambda: datetime.now(UTC))
    completed_on: datetime | None = None
    status: str = "RUNNING"  # RUNNING, SUCCEEDED, FAILED, CANCELLED
    error_message: str | None = None
    cancel_requested: bool = False
    tables_created: int = 0
    tables_updated: int = 0
    partitions_created: int = 0
    lines: list[str] = field(default_factory=list)

    def log(self, message: str) -> None:
        line = f"{datetime.now(UTC).isoformat(timespec='milliseconds')} {message}"
        self.lines.append(line)
        with self.log_path.open("a") as handle:
            handle.write(line + "\n")


# (account, region, crawler name) -> the crawls, oldest first; LAST_CRAWLS holds the latest.
HISTORY: dict[tuple[str, str, str], list[CrawlRecord]] = {}
LAST_CRAWLS: dict[tuple[str, str, str], CrawlRecord] = {}


class CrawlError(Exception):
    pass


def start(crawler, fake_crawl, account_id: str, region: str) -> CrawlRecord:
    folder = settings.CRAWLS_DIR / re.sub(r"[^A-Za-z0-9_.-]", "_", crawler.name)
    folder.mkdir(parents=True, exist_ok=True)
    record = CrawlRecord(crawler.name, fake_crawl.crawl_id, folder / f"{fake_crawl.crawl_id}.log")
    LAST_CRAWLS[(account_id, region, crawler.name)] = record
    HISTORY.setdefault((account_id, region, crawler.name), []).append(record)
    threading.Thread(
        target=_run,
        args=(record, crawler, fake_crawl, account_id, region),
        name=f"glue-crawl-{crawler.name}",
        daemon=True,
    ).start()
    return record


def _run(record: CrawlRecord, crawler, fake_crawl, account_id: str, region: str) -> None:
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
        time.sleep(stopping_seconds(crawler))
        record.completed_on = datetime.now(UTC)
        fake_crawl.end_time = record.completed_on
        crawler.crawl_elapsed_time = int((time.monotonic() - started) * 1000)
        fake_crawl.status = "FAILED" if record.status == "FAILED" else "COMPLETED"


# --- S3 listing and table layout ----------------------------------------------------------


def _split_s3(path: str) -> tuple[str, str]:
    if not path.startswith("s3://"):
        raise CrawlError(f"S3 target path must start with s3://: {path}")
    bucket, _, prefix = path[len("s3://") :].partition("/")
    return bucket, prefix


def _is_data_file(name: str) -> bool:
    return not name.startswith(("_", ".")) and name.lower().endswith(DATA_SUFFIXES)


def _table_name(raw: str, prefix: str | None) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", raw.lower()).strip("_") or "table"
    return f"{prefix or ''}{name}"


@dataclass
class TableLayout:
    name: str
    bucket: str
    root: str  # key prefix of the table, ends with "/" (or "" for the bucket root)
    files: list[tuple[str, list[tuple[str, str]]]]  # (key, [(partition key, value)])


def _layouts(bucket: str, prefix: str, keys: list[str], table_prefix: str | None) -> list:
    """Group the data files under one target into tables (see the module docstring)."""
    rel = [(key, key[len(prefix) :].split("/")) for key in keys]
    single = all(len(parts) == 1 or PARTITION_SEGMENT.match(parts[0]) for _, parts in rel)
    groups: dict[str, list[tuple[str, list[str]]]] = {}
    if single:
        raw_name = prefix.rstrip("/").rsplit("/", 1)[-1] or bucket
        groups[prefix] = rel
    else:
        for key, parts in rel:
            if len(parts) == 1:
                continue  # a file beside table folders: Glue would not mix them either
            groups.setdefault(f"{prefix}{parts[0]}/", []).append((key, parts[1:]))
    layouts = []
    for root, files in groups.items():
        if not single:
            raw_name = root.rstrip("/").rsplit("/", 1)[-1]
        entries = []
        for key, parts in files:
            partitions = []
            for segment in parts[:-1]:
                match = PARTITION_SEGMENT.match(segment)
                # A plain folder inside a table is an unnamed partition in Glue (partition_N).
                partitions.append(
                    (match.group(1), match.group(2))
                    if match
                    else (f"partition_{len(partitions)}", segment)
                )
            entries.append((key, partitions))
        layouts.append(TableLayout(_table_name(raw_name, table_prefix), bucket, root, entries))
    return layouts


def _list_keys(s3, bucket: str, prefix: str, exclusions: list[str]) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith("/") or not _is_data_file(key.rsplit("/", 1)[-1]):
                continue
            relative = key[len(prefix) :]
            if any(fnmatch.fnmatch(relative, pattern) for pattern in exclusions):
                continue
            keys.append(key)
    return sorted(keys)


# --- schema inference ---------------------------------------------------------------------


def _sample_text(s3, bucket: str, key: str) -> str:
    body = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{SAMPLE_BYTES - 1}")["Body"].read()
    complete = len(body) < SAMPLE_BYTES
    if body[:2] == b"\x1f\x8b":
        body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, SAMPLE_BYTES * 8)
        complete = False
    text = body.decode("utf-8", errors="replace")
    if not complete and "\n" in text:
        text = text[: text.rfind("\n")]  # drop the line the sample cut in half
    return text


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", "\t", "|", ";")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _value_type(value: str) -> str:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return "boolean"
    try:
        number = int(value)
        return "bigint" if -(2**63) <= number < 2**63 else "string"
    except ValueError:
        pass
    try:
        float(value)
        return "double"
    except ValueError:
        return "string"


def _merge_type(current: str | None, new: str) -> str:
    if current is None or current == new:
        return new
    if {current, new} == {"bigint", "double"}:
        return "double"
    return "string"


@dataclass
class Schema:
    columns: list[str] = field(default_factory=list)
    types: dict[str, str | None] = field(default_factory=dict)
    delimiter: str = ","
    quoted: bool = False
    compressed: bool = False
    rows_sampled: int = 0

    def add_file(self, text: str, compressed: bool) -> None:
        lines = text.splitlines()
        if not lines:
            return
        self.delimiter = _delimiter(lines[0])
        self.compressed = self.compressed or compressed
        self.quoted = self.quoted or '"' in text
        reader = csv.reader(io.StringIO(text), delimiter=self.delimiter, skipinitialspace=True)
        header = [name.strip().lower() for name in next(reader, [])]
        for name in header:
            if name and name not in self.types:
                self.columns.append(name)
                self.types[name] = None
        for row in reader:
            self.rows_sampled += 1
            for name, value in zip(header, row, strict=False):
                value = value.strip()
                if name and value:
                    self.types[name] = _merge_type(self.types[name], _value_type(value))

    def glue_columns(self) -> list[dict[str, str]]:
        return [{"Name": n, "Type": self.types[n] or "string"} for n in self.columns]


def _storage_descriptor(schema: Schema, location: str) -> dict:
    if schema.quoted:
        serde = {
            "SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
            "Parameters": {"separatorChar": schema.delimiter, "quoteChar": '"'},
        }
    else:
        serde = {
            "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
            "Parameters": {"field.delim": schema.delimiter},
        }
    return {
        "Columns": schema.glue_columns(),
        "Location": location,
        "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "Compressed": schema.compressed,
        "SerdeInfo": serde,
        "Parameters": _table_parameters(schema),
    }


def _table_parameters(schema: Schema) -> dict[str, str]:
    return {
        "classification": "csv",
        "delimiter": schema.delimiter,
        "skip.header.line.count": "1",
        "areColumnsQuoted": "true" if schema.quoted else "false",
        "compressionType": "gzip" if schema.compressed else "none",
        "typeOfData": "file",
    }


# --- registering tables and partitions ----------------------------------------------------


def _crawl_s3_target(record: CrawlRecord, crawler, clients, target: dict) -> None:
    s3, glue = clients.s3, clients.glue
    path = target.get("Path") or ""
    bucket, prefix = _split_s3(path)
    exclusions = list(target.get("Exclusions") or [])
    keys = _list_keys(s3, bucket, prefix, exclusions)
    if prefix and not prefix.endswith("/"):
        if keys == [prefix]:  # the target is one file: its folder is the table
            folder = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
            layouts = [
                TableLayout(
                    _table_name(Path(prefix).name.split(".")[0], crawler.table_prefix),
                    bucket,
                    folder,
                    [(prefix, [])],
                )
            ]
            for layout in layouts:
                _register_table(record, crawler, glue, s3, layout)
            return
        prefix += "/"
        keys = [key for key in keys if key.startswith(prefix)]
    record.log(f"target {path}: {len(keys)} data files")
    if not keys:
        return
    for layout in _layouts(bucket, prefix, keys, crawler.table_prefix):
        _register_table(record, crawler, glue, s3, layout)


def _register_table(record: CrawlRecord, crawler, glue, s3, layout: TableLayout) -> None:
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
        schema.add_file(_sample_text(s3, layout.bucket, key), key.lower().endswith(".gz"))
    if not schema.columns:
        record.log(f"table {layout.name}: no header found, not registered")
        return
    location = f"s3://{layout.bucket}/{layout.root}"
    table_input = {
        "Name": layout.name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            **_table_parameters(schema),
            "UPDATED_BY_CRAWLER": crawler.name,
            "CrawlerSchemaSerializerVersion": "1.0",
            "CrawlerSchemaDeserializerVersion": "1.0",
            "objectCount": str(len(files)),
        },
        "PartitionKeys": [{"Name": k.lower(), "Type": "string"} for k in partition_keys],
        "StorageDescriptor": _storage_descriptor(schema, location),
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
        else:
            record.log(f"table {database}.{layout.name} exists; schema kept (UpdateBehavior LOG)")
            table_input["StorageDescriptor"] = existing.get("StorageDescriptor", {})
    if partition_keys:
        _register_partitions(record, glue, database, layout, files, table_input)


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
