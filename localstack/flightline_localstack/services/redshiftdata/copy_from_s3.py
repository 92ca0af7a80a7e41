"""COPY <table> FROM 's3://.../manifest' IAM_ROLE '<arn>' FORMAT [AS] PARQUET MANIFEST.

Redshift has no COPY FROM STDIN; it pulls the files from S3 as the IAM role. Here the
manifest and its Parquet files are read from LocalStack S3 and the rows go into PostgreSQL
with COPY FROM STDIN on the statement's own connection, so they commit or roll back with
the rest of the transaction (a Data API batch). Rules, with the page each follows:

- the role must be associated with the namespace ("Authorizing COPY, UNLOAD, CREATE
  EXTERNAL FUNCTION, and CREATE EXTERNAL SCHEMA operations using IAM roles", Management
  Guide): otherwise Redshift's "not authorized to assume IAM Role";
- with MANIFEST only the manifest's files are loaded, a missing `mandatory` file fails, and
  for columnar formats every entry needs `meta.content_length` ("Using a manifest to specify
  data files"; "COPY from columnar data formats"); a length that differs from the object's
  is refused too (undocumented: fail closed);
- Parquet columns load by position and their number must equal the table's ("COPY from
  columnar data formats");
- VARCHAR/CHAR lengths count bytes, not characters ("Character types"): a longer UTF-8
  value fails the load with "String length exceeds DDL length", as Redshift reports it in
  SYS_LOAD_ERROR_DETAIL.
Only this form is emulated; any other COPY (CSV, a prefix without MANIFEST, FROM STDIN,
a server file, TO) is refused.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flightline_localstack import settings
from flightline_localstack.services.redshiftdata.redshift_sql import code_of
from flightline_localstack.services.redshiftdata.workgroups import Workgroup

_COPY = re.compile(r"^copy\b", re.IGNORECASE)
_FORM = re.compile(
    r"^\s*copy\s+(?P<table>[\w.\"]+)\s+from\s+'(?P<uri>s3://[^']+)'\s+(?P<options>.*?)\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_ROLE = re.compile(r"\biam_role\s+'(?P<arn>[^']+)'", re.IGNORECASE)
_VARCHAR_TYPES = {"varchar", "bpchar"}


class CopyError(RuntimeError):
    """A COPY Redshift would refuse; the message is Redshift's (or says it is ours)."""


@dataclass(frozen=True)
class CopyCommand:
    table: str
    manifest_uri: str
    role_arn: str
    # Nested Parquet values (structs, maps, lists) load into SUPER columns as JSON only with
    # SERIALIZETOJSON ("Using COPY to load data into SUPER columns", Parquet and ORC).
    serialize_to_json: bool = False


def is_copy(sql: str) -> bool:
    return bool(_COPY.match(code_of(sql)))


def parse(sql: str) -> CopyCommand:
    match = _FORM.match(sql)
    options = " ".join(match.group("options").lower().split()) if match else ""
    role = _ROLE.search(match.group("options")) if match else None
    words = set(_ROLE.sub("", options).replace("format as", "format").split())
    serialize_to_json = "serializetojson" in words
    words.discard("serializetojson")
    if not match or role is None or words != {"format", "parquet", "manifest"}:
        raise CopyError(
            "ERROR: the local Redshift emulator runs only COPY <table> FROM 's3://<manifest>' "
            "IAM_ROLE '<arn>' FORMAT [AS] PARQUET MANIFEST [SERIALIZETOJSON] (the form the "
            "pipeline uses)"
        )
    return CopyCommand(
        match.group("table"), match.group("uri"), role.group("arn"), serialize_to_json
    )


def _nested_as_json(url: str, names: list[str], rows: list[tuple], allowed: bool) -> list[tuple]:
    """Nested values as JSON text (jsonb stands for SUPER here); without SERIALIZETOJSON a
    nested column fails the COPY (undocumented otherwise: fail closed)."""
    out = []
    for line, row in enumerate(rows, start=1):
        nested = [i for i, value in enumerate(row) if isinstance(value, dict | list)]
        if nested and not allowed:
            raise CopyError(
                f"ERROR: File '{url}', row {line}: column {names[nested[0]]} is nested Parquet "
                "data; COPY loads it into a SUPER column only with SERIALIZETOJSON"
            )
        out.append(
            tuple(json.dumps(v) if i in nested else v for i, v in enumerate(row)) if nested else row
        )
    return out


