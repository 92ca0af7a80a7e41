"""The job's Spark logic as plain DataFrame functions: read, validate, enrich.

Nothing here knows about Glue, S3 or the warehouse, so tests drive it on real rows with a
local SparkSession.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from .contract import (
    AIRPORT_ID_PATTERN,
    EXTRA_COLUMNS_COLUMN,
    FLIGHT_COLUMNS,
    MAX_DELAY_MINUTES,
    MIN_DELAY_MINUTES,
    OPTIONAL_FLIGHT_COLUMNS,
    STAGED_FLIGHT_COLUMNS,
    OptionalColumn,
    RejectReason,
)
from .inputs import Airport, FlightFile

# Raw (string) columns every file is mapped onto, whatever its header order or case.
RAW = {
    "Carrier": "carrier_raw",
    "OriginAirportID": "origin_airport_id_raw",
    "DestAirportID": "dest_airport_id_raw",
    "DepDelay": "dep_delay_raw",
    "ArrDelay": "arr_delay_raw",
    # The optional columns (contract.OPTIONAL_FLIGHT_COLUMNS): null when a file lacks one.
    **{column.header: column.raw for column in OPTIONAL_FLIGHT_COLUMNS},
}

# monotonically_increasing_id() = partition index << 33 | row number within the partition.
_ROW_IN_PARTITION = (1 << 33) - 1
_INTEGER = f"^{AIRPORT_ID_PATTERN}$"  # the contract's one id parser
# BTS exports write whole minutes, sometimes as "-3.00": accept that, nothing fractional.
_WHOLE_MINUTES = r"^[+-]?[0-9]{1,6}(\.0*)?$"
_CARRIER = r"^[A-Z0-9]{2,3}$"
# RFC 4180 fields on one line: quoted ("" is a quote; spaces around the quotes allowed) or
# bare (no quote, no comma). A line that is not such a record has an unclosed quote.
_FIELD = r'[ \t]*"(?:[^"]|"")*"[ \t]*|[^,"]*'
_RECORD = f"^(?:{_FIELD})(?:,(?:{_FIELD}))*$"
_FIELDS = f"(?:^|,)({_FIELD})"


def _fields(line: Column) -> Column:
    """The line's fields, unquoted. Lines without a quote (nearly all) take a plain split;
    the rest a CSV field regex, unquoted by one lambda. Keeping the per-row code small
    matters: a generated method over 8000 bytes is never JIT-compiled by the JVM."""
    quoted = F.transform(F.regexp_extract_all(line, F.lit(_FIELDS), 1), _unquoted)
    return F.when(line.contains('"'), quoted).otherwise(F.split(line, ",", -1))


def _unquoted(field: Column) -> Column:
    trimmed = F.trim(field)
    inner = trimmed.substr(F.lit(2), F.length(trimmed) - 2)
    return F.when(trimmed.startswith('"'), F.regexp_replace(inner, '""', '"')).otherwise(field)


def extra_column_names(files: Sequence[FlightFile]) -> tuple[str, ...]:
    """The day's columns beyond the contract, in first-seen order; headers match
    case-insensitively, so `Tail` and `tail` in two files are one column (first spelling)."""
    names: dict[str, str] = {}
    for flight_file in files:
        for name in flight_file.extra_columns:
            names.setdefault(name.lower(), name)
    return tuple(names.values())


def extras_type(names: Sequence[str]) -> T.DataType:
    """One struct field per extra column (text as written); a plain null string when the day
    has none (Parquet has no empty struct; COPY still finds the column by position)."""
    if not names:
        return T.StringType()
    return T.StructType([T.StructField(name, T.StringType()) for name in names])


def _extras(fields: Column, flight_file: FlightFile, names: Sequence[str]) -> Column:
    """This file's values of the day's extra columns, or null when it has none of them."""
    kind = extras_type(names)
    index = {name.strip().lower(): i for i, name in enumerate(flight_file.header)}
    if not any(name.lower() in index for name in names):
        return F.lit(None).cast(kind)
    return F.struct(
        *[
            (F.get(fields, index[name.lower()]) if name.lower() in index else F.lit(None))
            .cast("string")
            .alias(name)
            for name in names
        ]
    )


_BYTE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20,
               "g": 1 << 30, "gb": 1 << 30, "t": 1 << 40, "tb": 1 << 40}  # fmt: skip


def _conf_bytes(spark: SparkSession, key: str) -> int:
    """A size setting as Spark reads it ("128m", "4194304b": binary units)."""
    text = spark.conf.get(key).strip().lower()
    number = text.rstrip("abcdefghijklmnopqrstuvwxyz")
    return int(number) * _BYTE_UNITS[text[len(number) :]]


def read_as_one_split(spark: SparkSession, flight_file: FlightFile) -> bool:
    """Whether Spark reads the whole file as one split, from its first byte: a gzip file is
    not splittable, and Spark never splits a file no larger than both
    spark.sql.files.maxPartitionBytes and spark.sql.files.openCostInBytes (Spark's split
    size, FilePartition.maxSplitBytes, is the smaller of the first and the larger of the
    second and the bytes per core). tests/glue/test_transform.py reads a file both ways."""
    if flight_file.compressed:
        return True
    bound = min(
        _conf_bytes(spark, "spark.sql.files.maxPartitionBytes"),
        _conf_bytes(spark, "spark.sql.files.openCostInBytes"),
    )
    return 0 < flight_file.size <= bound


def read_flight_file(
    spark: SparkSession, path: str, flight_file: FlightFile, extra_names: Sequence[str] = ()
) -> DataFrame:
    """One file as raw strings in canonical columns, with its name and line numbers, and its
    values of the day's extra columns (`extra_names`) in one struct column `extras`.

    The file is read as text, one row per physical line (LF or CRLF), so a line's number is
    its physical line number whatever it holds: blank lines (skipped here, but counted),
    quoted line breaks (each line is then a malformed record) and all. Each line is split
    into fields by the contract's CSV rules and its field count kept, so a row is checked
    against its own file's header, whatever order, case or extra columns that has.

    Spark splits a big file into several partitions (and cores). A line's number is the
    number of lines in the splits before its own (counted per split start, a cheap pass
    that parses nothing) plus its position in its split.
    """
    df = spark.read.text(path)
    if read_as_one_split(spark, flight_file):
        split_sizes = [(0, flight_file.lines)]  # no counting pass: one Spark job less
    else:
        split_sizes = sorted(
            (row[0], row[1]) for row in df.groupBy(F.input_file_block_start()).count().collect()
        )
    lines_before, offsets = 0, []
    for split_start, lines in split_sizes:
        offsets += [F.lit(split_start), F.lit(lines_before)]
        lines_before += lines
    # Both expressions must be evaluated in the scan, before any filter or shuffle.
    position_in_split = F.monotonically_increasing_id().bitwiseAND(F.lit(_ROW_IN_PARTITION))
    split_offset = F.element_at(F.create_map(*offsets), F.input_file_block_start())
    index = {name.strip().lower(): i for i, name in enumerate(flight_file.header)}
    fields = _fields(F.col("value"))
    # One projection, with the nondeterministic line number: Spark pushes no filter below
    # it, so the checks above read these columns instead of splitting the line again for
    # every reference (and codegen splits each line once, however often `fields` appears).
    numbered = df.select(
        *[
            F.get(fields, index[canonical.lower()]).alias(RAW[canonical])
            for canonical in FLIGHT_COLUMNS
        ],
        *[
            (
                F.get(fields, index[column.header.lower()])
                if column.header.lower() in index
                else F.lit(None).cast("string")
            ).alias(column.raw)
            for column in OPTIONAL_FLIGHT_COLUMNS
        ],
        _extras(fields, flight_file, extra_names).alias("extras"),
        F.col("value").alias("line"),
        F.size(fields).alias("field_count"),
        F.lit(len(flight_file.header)).alias("expected_fields"),
        F.lit(flight_file.name).alias("source_file"),
        (split_offset + position_in_split + 1).cast("int").alias("source_line"),
    )
    # Line 1 is the header; blank (or blanks-only) lines are no records.
    return numbered.filter(
        (F.col("source_line") > 1) & (F.expr("trim(BOTH ' \t' FROM line)") != "")
    )


_RAW_SCHEMA = T.StructType(
    [T.StructField(name, T.StringType()) for name in (*RAW.values(), "extras", "line")]
    + [T.StructField(name, T.IntegerType()) for name in ("field_count", "expected_fields")]
    + [T.StructField("source_file", T.StringType()), T.StructField("source_line", T.IntegerType())]
)


def read_flight_files(spark: SparkSession, files: Sequence[tuple[str, FlightFile]]) -> DataFrame:
    """Every file's raw rows in one frame (none for a day declared empty without files)."""
    names = extra_column_names([flight_file for _, flight_file in files])
    frames = [read_flight_file(spark, path, flight_file, names) for path, flight_file in files]
    if not frames:
        return spark.createDataFrame([], _RAW_SCHEMA)
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return result


