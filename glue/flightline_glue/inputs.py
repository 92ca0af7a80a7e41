"""Finding a day's files and checking their headers and the airports file, before Spark."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from .contract import (
    AIRPORT_COLUMNS,
    FLIGHT_COLUMNS,
    InputContractError,
    RejectReason,
    day_prefix,
    is_flight_file,
)
from .storage import Storage


@dataclass(frozen=True)
class FlightFile:
    """One input file of the day and how its header maps to the contract's columns."""

    uri: str
    name: str  # key relative to the source root, e.g. daily_flights/date=2024-01-01/a.csv
    header: tuple[str, ...]  # exactly as written in the file, in file order
    column_for: dict[str, str]  # canonical column -> header name in this file
    extra_columns: tuple[str, ...]


@dataclass(frozen=True)
class Airport:
    airport_id: int
    city: str
    state: str
    name: str


@dataclass(frozen=True)
class RejectedRecord:
    source_file: str
    source_line: int
    reject_reason: str
    reject_detail: str
    raw_record: str


@dataclass
class AirportsDimension:
    source_file: str
    airports: list[Airport] = field(default_factory=list)
    rejects: list[RejectedRecord] = field(default_factory=list)


def map_header(header: Iterable[str], file_name: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """Match the contract's columns case-insensitively; a missing one stops the run."""
    by_lower: dict[str, str] = {}
    for name in header:
        key = name.strip().lower()
        if key in by_lower:
            raise InputContractError(f"{file_name}: column '{name.strip()}' appears twice")
        by_lower[key] = name
    missing = [c for c in FLIGHT_COLUMNS if c.lower() not in by_lower]
    if missing:
        raise InputContractError(
            f"{file_name}: missing required column(s) {', '.join(missing)} "
            f"(header is: {','.join(h.strip() for h in header)})"
        )
    column_for = {c: by_lower[c.lower()] for c in FLIGHT_COLUMNS}
    wanted = {c.lower() for c in FLIGHT_COLUMNS}
    extras = tuple(h.strip() for h in header if h.strip().lower() not in wanted)
    return column_for, extras


def _first_line(stream, uri: str) -> str:
    raw = gzip.GzipFile(fileobj=stream) if uri.lower().endswith(".gz") else stream
    line = raw.readline(1 << 16)
    text = line.decode("utf-8-sig").rstrip("\r\n")
    if not text.strip():
        raise InputContractError(f"{uri}: file is empty (no header line)")
    return text


def discover_flight_files(storage: Storage, flight_date: dt.date) -> list[FlightFile]:
    """Every CSV of the day's partition, headers checked; an empty partition is an error."""
    prefix = day_prefix(flight_date)
    root = storage.join("").rstrip("/") + "/"
    files = []
    for uri in storage.list_files(storage.join(prefix)):
        if not is_flight_file(uri):
            continue
        with storage.open_binary(uri) as stream:
            header = next(csv.reader([_first_line(stream, uri)]))
        name = uri[len(root) :] if uri.startswith(root) else uri
        column_for, extras = map_header(header, name)
        files.append(FlightFile(uri, name, tuple(header), column_for, extras))
    if not files:
        raise InputContractError(f"no flight files (*.csv, *.csv.gz) under {storage.join(prefix)}")
    return files


def parse_airports(data: bytes, source_file: str) -> AirportsDimension:
    """Parse the airports CSV: CRLF or LF, a space after each comma, quoted names with commas.

    Rows that cannot be used are returned as rejects (kept, not dropped); a header without
    the contract's columns stops the run.
    """
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InputContractError(f"{source_file}: file is empty") from None
    missing = [c for c in AIRPORT_COLUMNS if c not in header]
    if missing:
        raise InputContractError(
            f"{source_file}: missing required column(s) {', '.join(missing)} "
            f"(header is: {','.join(header)})"
        )
    index = {c: header.index(c) for c in AIRPORT_COLUMNS}
    dim = AirportsDimension(source_file)
    seen: dict[int, int] = {}
    for line_number, row in enumerate(reader, start=2):
        if not row or not any(v.strip() for v in row):
            continue
        raw = ",".join(row)

        def reject(reason: str, detail: str, line: int = line_number, raw: str = raw) -> None:
            dim.rejects.append(RejectedRecord(source_file, line, reason, detail, raw))

        if len(row) != len(header):
            reject(
                RejectReason.WRONG_COLUMN_COUNT, f"expected {len(header)} fields, got {len(row)}"
            )
            continue
        values = {c: row[i].strip() for c, i in index.items()}
        try:
            airport_id = int(values["airport_id"])
        except ValueError:
            reject(RejectReason.INVALID_AIRPORT_ID, f"airport_id '{values['airport_id']}'")
            continue
        empty = [c for c in ("city", "state", "name") if not values[c]]
        if empty:
            reject(RejectReason.MISSING_AIRPORT_FIELD, f"empty {', '.join(empty)}")
            continue
        if airport_id in seen:
            reject(
                RejectReason.DUPLICATE_AIRPORT_ID,
                f"airport_id {airport_id} already on line {seen[airport_id]}",
            )
            continue
        seen[airport_id] = line_number
        dim.airports.append(Airport(airport_id, values["city"], values["state"], values["name"]))
    return dim