def _bucket_key(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _get(s3, uri: str) -> bytes | None:
    bucket, key = _bucket_key(uri)
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    except s3.exceptions.NoSuchBucket:
        return None


def _manifest_files(s3, command: CopyCommand) -> list[tuple[str, bytes]]:
    body = _get(s3, command.manifest_uri)
    if body is None:
        raise CopyError(
            f"ERROR: Problem reading manifest file - S3ServiceException:The specified key "
            f"does not exist.,Status 404 ({command.manifest_uri})"
        )
    try:
        entries = json.loads(body)["entries"]
    except (ValueError, KeyError, TypeError) as error:
        raise CopyError(f"ERROR: Manifest file is not in correct json format ({error})") from error
    files = []
    for entry in entries:
        url = entry.get("url", "")
        length = (entry.get("meta") or {}).get("content_length")
        if length is None:
            raise CopyError(
                f"ERROR: Manifest entry {url} has no meta.content_length, which COPY of a "
                "columnar format (PARQUET) requires"
            )
        data = _get(s3, url)
        if data is None:
            if entry.get("mandatory", False):
                raise CopyError(f"ERROR: Manifest file entry is mandatory but missing: {url}")
            continue
        if len(data) != int(length):
            raise CopyError(
                f"ERROR: content_length {length} in the manifest does not match the size "
                f"{len(data)} of {url}"
            )
        files.append((url, data))
    return files


def _columns(conn, table: str) -> list[tuple[str, str, int | None]]:
    """The table's columns: (name, type name, varchar/char length) in table order."""
    rows = conn.execute(
        "select a.attname, t.typname, a.atttypmod from pg_attribute a "
        "join pg_type t on t.oid = a.atttypid "
        "where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped "
        "order by a.attnum",
        (table,),
    ).fetchall()
    return [
        (name, typname, typmod - 4 if typname in _VARCHAR_TYPES and typmod > 4 else None)
        for name, typname, typmod in rows
    ]


def _parquet_rows(data: bytes) -> tuple[list[str], list[tuple]]:
    import duckdb

    settings.STATE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".parquet", dir=settings.STATE_DIR) as file:
        Path(file.name).write_bytes(data)
        with duckdb.connect() as db:
            db.execute("set TimeZone = 'UTC'")
            cursor = db.execute("select * from read_parquet(?)", [file.name])
            names = [column[0] for column in cursor.description]
            return names, cursor.fetchall()


def _short_name(table: str) -> str:
    return table.rsplit(".", 1)[-1].strip('"')


def run(conn, sql: str, workgroup: Workgroup, s3) -> int:
    """Run the COPY on `conn` (inside the caller's transaction, if any); returns the rows
    loaded (the Data API's ResultRows)."""
    from psycopg import sql as pgsql

    command = parse(sql)
    if command.role_arn not in workgroup.iam_roles:
        raise CopyError(
            f"ERROR: User {workgroup.arn} is not authorized to assume IAM Role "
            f"{command.role_arn} (not associated with namespace {workgroup.namespace})"
        )
    files = _manifest_files(s3, command)
    columns = _columns(conn, command.table)
    table = _short_name(command.table)
    loaded = 0
    target = pgsql.SQL("copy {} ({}) from stdin").format(
        pgsql.SQL(command.table), pgsql.SQL(", ").join(pgsql.Identifier(c[0]) for c in columns)
    )
    for url, data in files:
        names, rows = _parquet_rows(data)
        if len(names) != len(columns):
            raise CopyError(
                f"ERROR: File '{url}' has an incompatible Parquet schema: {len(names)} "
                f"columns, table {table} has {len(columns)}"
            )
        rows = _nested_as_json(url, names, rows, command.serialize_to_json)
        _check_lengths(url, table, columns, rows)
        with conn.cursor().copy(target) as copy:
            for row in rows:
                copy.write_row(row)
        loaded += len(rows)
    return loaded


def _check_lengths(url: str, table: str, columns, rows) -> None:
    limits = [(i, name, length) for i, (name, _, length) in enumerate(columns) if length]
    for line, row in enumerate(rows, start=1):
        for i, name, length in limits:
            value = row[i]
            if isinstance(value, str) and len(value.encode()) > length:
                raise CopyError(
                    f"ERROR: Load into table '{table}' failed. Check 'sys_load_error_detail' "
                    f"system table for details. (String length exceeds DDL length: {url}, "
                    f"row {line}, column {name}, {len(value.encode())} bytes > {length})"
                )