def _clean(raw: str) -> Column:
    return F.trim(F.coalesce(F.col(raw), F.lit("")))


def _quoted(label: str, column: Column) -> Column:
    return F.concat(F.lit(f"{label} '"), column, F.lit("'"))


def _minutes(cleaned: Column) -> Column:
    # Cast only what the pattern accepts: no lenient cast turning garbage into null (Spark 4
    # runs ANSI mode, where such a cast fails the job instead).
    return F.when(
        cleaned.rlike(_WHOLE_MINUTES), cleaned.cast(T.DecimalType(10, 2)).cast(T.IntegerType())
    )


def _airport_id(cleaned: Column) -> Column:
    return F.when(cleaned.rlike(_INTEGER), cleaned.cast(T.IntegerType()))


def _text(column: OptionalColumn) -> str:
    """The cleaned text column of an optional contract column."""
    return f"{column.staged}_text"


def _cleaned_columns() -> dict[str, Column]:
    """Cleaned text of each raw field, computed once per row and shared by every check."""
    return {
        "carrier_code": F.upper(_clean("carrier_raw")),
        "origin_text": _clean("origin_airport_id_raw"),
        "dest_text": _clean("dest_airport_id_raw"),
        "dep_text": _clean("dep_delay_raw"),
        "arr_text": _clean("arr_delay_raw"),
        **{
            _text(column): F.upper(_clean(column.raw)) if column.upper_case else _clean(column.raw)
            for column in OPTIONAL_FLIGHT_COLUMNS
        },
    }


