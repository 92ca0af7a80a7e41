"""Finding a day's files and checking their headers and the airports file, before Spark."""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .contract import (
    AIRPORT_COLUMNS,
    EMPTY_DAY_MARKER,
    FLIGHT_COLUMNS,
    GZIP_MAGIC,
    OPTIONAL_FLIGHT_COLUMNS,
    REJECT_COLUMNS,
    STAGED_TEXT_BYTES,
    InputContractError,
    RejectReason,
    day_prefix,
    is_day_marker,
    is_flight_file,
    parse_airport_id,
    text_over_limit,
)
from .storage import Storage


@dataclass(frozen=True)
class FlightFile:
    """One input file of the day and how its header maps to the contract's columns."""

    uri: str
    name: str  # key relative to the source root, e.g. daily_flights/date=2024-01-01/a.csv
    header: tuple[str, ...]  # exactly as written in the file, in file order
    # contract column (required, and the optional ones the file has) -> its header name here
    column_for: dict[str, str]
    extra_columns: tuple[str, ...]  # beyond the contract: kept in staging.flights.extra_columns
    compressed: bool = False  # told by the content (gzip magic bytes), not the name
    lines: int = 0  # physical lines, header included
    # The first line as written (decompressed; a byte-order mark or the CR of CRLF kept):
    # the run summary's headers, from which the day crawl decides (headers.py).
    header_line: str = ""
    size: int = 0  # bytes as stored (compressed for a gzip file)

    @property
    def optional_columns(self) -> tuple[str, ...]:
        """The contract's optional columns this file has (the others load NULL)."""
        return tuple(c.header for c in OPTIONAL_FLIGHT_COLUMNS if c.header in self.column_for)

    @property
    def spark_safe(self) -> bool:
        """Whether Spark reads this path as itself: no glob pattern characters, not a name
        Hadoop hides (`_x`, `.x`), and a `.gz` suffix exactly when the content is gzip
        (Hadoop picks the codec from the name, case-sensitively). Other files are read
        through a copy with a plain name (`Storage.write_stream`)."""
        path = self.uri.split("://", 1)[-1]
        base = path.rsplit("/", 1)[-1]
        return (
            _SAFE_NAME.fullmatch(base) is not None
            and not _GLOB_CHARS.search(path)
            and base.endswith(".gz") == self.compressed
        )

    @property
    def spark_suffix(self) -> str:
        return ".csv.gz" if self.compressed else ".csv"


_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._=+-]*")
_GLOB_CHARS = re.compile(r"[][{}*?\\:%]")
# Stops the day: a NUL byte, or a CR not followed by LF (line endings are LF or CRLF).
_BAD_BYTES = re.compile(rb"\x00|\r(?!\n)")
_CHUNK = 1 << 20


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


