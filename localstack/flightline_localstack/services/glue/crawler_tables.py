"""What a crawl finds under an S3 target: tables, their partitions and their schema.

Pure functions over S3 keys and sampled file text (see crawler_runner for the rules they
follow); the runner turns their results into catalog tables and partitions.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import re
import zlib
from dataclasses import dataclass, field

SAMPLE_BYTES = 1024 * 1024
DATA_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz", ".gz")
PARTITION_SEGMENT = re.compile(r"^([^=/]+)=([^/]*)$")


class CrawlError(Exception):
    pass


# --- S3 listing and table layout ----------------------------------------------------------


def split_s3(path: str) -> tuple[str, str]:
    if not path.startswith("s3://"):
        raise CrawlError(f"S3 target path must start with s3://: {path}")
    bucket, _, prefix = path[len("s3://") :].partition("/")
    return bucket, prefix


def is_data_file(name: str) -> bool:
    return not name.startswith(("_", ".")) and name.lower().endswith(DATA_SUFFIXES)


def table_name(raw: str, prefix: str | None) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", raw.lower()).strip("_") or "table"
    return f"{prefix or ''}{name}"


@dataclass
class TableLayout:
    name: str
    bucket: str
    root: str  # key prefix of the table, ends with "/" (or "" for the bucket root)
    files: list[tuple[str, list[tuple[str, str]]]]  # (key, [(partition key, value)])


def layouts(bucket: str, prefix: str, keys: list[str], table_prefix: str | None) -> list:
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
        layouts.append(TableLayout(table_name(raw_name, table_prefix), bucket, root, entries))
    return layouts


def list_keys(
    s3, bucket: str, prefix: str, exclusions: list[str], root: str | None = None, deep=True
) -> list[str]:
    """Data files under s3://bucket/prefix (only the folder's own files unless deep), minus
    the Exclusions, which match keys relative to the target's root (default: prefix)."""
    root = prefix if root is None else root
    listing = {"Bucket": bucket, "Prefix": prefix, **({} if deep else {"Delimiter": "/"})}
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(**listing):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith("/") or not is_data_file(key.rsplit("/", 1)[-1]):
                continue
            relative = key[len(root) :]
            if any(fnmatch.fnmatch(relative, pattern) for pattern in exclusions):
                continue
            keys.append(key)
    return sorted(keys)


# --- schema inference ---------------------------------------------------------------------


def sample_text(s3, bucket: str, key: str) -> str:
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


def storage_descriptor(schema: Schema, location: str) -> dict:
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
        "Parameters": table_parameters(schema),
    }


def table_parameters(schema: Schema) -> dict[str, str]:
    return {
        "classification": "csv",
        "delimiter": schema.delimiter,
        "skip.header.line.count": "1",
        "areColumnsQuoted": "true" if schema.quoted else "false",
        "compressionType": "gzip" if schema.compressed else "none",
        "typeOfData": "file",
    }