_RANGE_TEXT = f"outside {MIN_DELAY_MINUTES}..{MAX_DELAY_MINUTES} minutes"


def _checks() -> list[tuple[Column, str, Column]]:
    """(failed, reason, detail) in priority order, over validate()'s cleaned columns."""
    carrier, origin, dest = F.col("carrier_code"), F.col("origin_text"), F.col("dest_text")
    dep, arr = F.col("dep_text"), F.col("arr_text")

    def out_of_range(minutes: str) -> Column:
        return (F.col(minutes) < MIN_DELAY_MINUTES) | (F.col(minutes) > MAX_DELAY_MINUTES)

    line = F.col("line")
    return [
        (line.contains('"') & ~line.rlike(_RECORD), RejectReason.MALFORMED_RECORD,
         F.lit("unclosed quote (a field may not span lines)")),
        (F.col("field_count") != F.col("expected_fields"), RejectReason.WRONG_COLUMN_COUNT,
         F.concat(F.lit("expected "), F.col("expected_fields").cast("string"),
                  F.lit(" fields as in the header, got "), F.col("field_count").cast("string"))),
        (carrier == "", RejectReason.EMPTY_CARRIER, F.lit("Carrier is empty")),
        (~carrier.rlike(_CARRIER), RejectReason.INVALID_CARRIER, _quoted("Carrier", carrier)),
        (origin == "", RejectReason.MISSING_ORIGIN_AIRPORT_ID, F.lit("OriginAirportID is empty")),
        (~origin.rlike(_INTEGER), RejectReason.INVALID_ORIGIN_AIRPORT_ID,
         _quoted("OriginAirportID", origin)),
        (dest == "", RejectReason.MISSING_DEST_AIRPORT_ID, F.lit("DestAirportID is empty")),
        (~dest.rlike(_INTEGER), RejectReason.INVALID_DEST_AIRPORT_ID,
         _quoted("DestAirportID", dest)),
        ((dep != "") & ~dep.rlike(_WHOLE_MINUTES), RejectReason.INVALID_DEP_DELAY,
         _quoted("DepDelay", dep)),
        (out_of_range("dep_delay_minutes"), RejectReason.DEP_DELAY_OUT_OF_RANGE,
         F.concat(_quoted("DepDelay", dep), F.lit(f" {_RANGE_TEXT}"))),
        ((arr != "") & ~arr.rlike(_WHOLE_MINUTES), RejectReason.INVALID_ARR_DELAY,
         _quoted("ArrDelay", arr)),
        (out_of_range("arr_delay_minutes"), RejectReason.ARR_DELAY_OUT_OF_RANGE,
         F.concat(_quoted("ArrDelay", arr), F.lit(f" {_RANGE_TEXT}"))),
        *[_optional_check(column) for column in OPTIONAL_FLIGHT_COLUMNS],
    ]  # fmt: skip


