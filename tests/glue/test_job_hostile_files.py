"""Broken files through the real job: a file or an airports file that cannot be read stops
the day with ONE line naming the stage, the file and the line, and loads nothing."""

from __future__ import annotations

import pytest

from tests.glue.job_runs import DAY, GOOD, HEADER, day_folder, fail, gz, loaded

BAD_FILES = {
    "non-UTF-8 header": (
        "flights.csv", b"Carrier,Origin\xe9AirportID\n",
        "flights.csv, line 1: bytes that are not UTF-8",
    ),
    "non-UTF-8 row": (
        "flights.csv", f"{HEADER}\n{GOOD}\nDL,10397,12478,1,\xff\n".encode("latin-1"),
        "flights.csv, line 3: bytes that are not UTF-8",
    ),
    "Latin-1 whole file": (
        "flights.csv", f"{HEADER}\nDL,10397,12478,1,1 caf\xe9\n".encode("latin-1"),
        "flights.csv, line 2: bytes that are not UTF-8",
    ),
    "NUL byte": (
        "flights.csv", f"{HEADER}\n{GOOD}\nDL,10397\x00,12478,1,1\n".encode(),
        "flights.csv, line 3: a NUL byte",
    ),
    "CR-only line endings": (
        "flights.csv", f"{HEADER}\r{GOOD}\r".encode(),
        "flights.csv, line 1: a CR line ending without LF",
    ),
    "truncated gzip": (
        "flights.csv.gz", gz(f"{HEADER}\n" + f"{GOOD}\n" * 500)[:-20],
        "flights.csv.gz: truncated gzip data",
    ),
    "corrupt gzip": (
        "flights.csv.gz", gz(f"{HEADER}\n{GOOD}\n")[:10] + b"\x00garbage-not-deflate" * 4,
        "flights.csv.gz: corrupt gzip data",
    ),
    "empty file": ("flights.csv", b"", "flights.csv: file is empty"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_broken_file_stops_the_day_with_one_line_naming_file_and_line(
    spark, landing, tmp_path, pg_database, case
):
    name, data, expected = BAD_FILES[case]
    (day_folder(landing) / name).write_bytes(data)

    message, _ = fail(spark, landing, tmp_path, pg_database, "broken")

    assert message.startswith("check flight files failed: "), message
    assert f"daily_flights/date={DAY}/{expected}" in message, message
    assert loaded(pg_database) == []


BAD_AIRPORTS = {
    "non-UTF-8": (b"airport_id,city,state,name\n1,Z\xfcrich, ZH, Kloten\n", "line 2: bytes"),
    "NUL byte": (b"airport_id,city,state,name\n1,A\x00, B, C\n", "line 2: a NUL byte"),
    "missing": (None, "dim/airports.csv: not found under"),
}


@pytest.mark.parametrize("case", list(BAD_AIRPORTS))
def test_a_broken_airports_file_stops_the_day_with_one_line(
    spark, landing, tmp_path, pg_database, case
):
    data, expected = BAD_AIRPORTS[case]
    airports = landing / "dim" / "airports.csv"
    if data is None:
        airports.unlink()
    else:
        airports.write_bytes(data)
    (day_folder(landing) / "flights.csv").write_text(f"{HEADER}\n{GOOD}\n")

    message, _ = fail(spark, landing, tmp_path, pg_database, "airports")

    assert message.startswith("read airports failed: dim/airports.csv"), message
    assert expected in message, message