def nearest_header(column: str, header_names: Iterable[str]) -> str | None:
    """The header name most like `column` (a renamed column: `Dep_Delay`, `ArrDelayMinutes`),
    by difflib's ratio, case-insensitively; None when nothing is close."""
    by_lower = {name.lower(): name for name in header_names if name}
    found = difflib.get_close_matches(column.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[found[0]] if found else None


def missing_columns_message(missing: Iterable[str], unmatched: Iterable[str]) -> str:
    """`missing required column(s) A (nearest header name: 'a_x'), B (no header name close)`:
    what a renamed column was probably renamed to, among the header names nothing matched."""
    unmatched = list(unmatched)
    parts = []
    for column in missing:
        near = nearest_header(column, unmatched)
        parts.append(
            f"{column} (nearest header name: '{near}')"
            if near
            else f"{column} (no header name close)"
        )
    return f"missing required column(s) {', '.join(parts)}"


def map_header(header: Iterable[str], file_name: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """Match the contract's columns case-insensitively; a missing required one stops the run.
    Returns {contract column: header name} (optional columns only when present) and the
    header names beyond the contract."""
    by_lower: dict[str, str] = {}
    for name in header:
        key = name.strip().lower()
        if key in by_lower:
            raise InputContractError(
                f"{file_name}: column '{name.strip()}' appears twice", file_name, 1
            )
        by_lower[key] = name
    known = (*FLIGHT_COLUMNS, *(c.header for c in OPTIONAL_FLIGHT_COLUMNS))
    contract = {c.lower() for c in known}
    missing = [c for c in FLIGHT_COLUMNS if c.lower() not in by_lower]
    if missing:
        unmatched = [h.strip() for h in header if h.strip().lower() not in contract]
        raise InputContractError(
            f"{file_name}: {missing_columns_message(missing, unmatched)} "
            f"(header is: {','.join(h.strip() for h in header)})",
            file_name,
            1,
        )
    column_for = {c: by_lower[c.lower()] for c in known if c.lower() in by_lower}
    extras = tuple(h.strip() for h in header if h.strip().lower() not in contract)
    return column_for, extras


class FileScan:
    """What one pass over a file's bytes found: compression, header, physical line count.

    The whole file is read once, in the driver, before Spark: bytes that are not UTF-8, a
    NUL byte, a bare CR, a corrupt or truncated gzip stream stop the day with an error that
    names the file and the line, instead of a Spark stack trace halfway through the load."""

    def __init__(self, stream, name: str) -> None:
        self.name = name
        first = stream.read(_CHUNK)
        self.compressed = first[:2] == GZIP_MAGIC
        self.size = 0
        raw = self._counted(_chain(first, stream))
        chunks = _inflate(raw, name) if self.compressed else raw
        self.lines = 0
        self.first_line = None
        self._scan(chunks)

    def _counted(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.size += len(chunk)
            yield chunk

    def _scan(self, chunks: Iterator[bytes]) -> None:
        carry = b""
        head = b""
        for chunk in chunks:
            data = carry + chunk
            carry = self._check(data, final=False)
            if self.first_line is None:
                head += data[: len(data) - len(carry)]
                if b"\n" in head or len(head) > (1 << 16):
                    self.first_line = head.split(b"\n", 1)[0]
        self._check(carry, final=True)
        if self.first_line is None:
            self.first_line = head + carry
        self.written_header_line = self.first_line.decode("utf-8")
        self.header_line = self.written_header_line.removeprefix("\ufeff").rstrip("\r\n")

    def _check(self, data: bytes, final: bool) -> bytes:
        """Check `data`; return the tail to carry into the next chunk (a split sequence)."""
        cut = len(data)
        if not final and data.endswith(b"\r"):
            cut -= 1  # CR LF may straddle the chunk boundary
        try:
            data[:cut].decode("utf-8")
        except UnicodeDecodeError as error:
            if final or error.reason != "unexpected end of data" or error.end != cut:
                self._fail(data, error.start, f"bytes that are not UTF-8 ({error.reason})")
            cut = error.start
        bad = _BAD_BYTES.search(data, 0, cut)
        if bad:
            what = (
                "a NUL byte"
                if bad.group() == b"\x00"
                else ("a CR line ending without LF (line endings must be LF or CRLF)")
            )
            self._fail(data, bad.start(), what)
        body = data[:cut]
        self.lines += body.count(b"\n")
        if final and body and not body.endswith(b"\n"):
            self.lines += 1  # a last line without a line ending
        return data[cut:]

    def _fail(self, data: bytes, offset: int, what: str) -> None:
        line = self.lines + data[:offset].count(b"\n") + 1
        raise InputContractError(f"{self.name}, line {line}: {what}", self.name, line)


def _chain(first: bytes, stream) -> Iterator[bytes]:
    if first:
        yield first
    while chunk := stream.read(_CHUNK):
        yield chunk


def _inflate(chunks: Iterator[bytes], name: str) -> Iterator[bytes]:
    """Gzip members one after another (concatenated members are valid gzip); a corrupt or
    truncated stream is a contract error naming the file."""
    inflater = zlib.decompressobj(wbits=31)
    fresh = True  # nothing fed to the current member yet
    for chunk in chunks:
        data = chunk
        while data:
            try:
                out = inflater.decompress(data)
            except zlib.error as error:
                raise InputContractError(f"{name}: corrupt gzip data ({error})", name) from None
            fresh = False
            if out:
                yield out
            if inflater.eof:
                data = inflater.unused_data
                inflater, fresh = zlib.decompressobj(wbits=31), True
            else:
                data = b""
    if not fresh and not inflater.eof:
        raise InputContractError(f"{name}: truncated gzip data (the stream ends early)", name)


def scan_file(storage: Storage, uri: str, name: str) -> FileScan:
    with storage.open_binary(uri) as stream:
        return FileScan(stream, name)


@dataclass(frozen=True)
class Day:
    """A day's folder: its flight files, and whether the producer declared it empty."""

    files: list[FlightFile]
    declared_empty: bool
    ignored: list[str]  # not named like flight files: listed in the run summary, not read


def discover_day(storage: Storage, flight_date: dt.date) -> Day:
    """Every file of the day's partition, each scanned and its header checked.

    Hidden-looking names are read like any other flight file. A file not named like one
    (`flights.txt`, `a.csv.bak`) is not read, but listed (`Day.ignored`, the run summary)
    and logged: nothing is skipped silently."""
    prefix = day_prefix(flight_date)
    root = storage.join("").rstrip("/") + "/"
    files, declared_empty, ignored = [], False, []
    for uri in storage.list_files(storage.join(prefix)):
        name = uri[len(root) :] if uri.startswith(root) else uri
        if is_day_marker(uri):
            declared_empty |= uri.rsplit("/", 1)[-1] == EMPTY_DAY_MARKER
            continue
        if not is_flight_file(uri):
            ignored.append(name)
            continue
        if text_over_limit("flights", "source_file", name):
            raise InputContractError(
                f"{name}: the name is longer than "
                f"{STAGED_TEXT_BYTES['flights']['source_file']} bytes",
                name,
            )
        scan = scan_file(storage, uri, name)
        if not scan.header_line.strip():
            raise InputContractError(f"{name}: file is empty (no header line)", name, 1)
        header = next(csv.reader([scan.header_line]))
        column_for, extras = map_header(header, name)
        files.append(
            FlightFile(
                uri, name, tuple(header), column_for, extras, scan.compressed, scan.lines,
                scan.written_header_line, scan.size,
            )
        )  # fmt: skip
    if not files and not declared_empty:
        raise InputContractError(f"no flight files (*.csv, *.csv.gz) under {storage.join(prefix)}")
    return Day(files, declared_empty, ignored)


def discover_flight_files(storage: Storage, flight_date: dt.date) -> list[FlightFile]:
    return discover_day(storage, flight_date).files


def parse_airports(data: bytes, source_file: str) -> AirportsDimension:
    """Parse the airports CSV: CRLF or LF, a space after each comma, quoted names with commas
    (even across lines), gzip or not (told by the content).

    The bytes are checked as a flight file's are (UTF-8, no NUL, no bare CR). Rows that cannot
    be used are returned as rejects (kept, not dropped) with their physical line number;
    blank lines are skipped but counted. A header without the contract's columns stops the run.
    """
    if data[:2] == GZIP_MAGIC:
        data = b"".join(_inflate(iter([data]), source_file))
    FileScan(io.BytesIO(data), source_file)
    text = data.decode("utf-8").removeprefix("\ufeff")
    physical = text.split("\n")
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InputContractError(f"{source_file}: file is empty", source_file) from None
    missing = [c for c in AIRPORT_COLUMNS if c not in header]
    if missing:
        unmatched = [h for h in header if h not in AIRPORT_COLUMNS]
        raise InputContractError(
            f"{source_file}: {missing_columns_message(missing, unmatched)} "
            f"(header is: {','.join(header)})",
            source_file,
            1,
        )
    index = {c: header.index(c) for c in AIRPORT_COLUMNS}
    staged_column = {"city": "city", "state": "state", "name": "airport_name"}
    dim = AirportsDimension(source_file)
    seen: dict[int, int] = {}
    last_line = reader.line_num
    for row in reader:
        # A record starts on the line after the previous one ended (quoted line breaks).
        line_number, last_line = last_line + 1, reader.line_num
        if not row or not any(v.strip() for v in row):
            continue
        raw = "\n".join(p.rstrip("\r") for p in physical[line_number - 1 : last_line])

        def reject(reason: str, detail: str, line: int = line_number, raw: str = raw) -> None:
            dim.rejects.append(RejectedRecord(source_file, line, reason, detail, raw))

        if len(row) != len(header):
            reject(
                RejectReason.WRONG_COLUMN_COUNT, f"expected {len(header)} fields, got {len(row)}"
            )
            continue
        values = {c: row[i].strip() for c, i in index.items()}
        airport_id = parse_airport_id(values["airport_id"])
        if airport_id is None:
            reject(RejectReason.INVALID_AIRPORT_ID, f"airport_id '{values['airport_id']}'")
            continue
        empty = [c for c in ("city", "state", "name") if not values[c]]
        if empty:
            reject(RejectReason.MISSING_AIRPORT_FIELD, f"empty {', '.join(empty)}")
            continue
        too_long = [
            why
            for c, staged in staged_column.items()
            if (why := text_over_limit("airports", staged, values[c]))
        ]
        if too_long:
            reject(RejectReason.TEXT_TOO_LONG, "; ".join(too_long))
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


def rejects_csv(records: Iterable[RejectedRecord], flight_date: dt.date | None) -> bytes:
    """Rejected airports rows in the rejects file layout (contract.REJECT_COLUMNS, as
    transform.rejected_rows writes flight rejects); the flight-only columns stay empty."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, REJECT_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    for r in records:
        writer.writerow(
            {
                "flight_date": flight_date or "",
                "source_file": r.source_file,
                "source_line": r.source_line,
                "reject_reason": r.reject_reason,
                "reject_detail": r.reject_detail,
                "raw_record": r.raw_record,
            }
        )
    return buffer.getvalue().encode()