def _optional_check(column: OptionalColumn) -> tuple[Column, str, Column]:
    """An optional column's one check: empty is NULL, anything else must fit its rule."""
    text = F.col(_text(column))
    broken = ~text.rlike(column.pattern) | (F.octet_length(text) > column.max_bytes)
    return (text != "") & broken, column.reject_reason, _quoted(column.header, text)


# Rejects whose raw values (the five required columns) do not show what was wrong: the
# rejects file keeps their whole line.
_WHOLE_LINE_REASONS = (
    RejectReason.MALFORMED_RECORD,
    RejectReason.WRONG_COLUMN_COUNT,
    *(column.reject_reason for column in OPTIONAL_FLIGHT_COLUMNS),
)


def validate(raw: DataFrame) -> DataFrame:
    """Cast every row and give the first reason it cannot be loaded (null when it can).

    Empty delays are not errors: a missing departure delay marks a cancelled flight, a
    missing arrival delay a diverted one. Unknown airport ids are not errors either: the
    row is kept and flagged by `enrich`. An empty optional column's value (or a file
    without the column) is NULL, not an error. The human-readable detail is only built for
    rejected rows (`rejected_rows`): it costs string work on every row otherwise.
    """
    cleaned = raw.select("*", *[expr.alias(name) for name, expr in _cleaned_columns().items()])
    typed = cleaned.select(
        "*",
        _airport_id(F.col("origin_text")).alias("origin_airport_id"),
        _airport_id(F.col("dest_text")).alias("dest_airport_id"),
        _minutes(F.col("dep_text")).alias("dep_delay_minutes"),
        _minutes(F.col("arr_text")).alias("arr_delay_minutes"),
        *[
            F.when(F.col(_text(column)) != "", F.col(_text(column))).alias(column.staged)
            for column in OPTIONAL_FLIGHT_COLUMNS
        ],
    )
    reason = F.lit(None).cast("string")
    for failed, code, _ in reversed(_checks()):  # inside out: the first check listed wins
        reason = F.when(failed, F.lit(code)).otherwise(reason)
    return typed.select("*", reason.alias("reject_reason"))


def rejected_rows(checked: DataFrame, flight_date: dt.date) -> DataFrame:
    """The quarantined rows with their reason, detail and raw values (rejects file layout)."""
    detail = F.lit(None).cast("string")
    for _, code, text in reversed(_checks()):
        detail = F.when(F.col("reject_reason") == code, text).otherwise(detail)
    return checked.filter(F.col("reject_reason").isNotNull()).select(
        F.lit(flight_date.isoformat()).alias("flight_date"),
        "source_file",
        "source_line",
        "reject_reason",
        detail.alias("reject_detail"),
        F.col("carrier_raw").alias("carrier"),
        F.col("origin_airport_id_raw").alias("origin_airport_id"),
        F.col("dest_airport_id_raw").alias("dest_airport_id"),
        F.col("dep_delay_raw").alias("dep_delay"),
        F.col("arr_delay_raw").alias("arr_delay"),
        F.when(F.col("reject_reason").isin(*_WHOLE_LINE_REASONS), F.col("line")).alias(
            "raw_record"
        ),
    )


def airports_frame(
    spark: SparkSession, airports: Sequence[Airport], source_file: str, run_id: str,
    loaded_at: dt.datetime,
) -> DataFrame:  # fmt: skip
    """The parsed airports dimension as a DataFrame in staging.airports layout."""
    schema = T.StructType(
        [
            T.StructField("airport_id", T.IntegerType(), False),
            T.StructField("city", T.StringType(), False),
            T.StructField("state", T.StringType(), False),
            T.StructField("airport_name", T.StringType(), False),
            T.StructField("source_file", T.StringType(), False),
            T.StructField("run_id", T.StringType(), False),
            T.StructField("loaded_at", T.TimestampNTZType(), False),
        ]
    )
    rows = [
        (a.airport_id, a.city, a.state, a.name, source_file, run_id, loaded_at) for a in airports
    ]
    return spark.createDataFrame(rows, schema)


