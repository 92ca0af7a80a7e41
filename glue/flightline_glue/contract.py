"""The input contract: what a day of flights and the airports file must look like."""

from __future__ import annotations

import datetime as dt
import re

# Canonical fact columns, in file-header spelling; headers match case-insensitively.
FLIGHT_COLUMNS = ("Carrier", "OriginAirportID", "DestAirportID", "DepDelay", "ArrDelay")
AIRPORT_COLUMNS = ("airport_id", "city", "state", "name")

FLIGHTS_PREFIX = "daily_flights/"
AIRPORTS_KEY = "dim/airports.csv"
FLIGHT_FILE_SUFFIXES = (".csv", ".csv.gz")

# Real on-time data never has a delay beyond these; anything outside is a typo or garbage.
MIN_DELAY_MINUTES = -1440
MAX_DELAY_MINUTES = 2880

# The staging.flights column order (the DDL's); COPY maps CSV and Parquet by position.
STAGED_FLIGHT_COLUMNS = (
    "flight_id", "flight_date", "carrier_code", "origin_airport_id", "dest_airport_id",
    "dep_delay_minutes", "arr_delay_minutes", "is_cancelled", "is_diverted",
    "origin_city", "origin_state", "origin_airport_name",
    "dest_city", "dest_state", "dest_airport_name",
    "is_origin_known", "is_dest_known", "source_file", "source_line", "run_id", "loaded_at",
)  # fmt: skip
STAGED_AIRPORT_COLUMNS = (
    "airport_id", "city", "state", "airport_name", "source_file", "run_id", "loaded_at",
)  # fmt: skip
REJECT_COLUMNS = (
    "flight_date", "source_file", "source_line", "reject_reason", "reject_detail",
    "carrier", "origin_airport_id", "dest_airport_id", "dep_delay", "arr_delay", "raw_record",
)  # fmt: skip

_DATE_FOLDER = re.compile(r"^date=(?P<date>[^/]+)$")


class InputContractError(ValueError):
    """Input that breaks the contract so badly that the run must stop (nothing is loaded)."""


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
    # airports file
    INVALID_AIRPORT_ID = "invalid_airport_id"
    DUPLICATE_AIRPORT_ID = "duplicate_airport_id"
    MISSING_AIRPORT_FIELD = "missing_airport_field"


# The flight-row reasons, in the order validate() checks them.
FLIGHT_REJECT_REASONS = (
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
)


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


def parse_flight_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputContractError(f"flight date '{value}' is not a valid YYYY-MM-DD date") from None


def day_prefix(flight_date: dt.date) -> str:
    return f"{FLIGHTS_PREFIX}date={flight_date.isoformat()}/"


def is_flight_file(key: str) -> bool:
    name = key.rsplit("/", 1)[-1]
    return not name.startswith(("_", ".")) and key.lower().endswith(FLIGHT_FILE_SUFFIXES)
