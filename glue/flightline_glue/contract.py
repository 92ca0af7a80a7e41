"""The input contract: what a day of flights and the airports file must look like."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# Canonical fact columns, in file-header spelling; headers match case-insensitively.
FLIGHT_COLUMNS = ("Carrier", "OriginAirportID", "DestAirportID", "DepDelay", "ArrDelay")
AIRPORT_COLUMNS = ("airport_id", "city", "state", "name")

FLIGHTS_PREFIX = "daily_flights/"
AIRPORTS_KEY = "dim/airports.csv"

# The input reader policy (docs/job.md, "Input contract"). Every file of a day's folder is read,
# whatever its name looks like to Hadoop (`_x.csv`, `.x.csv`, `[1].csv`): nothing is skipped.
# Names end in .csv or .csv.gz, in any case; compression is told by the content (the gzip
# magic bytes), never by the name. Other files (`flights.txt`, Spark's `_SUCCESS`) are not
# read; they are listed in the run summary (`ignored_files`) and logged.
FLIGHT_FILE_SUFFIXES = (".csv", ".csv.gz")
SUCCESS_MARKER = "_SUCCESS"
# The producer's explicit statement that the day has no flights: only with it may a day
# whose files yield no loadable rows replace what is loaded.
EMPTY_DAY_MARKER = "_NO_FLIGHTS"
GZIP_MAGIC = b"\x1f\x8b"
ENCODING = "UTF-8"  # a byte-order mark is allowed and ignored
LINE_ENDINGS = ("LF", "CRLF")  # a bare CR (classic Mac) stops the day

# One id parser for flights and airports: 1 to 9 ASCII digits (fits a signed 32-bit
# integer; no sign, so the dimension's unknown member -1 can never come from a file).
AIRPORT_ID_PATTERN = "[0-9]{1,9}"
_AIRPORT_ID = re.compile(AIRPORT_ID_PATTERN)
UNKNOWN_AIRPORT_ID = -1  # dim_airports' unknown member: reserved, never read from a file

# A day whose share of rejected rows is above this fails instead of loading a remnant (its
# rejects are still written). The job's --max_reject_share overrides it (cloudformation/
# glue.yaml passes the environment's MaxRejectShare); 1 turns the gate off.
DEFAULT_MAX_REJECT_SHARE = 0.5

# Real on-time data never has a delay beyond these; anything outside is a typo or garbage.
MIN_DELAY_MINUTES = -1440
MAX_DELAY_MINUTES = 2880


@dataclass(frozen=True)
class OptionalColumn:
    """A column a day's files may have or not, adopted into the contract from the extras
    (docs/schema-evolution.md, "Adopting a column"). Declaring one here is the whole change on
    the job's side: the header is matched like the required columns, every value is checked
    like theirs (a value that breaks the rule is a reject with `reject_reason`), and it is
    staged as its own column, no longer in `extra_columns`. A file without the column, and an
    empty value, load NULL. The staging migration `migration` adds the column and dbt selects
    it; tests/glue/test_schema_agreement.py fails while one of them is missing.

    Text only: the value is trimmed (upper-cased when `upper_case`) and must match `pattern`
    whole, within `max_bytes` UTF-8 bytes (the staging column's varchar length)."""

    header: str  # file-header spelling; matched case-insensitively
    staged: str  # the staging.flights column (and the dbt column)
    sql_type: str  # its type in the migration, the dbt staging model and the marts' contracts
    max_bytes: int
    pattern: str  # Spark (Java) regular expression the cleaned value must match whole
    reject_reason: str
    migration: str  # the staging migration version that adds the column, e.g. "V005"
    upper_case: bool = True

    @property
    def raw(self) -> str:
        """The raw (string) column the job reads the file's field into."""
        return f"{self.staged}_raw"


# A US civil aircraft registration (an N-number), as the FAA Aircraft Registry's "N-Number
# format" page states it: N, then one to five digits, one to four digits and a letter, or
# one to three digits and two letters; never a zero first, never the letters I or O. So at
# most 6 characters; the column holds 10 bytes, room to widen the rule (e.g. to foreign
# registrations) without a migration.
TAIL_NUMBER_PATTERN = "^N[1-9](?:[0-9]{0,4}|[0-9]{0,3}[A-HJ-NP-Z]|[0-9]{0,2}[A-HJ-NP-Z]{2})$"
# Adopting a column is one entry here (plus its migration and dbt columns). Staged in this
# order after `extra_columns`, as their migrations append them.
OPTIONAL_FLIGHT_COLUMNS = (
    OptionalColumn(
        header="TailNumber", staged="tail_number", sql_type="varchar(10)", max_bytes=10,
        pattern=TAIL_NUMBER_PATTERN, reject_reason="malformed_tail_number", migration="V005",
    ),
)  # fmt: skip

# The staging.flights column order (the DDL's); COPY maps CSV and Parquet by position.
STAGED_FLIGHT_COLUMNS = (
    "flight_id", "flight_date", "carrier_code", "origin_airport_id", "dest_airport_id",
    "dep_delay_minutes", "arr_delay_minutes", "is_cancelled", "is_diverted",
    "origin_city", "origin_state", "origin_airport_name",
    "dest_city", "dest_state", "dest_airport_name",
    "is_origin_known", "is_dest_known", "source_file", "source_line", "run_id", "loaded_at",
    "extra_columns",
    *(column.staged for column in OPTIONAL_FLIGHT_COLUMNS),
)  # fmt: skip
# Columns a file has beyond the contract are kept, not dropped: per row, one semi-structured
# value {header name: text as written} in staging.flights.extra_columns (migration V003:
# SUPER on Redshift, jsonb on PostgreSQL). NULL for rows whose file has no extra column.
EXTRA_COLUMNS_COLUMN = "extra_columns"
# Byte limits of the staging tables' text columns. Redshift VARCHAR(n) counts bytes (not
# characters, as PostgreSQL does) and COPY ... FORMAT PARQUET cannot truncate, so the job
# checks lengths in UTF-8 bytes before staging. The DDL must agree: a test applies it to a
# real PostgreSQL and compares these with information_schema.
STAGED_TEXT_BYTES = {
    "flights": {
        "flight_id": 32, "carrier_code": 3, "origin_city": 128, "origin_state": 8,
        "origin_airport_name": 256, "dest_city": 128, "dest_state": 8,
        "dest_airport_name": 256, "source_file": 512, "run_id": 128,
        **{column.staged: column.max_bytes for column in OPTIONAL_FLIGHT_COLUMNS},
    },
    "airports": {
        "city": 128, "state": 8, "airport_name": 256, "source_file": 512, "run_id": 128,
    },
}  # fmt: skip
STAGED_AIRPORT_COLUMNS = (
    "airport_id", "city", "state", "airport_name", "source_file", "run_id", "loaded_at",
)  # fmt: skip
REJECT_COLUMNS = (
    "flight_date", "source_file", "source_line", "reject_reason", "reject_detail",
    "carrier", "origin_airport_id", "dest_airport_id", "dep_delay", "arr_delay", "raw_record",
)  # fmt: skip

_DATE_FOLDER = re.compile(r"^date=(?P<date>[^/]+)$")


class RejectReason:
    """Why a row was quarantined; checked in this order, the first failing one is recorded."""

    WRONG_COLUMN_COUNT = "wrong_column_count"
    EMPTY_CARRIER = "empty_carrier"
    INVALID_CARRIER = "invalid_carrier"
    MISSING_ORIGIN_AIRPORT_ID = "missing_origin_airport_id"
    INVALID_ORIGIN_AIRPORT_ID = "invalid_origin_airport_id"
    MISSING_DEST_AIRPORT_ID = "missing_dest_airport_id"
    INVALID_DEST_AIRPORT_ID = "invalid_dest_airport_id"
    INVALID_DEP_DELAY = "invalid_dep_delay"
    DEP_DELAY_OUT_OF_RANGE = "dep_delay_out_of_range"
    INVALID_ARR_DELAY = "invalid_arr_delay"
    ARR_DELAY_OUT_OF_RANGE = "arr_delay_out_of_range"
    # a value longer (in UTF-8 bytes) than its staging column: STAGED_TEXT_BYTES
    TEXT_TOO_LONG = "text_too_long"
    # a line that is not one CSV record: an unclosed quote (fields may not span lines)
    MALFORMED_RECORD = "malformed_record"
    # airports file
    INVALID_AIRPORT_ID = "invalid_airport_id"
    DUPLICATE_AIRPORT_ID = "duplicate_airport_id"
    MISSING_AIRPORT_FIELD = "missing_airport_field"


# The flight-row reasons, in the order validate() checks them: the optional columns' last.
FLIGHT_REJECT_REASONS = (
    RejectReason.MALFORMED_RECORD,
    RejectReason.WRONG_COLUMN_COUNT,
    RejectReason.EMPTY_CARRIER,
    RejectReason.INVALID_CARRIER,
    RejectReason.MISSING_ORIGIN_AIRPORT_ID,
    RejectReason.INVALID_ORIGIN_AIRPORT_ID,
    RejectReason.MISSING_DEST_AIRPORT_ID,
    RejectReason.INVALID_DEST_AIRPORT_ID,
    RejectReason.INVALID_DEP_DELAY,
    RejectReason.DEP_DELAY_OUT_OF_RANGE,
    RejectReason.INVALID_ARR_DELAY,
    RejectReason.ARR_DELAY_OUT_OF_RANGE,
    *(column.reject_reason for column in OPTIONAL_FLIGHT_COLUMNS),
)


class InputContractError(ValueError):
    """Input that breaks the contract so badly that the run must stop (nothing is loaded).

    `file` and `line` say where, when known: the one-line failure message names them."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.line = line


def parse_airport_id(text: str) -> int | None:
    """The airport id in `text` (already stripped), or None when it is not one."""
    return int(text) if _AIRPORT_ID.fullmatch(text) else None


def text_over_limit(table: str, column: str, value: str) -> str | None:
    """Why `value` does not fit staging `table.column`, or None when it does."""
    limit = STAGED_TEXT_BYTES[table][column]
    size = len(value.encode("utf-8"))
    if size <= limit:
        return None
    return f"{column} is {size} bytes in UTF-8, the column holds {limit}"


def flight_date_from_folder(folder: str) -> dt.date:
    """`date=2024-01-31` -> 2024-01-31; anything else is a contract error naming the folder."""
    match = _DATE_FOLDER.match(folder.strip("/").rsplit("/", 1)[-1])
    if not match:
        raise InputContractError(f"partition folder '{folder}' is not of the form date=YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(match["date"])
    except ValueError:
        raise InputContractError(
            f"partition folder '{folder}' does not hold a valid date: '{match['date']}'"
        ) from None


def parse_reject_share(value: str) -> float:
    """`--max_reject_share`: a fraction from 0 to 1."""
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0.0 <= share <= 1.0:
        raise InputContractError(f"max reject share '{value}' is not a number from 0 to 1")
    return share


def parse_flight_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputContractError(f"flight date '{value}' is not a valid YYYY-MM-DD date") from None


def day_prefix(flight_date: dt.date) -> str:
    return f"{FLIGHTS_PREFIX}date={flight_date.isoformat()}/"


def is_flight_file(key: str) -> bool:
    """Named like a flight file (hidden-looking names included: they are read, not skipped)."""
    return key.rsplit("/", 1)[-1].lower().endswith(FLIGHT_FILE_SUFFIXES)


def is_day_marker(key: str) -> bool:
    return key.rsplit("/", 1)[-1] in (SUCCESS_MARKER, EMPTY_DAY_MARKER)