def enrich(
    checked: DataFrame, airports: DataFrame, flight_date: dt.date, run_id: str,
    loaded_at: dt.datetime,
) -> DataFrame:  # fmt: skip
    """Valid rows joined to origin and destination airports, in staging.flights layout.

    Left joins: an unknown airport id keeps the flight, with null names and a flag. The
    flight id hashes date, file name and line, so reloading the same file gives the same ids.
    """
    dim = F.broadcast(airports.select("airport_id", "city", "state", "airport_name"))
    origin = dim.select(
        F.col("airport_id").alias("o_id"),
        F.col("city").alias("origin_city"),
        F.col("state").alias("origin_state"),
        F.col("airport_name").alias("origin_airport_name"),
    )
    dest = dim.select(
        F.col("airport_id").alias("d_id"),
        F.col("city").alias("dest_city"),
        F.col("state").alias("dest_state"),
        F.col("airport_name").alias("dest_airport_name"),
    )
    valid = checked.filter(F.col("reject_reason").isNull())
    joined = valid.join(origin, valid.origin_airport_id == origin.o_id, "left").join(
        dest, valid.dest_airport_id == dest.d_id, "left"
    )
    date_text = flight_date.isoformat()
    # md5 as a stable 32-character key (not for security): cheaper than sha2 per row.
    flight_id = F.md5(
        F.concat_ws("|", F.lit(date_text), F.col("source_file"), F.col("source_line"))
    )
    columns = {
        "flight_id": flight_id,
        "flight_date": F.lit(flight_date).cast("date"),
        "carrier_code": F.col("carrier_code"),
        "origin_airport_id": F.col("origin_airport_id"),
        "dest_airport_id": F.col("dest_airport_id"),
        "dep_delay_minutes": F.col("dep_delay_minutes"),
        "arr_delay_minutes": F.col("arr_delay_minutes"),
        "is_cancelled": F.col("dep_delay_minutes").isNull(),
        "is_diverted": F.col("dep_delay_minutes").isNotNull() & F.col("arr_delay_minutes").isNull(),
        "origin_city": F.col("origin_city"),
        "origin_state": F.col("origin_state"),
        "origin_airport_name": F.col("origin_airport_name"),
        "dest_city": F.col("dest_city"),
        "dest_state": F.col("dest_state"),
        "dest_airport_name": F.col("dest_airport_name"),
        "is_origin_known": F.col("o_id").isNotNull(),
        "is_dest_known": F.col("d_id").isNotNull(),
        "source_file": F.col("source_file"),
        "source_line": F.col("source_line"),
        "run_id": F.lit(run_id),
        "loaded_at": F.lit(loaded_at).cast(T.TimestampNTZType()),
        EXTRA_COLUMNS_COLUMN: F.col("extras"),
        **{column.staged: F.col(column.staged) for column in OPTIONAL_FLIGHT_COLUMNS},
    }
    assert tuple(columns) == STAGED_FLIGHT_COLUMNS  # the DDL's order is the COPY contract
    return joined.select(*[expr.alias(name) for name, expr in columns.items()])


def input_metrics(reasons: Sequence[str]) -> list[Column]:
    """Observed while the rejects are written: rows read and rejected, by reason."""
    return [F.count(F.lit(1)).alias("rows_read")] + [
        F.sum(F.when(F.col("reject_reason") == reason, 1).otherwise(0)).alias(reason)
        for reason in reasons
    ]


def output_metrics(max_ids: int = 20) -> list[Column]:
    """Observed while the staged rows are written: what was loaded, cancelled, unknown."""
    unknown_ids = F.array_union(
        F.collect_set(F.when(~F.col("is_origin_known"), F.col("origin_airport_id"))),
        F.collect_set(F.when(~F.col("is_dest_known"), F.col("dest_airport_id"))),
    )
    return [
        F.count(F.lit(1)).alias("rows_loaded"),
        F.sum(F.col("is_cancelled").cast("int")).alias("cancelled"),
        F.sum(F.col("is_diverted").cast("int")).alias("diverted"),
        F.sum((~F.col("is_origin_known")).cast("int")).alias("unknown_origin_rows"),
        F.sum((~F.col("is_dest_known")).cast("int")).alias("unknown_dest_rows"),
        F.size(unknown_ids).alias("unknown_airport_id_count"),
        # A string: observed metrics reach Python as Java objects, arrays don't convert.
        F.array_join(F.slice(F.array_sort(unknown_ids), 1, max_ids), ",").alias(
            "unknown_airport_ids"
        ),
    ]
