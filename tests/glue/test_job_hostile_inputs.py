"""Hostile inputs through the real job and the real local PostgreSQL.

Every class of malformed input or fault either loads exactly what it should, quarantines
rows with a reason and their physical line, or stops the day with ONE line naming the stage,
the file (and line) and the cause, a failed run summary, and the warehouse left as it was.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gzip
import io
import json
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from flightline_glue.contract import FLIGHT_REJECT_REASONS
from flightline_glue.failure import JobFailure
from flightline_glue.job import JobConfig, run_job
from flightline_glue.storage import LocalStorage
from flightline_glue.warehouse.postgres import PostgresLoader

pytestmark = [pytest.mark.slow, pytest.mark.integration]
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
DAY = dt.date(2024, 2, 1)
HEADER = "Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay"
GOOD = "DL,10397,12478,5,6"


@pytest.fixture
def source(tmp_path) -> Path:
    root = tmp_path / "landing"
    (root / "dim").mkdir(parents=True)
    shutil.copy(SAMPLE / "dim" / "airports.csv", root / "dim" / "airports.csv")
    (root / "daily_flights" / f"date={DAY}").mkdir(parents=True)
    return root


def day_folder(source: Path) -> Path:
    return source / "daily_flights" / f"date={DAY}"


def run(spark, source: Path, tmp_path: Path, db, run_id: str, output: Path | None = None):
    storage = LocalStorage(output or tmp_path / "output")
    loader = PostgresLoader(db.login("loader").url, storage)
    return run_job(spark, JobConfig(DAY, run_id), LocalStorage(source), storage, loader)


def fail(spark, source: Path, tmp_path: Path, db, run_id: str, output: Path | None = None):
    """Run, expect a failure; return (one-line message, the written summary)."""
    with pytest.raises(JobFailure) as failure:
        run(spark, source, tmp_path, db, run_id, output)
    message = str(failure.value)
    assert "\n" not in message
    assert "Traceback" not in message
    summary_file = (
        (output or tmp_path / "output") / "runs" / f"date={DAY}" / f"run_id={run_id}"
    ) / "summary.json"
    summary = json.loads(summary_file.read_text())
    assert (summary["status"], summary["error"]) == ("failed", message)
    return message, summary


def loaded(db) -> list[tuple]:
    with psycopg.connect(db.url) as conn:
        return conn.execute(
            "select source_file, source_line, carrier_code, dep_delay_minutes, "
            "arr_delay_minutes, is_cancelled, is_diverted from staging.flights "
            "where flight_date = %s order by source_file, source_line",
            (DAY,),
        ).fetchall()


def rejects(summary) -> list[dict]:
    folder = Path(summary.outputs["rejects"])
    return [
        row
        for f in sorted(folder.glob("*.csv"))
        for row in csv.DictReader(io.StringIO(f.read_text(encoding="utf-8")))
    ]


def gz(text: str) -> bytes:
    return gzip.compress(text.encode())


# --- silent loss -------------------------------------------------------------------------


# One line per reject reason, with values a plain cast would choke on: under Spark 4's ANSI
# mode (on by default; AWS Glue 6.0 runs Spark 4.1) casting '99999999999' to int or 'NaN'
# to a decimal raises and would fail the whole day instead of quarantining one row.
EVERY_REASON = [
    (GOOD, None),
    ("DL,10397,12478,-3.00,+4", None),  # whole minutes written as decimals, a plus sign
    ("DL,10397,12478,1.,-0", None),
    ('DL,"10397,12478,1,1', "malformed_record"),
    ("DL,10397,12478,1", "wrong_column_count"),
    (",10397,12478,1,1", "empty_carrier"),
    ("D-L,10397,12478,1,1", "invalid_carrier"),
    ("DL,,12478,1,1", "missing_origin_airport_id"),
    ("DL,99999999999,12478,1,1", "invalid_origin_airport_id"),  # over the int range
    ("DL,1e3,12478,1,1", "invalid_origin_airport_id"),
    ("DL,10397,,1,1", "missing_dest_airport_id"),
    ("DL,10397,NaN,1,1", "invalid_dest_airport_id"),
    ("DL,10397,12478.0,1,1", "invalid_dest_airport_id"),
    ("DL,10397,12478,Infinity,1", "invalid_dep_delay"),
    ("DL,10397,12478,12345678901234567890,1", "invalid_dep_delay"),  # over any decimal
    ("DL,10397,12478,1e3,1", "invalid_dep_delay"),
    ("DL,10397,12478,\u22125,1", "invalid_dep_delay"),  # a Unicode minus sign
    ("DL,10397,12478,--1,1", "invalid_dep_delay"),
    ("DL,10397,12478,+,1", "invalid_dep_delay"),
    ("DL,10397,12478,999999,1", "dep_delay_out_of_range"),
    ("DL,10397,12478,1,NaN", "invalid_arr_delay"),
    ("DL,10397,12478,1,0x1F", "invalid_arr_delay"),
    ("DL,10397,12478,1,2881", "arr_delay_out_of_range"),
]


def test_every_reason_is_quarantined_under_the_engines_ansi_default(
    spark, source, tmp_path, pg_database
):
    """The day succeeds: each malformed value is a reject with its reason and physical line,
    and no cast raises, with ANSI mode left as Spark 4 sets it (on)."""
    assert spark.conf.get("spark.sql.ansi.enabled") == "true"
    lines = [line for line, _ in EVERY_REASON]
    (day_folder(source) / "flights.csv").write_text(HEADER + "\n" + "\n".join(lines) + "\n")

    summary = run(spark, source, tmp_path, pg_database, "ansi")

    assert summary.status == "succeeded"
    expected = {n: reason for n, (_, reason) in enumerate(EVERY_REASON, start=2) if reason}
    assert {int(r["source_line"]): r["reject_reason"] for r in rejects(summary)} == expected
    assert set(expected.values()) == set(FLIGHT_REJECT_REASONS)  # every reason, none missed
    assert summary.rows_rejected == len(expected)
    assert [row[1:5] for row in loaded(pg_database)] == [
        (2, "DL", 5, 6),
        (3, "DL", -3, 4),
        (4, "DL", 1, 0),
    ]


def test_every_file_is_read_whatever_its_name_and_compression(spark, source, tmp_path, pg_database):
    """Hidden-looking and glob-like names are read, not skipped; compression is told by the
    content, not by the name (upper-case .GZ, gzip named .csv, plain text named .gz)."""
    folder = day_folder(source)
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

    summary = run(spark, source, tmp_path, pg_database, "names")

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
    spark, source, tmp_path, pg_database
):
    folder = day_folder(source)
    (folder / "flights.csv").write_text(f"{HEADER}\n{GOOD}\n")
    run(spark, source, tmp_path, pg_database, "full")
    before = loaded(pg_database)
    assert len(before) == 1

    (folder / "flights.csv").write_text(f"{HEADER}\n")  # header only
    message, summary = fail(spark, source, tmp_path, pg_database, "header-only")
    assert message.startswith("check loadable rows failed: ")
    assert f"daily_flights/date={DAY}/: no loadable rows in 1 file(s) (0 read" in message
    assert "_NO_FLIGHTS" in message
    assert loaded(pg_database) == before

    (folder / "flights.csv").write_text(f"{HEADER}\nDELTA,1,2,3,4\n")  # every row rejected
    message, _ = fail(spark, source, tmp_path, pg_database, "all-rejected")
    assert "(1 read, 1 rejected)" in message
    assert loaded(pg_database) == before

    (folder / "_NO_FLIGHTS").write_bytes(b"")  # the producer says so: the day is emptied
    (folder / "flights.csv").write_text(f"{HEADER}\n")
    summary = run(spark, source, tmp_path, pg_database, "declared-empty")
    assert (summary.status, summary.rows_loaded, summary.rows_replaced) == ("succeeded", 0, 1)
    assert loaded(pg_database) == []


def test_a_short_row_is_checked_against_its_own_files_header(spark, source, tmp_path, pg_database):
    """Extra header columns must not let a row that lacks trailing fields load with its
    delays read as cancelled or diverted."""
    (day_folder(source) / "wide.csv").write_text(
        f"{HEADER},TailNum,FlightNum\n"
        f"{GOOD},N1,100\n"
        "DL,10397,12478\n"  # 3 of 7 fields: no delays at all
        "DL,10397,12478,5\n"  # 4 of 7
        f"{GOOD},N1\n"  # 6 of 7
        f"{GOOD},N1,100,extra\n"  # 8 of 7
    )
    summary = run(spark, source, tmp_path, pg_database, "short")

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


def test_line_numbers_are_physical_lines(spark, source, tmp_path, pg_database):
    """Blank and blanks-only lines, CRLF and a quoted line break: every number is the line
    an editor shows, in flights and in the airports file."""
    (day_folder(source) / "flights.csv").write_bytes(
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
    airports = source / "dim" / "airports.csv"
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
    summary = run(spark, source, tmp_path, pg_database, "lines")

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
    airport_rejects = list(
        csv.DictReader(
            io.StringIO((Path(summary.outputs["rejects"]) / "airports-rejects.csv").read_text())
        )
    )
    # header 1, blank 2, blanks 3, two airports 4-5, the two-line record 6-7, BAD on 8
    assert [(r["source_line"], r["reject_reason"]) for r in airport_rejects] == [
        ("8", "invalid_airport_id")
    ]
    assert summary.airports_loaded == 77  # 76 + the two-line record


def test_airport_ids_are_parsed_like_flight_ids(spark, source, tmp_path, pg_database):
    """One id parser: ASCII digits only, in the integer range; -1 (the dimension's unknown
    member) can never come from a file."""
    airports = source / "dim" / "airports.csv"
    bad = ["\u0661\u0662\u0663", "10_397", "-1", "99999999999", "+5", "1.0", ""]
    airports.write_bytes(
        airports.read_bytes()
        + "".join(f"{i},City {n}, XX, Name {n}\r\n" for n, i in enumerate(bad)).encode()
    )
    (day_folder(source) / "flights.csv").write_text(
        f"{HEADER}\n{GOOD}\n" + "".join(f"DL,{i},12478,1,1\n" for i in bad)
    )
    summary = run(spark, source, tmp_path, pg_database, "ids")

    quarantined = list(
        csv.DictReader(
            io.StringIO((Path(summary.outputs["rejects"]) / "airports-rejects.csv").read_text())
        )
    )
    assert [r["reject_reason"] for r in quarantined] == ["invalid_airport_id"] * 6 + [
        "invalid_airport_id"
    ]
    assert summary.airports_loaded == 76
    flight_reasons = sorted(r["reject_reason"] for r in rejects(summary) if r["carrier"])
    assert flight_reasons == ["invalid_origin_airport_id"] * 6 + ["missing_origin_airport_id"]
    with psycopg.connect(pg_database.url) as conn:
        assert conn.execute("select min(airport_id) from staging.airports").fetchone()[0] > 0


def test_a_multibyte_name_over_the_byte_limit_is_quarantined(spark, source, tmp_path, pg_database):
    """Redshift VARCHAR(n) counts bytes: 100 characters of 3 bytes do not fit 256."""
    airports = source / "dim" / "airports.csv"
    long_name = "\u65e5" * 100  # 100 characters, 300 bytes
    fits = "\u00e9" * 128  # 128 characters, 256 bytes: exactly fits
    airports.write_bytes(
        airports.read_bytes()
        + f"77001,Tokyo, JP, {long_name}\r\n77002,Paris, FR, {fits}\r\n".encode()
    )
    (day_folder(source) / "flights.csv").write_text(
        f"{HEADER}\nDL,77001,12478,1,1\nDL,77002,12478,1,1\n"
    )
    summary = run(spark, source, tmp_path, pg_database, "bytes")

    quarantined = list(
        csv.DictReader(
            io.StringIO(
                (Path(summary.outputs["rejects"]) / "airports-rejects.csv").read_text("utf-8")
            )
        )
    )
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


# --- clear errors instead of tracebacks --------------------------------------------------


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
    spark, source, tmp_path, pg_database, case
):
    name, data, expected = BAD_FILES[case]
    (day_folder(source) / name).write_bytes(data)

    message, _ = fail(spark, source, tmp_path, pg_database, "broken")

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
    spark, source, tmp_path, pg_database, case
):
    data, expected = BAD_AIRPORTS[case]
    airports = source / "dim" / "airports.csv"
    if data is None:
        airports.unlink()
    else:
        airports.write_bytes(data)
    (day_folder(source) / "flights.csv").write_text(f"{HEADER}\n{GOOD}\n")

    message, _ = fail(spark, source, tmp_path, pg_database, "airports")

    assert message.startswith("read airports failed: dim/airports.csv"), message
    assert expected in message, message


# --- environment faults ------------------------------------------------------------------


class DropsTheConnection(LocalStorage):
    """Real files; while the warehouse reads the staged flights, the server ends the
    loader's session (as a restart or a network cut would)."""

    def __init__(self, root, admin_url: str) -> None:
        super().__init__(root)
        self.admin_url = admin_url

    def open_binary(self, uri: str):
        if "/staged/" in uri and "/flights/" in uri:
            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(
                    "select pg_terminate_backend(pid) from pg_stat_activity "
                    "where application_name = 'flightline-glue' and pid <> pg_backend_pid()"
                )
        return super().open_binary(uri)


