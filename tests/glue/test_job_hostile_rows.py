"""Hostile rows and file names through the real job and the real local PostgreSQL: nothing
is lost silently. Every file of the day is read, every row is loaded or quarantined with its
reason and its physical line, and a day that yields nothing never replaces a loaded one."""

from __future__ import annotations

import psycopg

from tests.glue.job_runs import (
    DAY,
    GOOD,
    HEADER,
    airport_rejects,
    day_folder,
    fail,
    gz,
    loaded,
    rejects,
    run,
)


def test_every_file_is_read_whatever_its_name_and_compression(
    spark, landing, tmp_path, pg_database
):
    """Hidden-looking and glob-like names are read, not skipped; compression is told by the
    content, not by the name (upper-case .GZ, gzip named .csv, plain text named .gz)."""
    folder = day_folder(landing)
    files = {
        "_late.csv": f"{HEADER}\nAA,10397,12478,1,1\n".encode(),
        ".early.csv": f"{HEADER}\nUA,10397,12478,2,2\n".encode(),
        "part[1].csv": f"{HEADER}\nB6,10397,12478,3,3\n".encode(),
        "a*b?.csv": f"{HEADER}\nWN,10397,12478,4,4\n".encode(),
        "UPPER.CSV.GZ": gz(f"{HEADER}\nAS,10397,12478,5,5\n"),
        "zipped.csv": gz(f"{HEADER}\nNK,10397,12478,6,6\n"),
        "plain.csv.gz": f"{HEADER}\nF9,10397,12478,7,7\n".encode(),
        "_SUCCESS": b"",
        "notes.txt": b"not flights",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)

    summary = run(spark, landing, tmp_path, pg_database, "names")

    assert summary.status == "succeeded"
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (7, 7, 0)
    by_file = {row[0].rsplit("/", 1)[-1]: (row[1], row[2], row[3]) for row in loaded(pg_database)}
    assert by_file == {
        "_late.csv": (2, "AA", 1),
        ".early.csv": (2, "UA", 2),
        "part[1].csv": (2, "B6", 3),
        "a*b?.csv": (2, "WN", 4),
        "UPPER.CSV.GZ": (2, "AS", 5),
        "zipped.csv": (2, "NK", 6),
        "plain.csv.gz": (2, "F9", 7),
    }
    assert sorted(f["file"].rsplit("/", 1)[-1] for f in summary.input_files) == sorted(by_file)
    assert summary.ignored_files == [f"daily_flights/date={DAY}/notes.txt"]  # listed


def test_a_day_without_loadable_rows_never_replaces_a_loaded_day(
    spark, landing, tmp_path, pg_database
):
    folder = day_folder(landing)
    (folder / "flights.csv").write_text(f"{HEADER}\n{GOOD}\n")
    run(spark, landing, tmp_path, pg_database, "full")
    before = loaded(pg_database)
    assert len(before) == 1

    (folder / "flights.csv").write_text(f"{HEADER}\n")  # header only
    message, summary = fail(spark, landing, tmp_path, pg_database, "header-only")
    assert message.startswith("check loadable rows failed: ")
    assert f"daily_flights/date={DAY}/: no loadable rows in 1 file(s) (0 read" in message
    assert "_NO_FLIGHTS" in message
    assert loaded(pg_database) == before

    (folder / "flights.csv").write_text(f"{HEADER}\nDELTA,1,2,3,4\n")  # every row rejected
    message, _ = fail(spark, landing, tmp_path, pg_database, "all-rejected")
    assert "(1 read, 1 rejected)" in message
    assert loaded(pg_database) == before

    (folder / "_NO_FLIGHTS").write_bytes(b"")  # the producer says so: the day is emptied
    (folder / "flights.csv").write_text(f"{HEADER}\n")
    summary = run(spark, landing, tmp_path, pg_database, "declared-empty")
    assert (summary.status, summary.rows_loaded, summary.rows_replaced) == ("succeeded", 0, 1)
    assert loaded(pg_database) == []


def test_a_short_row_is_checked_against_its_own_files_header(spark, landing, tmp_path, pg_database):
    """Extra header columns must not let a row that lacks trailing fields load with its
    delays read as cancelled or diverted."""
    (day_folder(landing) / "wide.csv").write_text(
        f"{HEADER},TailNum,FlightNum\n"
        f"{GOOD},N1,100\n"
        "DL,10397,12478\n"  # 3 of 7 fields: no delays at all
        "DL,10397,12478,5\n"  # 4 of 7
        f"{GOOD},N1\n"  # 6 of 7
        f"{GOOD},N1,100,extra\n"  # 8 of 7
    )
    summary = run(spark, landing, tmp_path, pg_database, "short")

    assert [(r[1], r[5], r[6]) for r in loaded(pg_database)] == [(2, False, False)]
    assert summary.cancelled == summary.diverted == 0
    got = {
        int(r["source_line"]): (r["reject_reason"], r["reject_detail"]) for r in rejects(summary)
    }
    assert got == {
        3: ("wrong_column_count", "expected 7 fields as in the header, got 3"),
        4: ("wrong_column_count", "expected 7 fields as in the header, got 4"),
        5: ("wrong_column_count", "expected 7 fields as in the header, got 6"),
        6: ("wrong_column_count", "expected 7 fields as in the header, got 8"),
    }


