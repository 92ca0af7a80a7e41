"""The input contract checks that run before Spark: headers, partition dates, airports."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io

import pytest
from flightline_glue.contract import REJECT_COLUMNS, InputContractError, flight_date_from_folder
from flightline_glue.inputs import (
    discover_day,
    discover_flight_files,
    map_header,
    parse_airports,
    rejects_csv,
)
from flightline_glue.storage import LocalStorage

HEADER = "Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay"


def test_header_matches_case_insensitively_in_any_order_and_reports_extras():
    column_for, extras = map_header(
        ["arrdelay", " CARRIER", "FlightNum", "DestAirportID", "DepDelay", "OriginAirportId"],
        "a.csv",
    )
    assert column_for == {
        "Carrier": " CARRIER",
        "OriginAirportID": "OriginAirportId",
        "DestAirportID": "DestAirportID",
        "DepDelay": "DepDelay",
        "ArrDelay": "arrdelay",
    }
    assert extras == ("FlightNum",)


def test_an_optional_contract_column_is_mapped_when_present_and_is_no_extra():
    """TailNumber is adopted (contract.OPTIONAL_FLIGHT_COLUMNS): matched like the required
    columns, in any case; no longer reported or kept as an extra column."""
    column_for, extras = map_header([*HEADER.split(","), "tailNUMBER ", "Gate"], "a.csv")
    assert column_for["TailNumber"] == "tailNUMBER "
    assert extras == ("Gate",)
    column_for, extras = map_header(HEADER.split(","), "b.csv")
    assert "TailNumber" not in column_for
    assert extras == ()


def test_an_optional_column_given_twice_is_an_error():
    with pytest.raises(InputContractError, match="'tailnumber' appears twice"):
        map_header([*HEADER.split(","), "TailNumber", "tailnumber"], "x.csv")


def test_missing_required_columns_name_the_file_and_the_columns():
    with pytest.raises(InputContractError) as error:
        map_header(
            ["Carrier", "OriginAirportID", "DepDelay"], "daily_flights/date=2024-01-01/x.csv"
        )
    message = str(error.value)
    assert "daily_flights/date=2024-01-01/x.csv" in message
    assert "missing required column(s) DestAirportID (no header name close), ArrDelay" in message


@pytest.mark.parametrize(
    ("header", "column", "nearest"),
    [
        ("Carrier,OriginAirportID,DestAirportID,Dep_Delay,ArrDelay", "DepDelay", "Dep_Delay"),
        ("Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelayMinutes,TailNumber",
         "ArrDelay", "ArrDelayMinutes"),
        ("Carrier,OriginAirportId,DestAirport,DepDelay,ArrDelay", "DestAirportID", "DestAirport"),
        ("Airline,OriginAirportID,DestAirportID,DepDelay,ArrDelay", "Carrier", None),
    ],
)  # fmt: skip
def test_a_renamed_column_names_the_nearest_header_name(header, column, nearest):
    """A required column missing or renamed: one line naming it and the header name most like
    it among those the contract does not know (what it was probably renamed to)."""
    with pytest.raises(InputContractError) as error:
        map_header(header.split(","), "daily_flights/date=2024-01-01/x.csv")
    message = str(error.value)
    assert "\n" not in message
    expected = (
        f"{column} (nearest header name: '{nearest}')"
        if nearest
        else f"{column} (no header name close)"
    )
    assert f"missing required column(s) {expected} (header is: {header})" in message


def test_a_column_given_twice_is_an_error():
    with pytest.raises(InputContractError, match="'carrier' appears twice"):
        map_header([*HEADER.split(","), "carrier"], "x.csv")


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("date=2024-02-29", dt.date(2024, 2, 29)),
        ("daily_flights/date=2024-01-31/", dt.date(2024, 1, 31)),
    ],
)
def test_the_date_comes_from_the_partition_folder(folder, expected):
    assert flight_date_from_folder(folder) == expected


@pytest.mark.parametrize(
    "folder", ["date=2023-02-29", "date=yesterday", "day=2024-01-01", "2024-01-01"]
)
def test_a_folder_that_is_not_a_valid_date_is_an_error(folder):
    with pytest.raises(InputContractError, match=folder.split("/")[-1]):
        flight_date_from_folder(folder)


def test_airports_with_crlf_spaces_after_commas_and_quoted_commas():
    data = (
        b"airport_id,city,state,name\r\n"
        b"10165,Adak Island, AK, Adak\r\n"
        b'12478,New York, NY, "John F. Kennedy International, Queens"\r\n'
        b"\r\n"
        b"10397,Atlanta, GA, Hartsfield-Jackson Atlanta International\r\n"
    )
    dim = parse_airports(data, "dim/airports.csv")
    assert [(a.airport_id, a.city, a.state, a.name) for a in dim.airports] == [
        (10165, "Adak Island", "AK", "Adak"),
        (12478, "New York", "NY", "John F. Kennedy International, Queens"),
        (10397, "Atlanta", "GA", "Hartsfield-Jackson Atlanta International"),
    ]
    assert dim.rejects == []


def test_bad_airport_rows_are_kept_as_rejects_with_line_and_reason():
    data = (
        b"airport_id,city,state,name\n"
        b"10165,Adak Island, AK, Adak\n"
        b"ABC,Nowhere, XX, Bad Id\n"
        b"10165,Adak Again, AK, Duplicate\n"
        b"10299,Anchorage, AK\n"
        b"10300,, AK, No City\n"
    )
    dim = parse_airports(data, "dim/airports.csv")
    assert [a.airport_id for a in dim.airports] == [10165]
    assert [(r.source_line, r.reject_reason) for r in dim.rejects] == [
        (3, "invalid_airport_id"),
        (4, "duplicate_airport_id"),
        (5, "wrong_column_count"),
        (6, "missing_airport_field"),
    ]
    assert "already on line 2" in dim.rejects[1].reject_detail


def test_airport_rejects_have_the_flight_rejects_columns_the_flight_ones_empty():
    data = b'airport_id,city,state,name\n"1,2",Nowhere, XX, Bad Id\n'
    dim = parse_airports(data, "dim/airports.csv")
    text = rejects_csv(dim.rejects, dt.date(2024, 1, 2)).decode()
    assert text.splitlines()[0] == ",".join(REJECT_COLUMNS)
    assert list(csv.DictReader(io.StringIO(text))) == [
        {
            "flight_date": "2024-01-02",
            "source_file": "dim/airports.csv",
            "source_line": "2",
            "reject_reason": "invalid_airport_id",
            "reject_detail": "airport_id '1,2'",
            "carrier": "",
            "origin_airport_id": "",
            "dest_airport_id": "",
            "dep_delay": "",
            "arr_delay": "",
            "raw_record": '"1,2",Nowhere, XX, Bad Id',
        }
    ]
    # an airports upload's run has no flight date
    assert (
        rejects_csv(dim.rejects, None).decode().splitlines()[1].startswith(",dim/airports.csv,2,")
    )


def test_airports_file_missing_a_column_stops_the_run():
    with pytest.raises(InputContractError, match=r"dim/airports\.csv: missing required column"):
        parse_airports(b"airport_id,city,name\n1,A,B\n", "dim/airports.csv")


def test_discovery_finds_csv_and_gzip_files_and_reads_gzip_headers(tmp_path):
    day = tmp_path / "daily_flights" / "date=2024-01-05"
    day.mkdir(parents=True)
    (day / "a.csv").write_text(HEADER + "\nDL,1,2,3,4\n")
    with gzip.open(day / "b.csv.gz", "wt") as f:
        f.write("arrdelay,depdelay,destairportid,originairportid,carrier,Tail\n1,2,3,4,DL,N1\n")
    (day / "_SUCCESS").write_text("")
    (day / "notes.txt").write_text("not a flight file")
    files = discover_flight_files(LocalStorage(tmp_path), dt.date(2024, 1, 5))
    assert [f.name for f in files] == [
        "daily_flights/date=2024-01-05/a.csv",
        "daily_flights/date=2024-01-05/b.csv.gz",
    ]
    assert files[1].column_for["Carrier"] == "carrier"
    assert files[1].extra_columns == ("Tail",)


def test_a_file_not_named_like_a_flight_file_is_listed_not_skipped_silently(tmp_path):
    day = tmp_path / "daily_flights" / "date=2024-01-05"
    day.mkdir(parents=True)
    (day / "a.csv").write_text(HEADER + "\nDL,1,2,3,4\n")
    (day / "notes.txt").write_text("not a flight file")
    (day / "a.csv.bak").write_text("an old copy")
    found = discover_day(LocalStorage(tmp_path), dt.date(2024, 1, 5))
    assert [f.name for f in found.files] == ["daily_flights/date=2024-01-05/a.csv"]
    assert found.ignored == [
        "daily_flights/date=2024-01-05/a.csv.bak",
        "daily_flights/date=2024-01-05/notes.txt",
    ]


def test_a_day_without_files_is_an_error_naming_the_folder(tmp_path):
    with pytest.raises(InputContractError, match="date=2024-01-06"):
        discover_flight_files(LocalStorage(tmp_path), dt.date(2024, 1, 6))