def test_a_dropped_warehouse_connection_fails_the_day_with_one_line(
    spark, source, tmp_path, pg_database
):
    (day_folder(source) / "flights.csv").write_text(f"{HEADER}\n{GOOD}\n")
    run(spark, source, tmp_path, pg_database, "first")
    before = loaded(pg_database)

    storage = DropsTheConnection(tmp_path / "output", pg_database.url)
    config = JobConfig(DAY, "dropped")
    with pytest.raises(JobFailure) as failure:
        run_job(spark, config, LocalStorage(source), storage,
                PostgresLoader(pg_database.login("loader").url, storage))  # fmt: skip

    message = str(failure.value)
    assert message.startswith("load warehouse failed: "), message
    assert "staged/date=2024-02-01/run_id=dropped/flights" in message
    assert "AdminShutdown: terminating connection" in message
    assert "\n" not in message
    assert loaded(pg_database) == before
    summary = json.loads(
        (tmp_path / "output" / "runs" / f"date={DAY}" / "run_id=dropped" / "summary.json")
        .read_text()
    )  # fmt: skip
    assert (summary["status"], summary["error"]) == ("failed", message)


def test_an_output_root_that_cannot_be_written_fails_with_one_line(
    spark, source, tmp_path, pg_database
):
    (day_folder(source) / "flights.csv").write_text(f"{HEADER}\n{GOOD}\n")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output root should be")

    with pytest.raises(JobFailure) as failure:
        run(spark, source, tmp_path, pg_database, "unwritable", output=blocker / "out")

    message = str(failure.value)
    assert message.startswith("write staged files failed: "), message
    assert "not-a-folder/out/staged" in message
    assert "(run summary not written: NotADirectoryError" in message
    assert "\n" not in message
    assert loaded(pg_database) == []


@pytest.fixture
def full_disk(tmp_path):
    """A real filesystem with no room: a 64 KiB tmpfs, filled (needs the right to mount)."""
    mount_point = tmp_path / "full"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        with contextlib.suppress(OSError), open(mount_point / "filler", "wb") as filler:
            while True:
                filler.write(b"\0" * 4096)
                filler.flush()
        yield mount_point
    finally:
        # Lazy: the JVM may still hold the file its failed write opened.
        subprocess.run(["umount", "--lazy", str(mount_point)], check=False)


def test_a_full_disk_fails_the_day_with_one_line(spark, source, tmp_path, pg_database, full_disk):
    (day_folder(source) / "flights.csv").write_text(f"{HEADER}\n{GOOD}\n")

    with pytest.raises(JobFailure) as failure:
        run(spark, source, tmp_path, pg_database, "full", output=full_disk / "out")

    message = str(failure.value)
    assert message.startswith("write staged files failed: "), message
    assert "No space left on device" in message
    assert "(run summary not written: OSError: No space left on device" in message
    assert "\n" not in message
    assert loaded(pg_database) == []