def test_line_numbers_are_physical_lines(spark, landing, tmp_path, pg_database):
    """Blank and blanks-only lines, CRLF and a quoted line break: every number is the line
    an editor shows, in flights and in the airports file."""
    (day_folder(landing) / "flights.csv").write_bytes(
        (
            f"{HEADER}\r\n"  # 1
            f"{GOOD}\r\n"  # 2
            "\r\n"  # 3 blank
            "   \t \r\n"  # 4 blanks only
            "DL,10397,12478,x,1\r\n"  # 5 rejected
            '"D\r\n'  # 6 a quoted field that spans lines: both lines rejected
            'L",10397,12478,1,1\r\n'  # 7
            '"UA",10397,12478,"8","9"\r\n'  # 8 quoted fields are fine
            "\r\n"  # 9
            "DL,10397,12478,abc,1\r\n"  # 10
        ).encode()
    )
    airports = landing / "dim" / "airports.csv"
    lines = airports.read_bytes().split(b"\r\n")
    airports.write_bytes(
        b"\r\n".join(
            [
                lines[0],
                b"",
                b"   ",
                *lines[1:3],
                b'77777,"Two\r\nLines", XX, Name',
                b"BAD,X, XX, Y",
                *lines[3:],
            ]
        )
    )
    summary = run(spark, landing, tmp_path, pg_database, "lines")

    assert [(r[1], r[2], r[3]) for r in loaded(pg_database)] == [(2, "DL", 5), (8, "UA", 8)]
    got = {int(r["source_line"]): r["reject_reason"] for r in rejects(summary) if r["carrier"]}
    flights = {
        int(r["source_line"]): r["reject_reason"]
        for r in rejects(summary)
        if r["source_file"].startswith("daily_flights/")
    }
    assert flights == {
        5: "invalid_dep_delay",
        6: "malformed_record",
        7: "malformed_record",
        10: "invalid_dep_delay",
    }
    assert got  # the flights rejects keep their raw values
    # header 1, blank 2, blanks 3, two airports 4-5, the two-line record 6-7, BAD on 8
    assert [(r["source_line"], r["reject_reason"]) for r in airport_rejects(summary)] == [
        ("8", "invalid_airport_id")
    ]
    assert summary.airports_loaded == 77  # 76 + the two-line record


def test_airport_ids_are_parsed_like_flight_ids(spark, landing, tmp_path, pg_database):
    """One id parser: ASCII digits only, in the integer range; -1 (the dimension's unknown
    member) can never come from a file."""
    airports = landing / "dim" / "airports.csv"
    bad = ["\u0661\u0662\u0663", "10_397", "-1", "99999999999", "+5", "1.0", ""]
    airports.write_bytes(
        airports.read_bytes()
        + "".join(f"{i},City {n}, XX, Name {n}\r\n" for n, i in enumerate(bad)).encode()
    )
    (day_folder(landing) / "flights.csv").write_text(
        f"{HEADER}\n{GOOD}\n" + "".join(f"DL,{i},12478,1,1\n" for i in bad)
    )
    summary = run(spark, landing, tmp_path, pg_database, "ids")

    assert [r["reject_reason"] for r in airport_rejects(summary)] == ["invalid_airport_id"] * 6 + [
        "invalid_airport_id"
    ]
    assert summary.airports_loaded == 76
    flight_reasons = sorted(r["reject_reason"] for r in rejects(summary) if r["carrier"])
    assert flight_reasons == ["invalid_origin_airport_id"] * 6 + ["missing_origin_airport_id"]
    with psycopg.connect(pg_database.url) as conn:
        assert conn.execute("select min(airport_id) from staging.airports").fetchone()[0] > 0


def test_a_multibyte_name_over_the_byte_limit_is_quarantined(spark, landing, tmp_path, pg_database):
    """Redshift VARCHAR(n) counts bytes: 100 characters of 3 bytes do not fit 256."""
    airports = landing / "dim" / "airports.csv"
    long_name = "\u65e5" * 100  # 100 characters, 300 bytes
    fits = "\u00e9" * 128  # 128 characters, 256 bytes: exactly fits
    airports.write_bytes(
        airports.read_bytes()
        + f"77001,Tokyo, JP, {long_name}\r\n77002,Paris, FR, {fits}\r\n".encode()
    )
    (day_folder(landing) / "flights.csv").write_text(
        f"{HEADER}\nDL,77001,12478,1,1\nDL,77002,12478,1,1\n"
    )
    summary = run(spark, landing, tmp_path, pg_database, "bytes")

    quarantined = airport_rejects(summary)
    assert [(r["source_line"], r["reject_reason"], r["reject_detail"]) for r in quarantined] == [
        ("78", "text_too_long", "airport_name is 300 bytes in UTF-8, the column holds 256")
    ]
    assert summary.airports_loaded == 77
    with psycopg.connect(pg_database.url) as conn:
        names = conn.execute(
            "select origin_airport_id, is_origin_known, octet_length(origin_airport_name) "
            "from staging.flights order by 1"
        ).fetchall()
    assert names == [(77001, False, None), (77002, True, 256)]  # kept, flagged unknown
