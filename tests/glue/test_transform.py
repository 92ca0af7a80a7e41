"""The job's Spark functions on real rows: every bad-input class, every file shape."""

from __future__ import annotations

import datetime as dt
import gzip
import subprocess
import sys
from pathlib import Path

from flightline_glue.inputs import Airport, discover_flight_files
from flightline_glue.job import configure
from flightline_glue.storage import LocalStorage
from flightline_glue.transform import (
    airports_frame,
    enrich,
    read_as_one_split,
    read_flight_files,
    rejected_rows,
    validate,
)
from pyspark.sql import functions as F

from tests.helpers import unique

REPO = Path(__file__).resolve().parents[2]
DAY = dt.date(2024, 3, 10)
HEADER = "Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay"
AIRPORTS = [
    Airport(10397, "Atlanta", "GA", "Hartsfield-Jackson Atlanta International"),
    Airport(12478, "New York", "NY", "John F. Kennedy International"),
]
LOADED_AT = dt.datetime(2024, 3, 11, 6, 0, 0)


def write_day(root, files: dict[str, str]) -> None:
    day = root / "daily_flights" / f"date={DAY.isoformat()}"
    day.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        if name.endswith(".gz"):
            with gzip.open(day / name, "wt", newline="") as f:
                f.write(text)
        else:
            (day / name).write_text(text, newline="")


def checked_rows(spark, root) -> dict[tuple[str, int], dict]:
    files = discover_flight_files(LocalStorage(root), DAY)
    checked = validate(read_flight_files(spark, [(f.uri, f) for f in files]))
    return {
        (r.source_file.rsplit("/", 1)[-1], r.source_line): r.asDict() for r in checked.collect()
    }


def test_every_bad_input_class_is_quarantined_with_its_reason_and_line(spark, tmp_path):
    write_day(
        tmp_path,
        {
            "f.csv": "\n".join(
                [
                    HEADER,
                    "DL,10397,12478,-3,1",  # 2 valid
                    "AA,10397,12478,3",  # 3 a field short
                    "UA,10397,12478,3,4,5",  # 4 a field too many
                    ",10397,12478,1,1",  # 5 empty carrier
                    "DELTA,10397,12478,1,1",  # 6 not a carrier code
                    "DL,,12478,1,1",  # 7 missing origin
                    "DL,ATL,12478,1,1",  # 8 origin not a number
                    "DL,10397,,1,1",  # 9 missing destination
                    "DL,10397,12x,1,1",  # 10 destination not a number
                    "DL,10397,12478,abc,1",  # 11 departure delay not a number
                    "DL,10397,12478,2881,1",  # 12 departure delay out of range
                    "DL,10397,12478,1,-1441",  # 13 arrival delay out of range
                    "DL,10397,12478,1,3.5",  # 14 fractional minutes
                ]
            )
            + "\n"
        },
    )
    rows = checked_rows(spark, tmp_path)
    reasons = {line: row["reject_reason"] for (_, line), row in rows.items()}
    assert reasons == {
        2: None,
        3: "wrong_column_count",
        4: "wrong_column_count",
        5: "empty_carrier",
        6: "invalid_carrier",
        7: "missing_origin_airport_id",
        8: "invalid_origin_airport_id",
        9: "missing_dest_airport_id",
        10: "invalid_dest_airport_id",
        11: "invalid_dep_delay",
        12: "dep_delay_out_of_range",
        13: "arr_delay_out_of_range",
        14: "invalid_arr_delay",
    }
    files = discover_flight_files(LocalStorage(tmp_path), DAY)
    checked = validate(read_flight_files(spark, [(f.uri, f) for f in files]))
    details = {r.source_line: r for r in rejected_rows(checked, DAY).collect()}
    assert details[8].reject_detail == "OriginAirportID 'ATL'"
    assert details[12].reject_detail == "DepDelay '2881' outside -1440..2880 minutes"
    assert details[14].reject_detail == "ArrDelay '3.5'"
    assert details[4].raw_record == "UA,10397,12478,3,4,5"
    assert set(details) == {line for line, reason in reasons.items() if reason}


def test_empty_delays_mark_cancelled_and_diverted_flights_which_are_kept(spark, tmp_path):
    write_day(
        tmp_path,
        {"f.csv": f"{HEADER}\nDL,10397,12478,,\nDL,10397,12478,12,\nDL,10397,12478,-3.00,+4\n"},
    )
    checked = validate(
        read_flight_files(
            spark, [(f.uri, f) for f in discover_flight_files(LocalStorage(tmp_path), DAY)]
        )
    )
    airports = airports_frame(spark, AIRPORTS, "dim/airports.csv", "r1", LOADED_AT)
    staged = {r.source_line: r for r in enrich(checked, airports, DAY, "r1", LOADED_AT).collect()}
    assert (staged[2].is_cancelled, staged[2].is_diverted, staged[2].dep_delay_minutes) == (
        True,
        False,
        None,
    )
    assert (staged[3].is_cancelled, staged[3].is_diverted, staged[3].dep_delay_minutes) == (
        False,
        True,
        12,
    )
    assert (staged[4].dep_delay_minutes, staged[4].arr_delay_minutes) == (-3, 4)


def test_whitespace_case_quotes_crlf_gzip_and_reordered_extra_columns(spark, tmp_path):
    write_day(
        tmp_path,
        {
            "a.csv": f'{HEADER}\r\n dl , 10397 ,12478, 5 , 6 \r\n"B6","12478","10397","0","-2"\r\n',
            "b.csv.gz": "tail_number,ArrDelay,carrier,DESTAIRPORTID,OriginAirportID,DepDelay\n"
            "N123,7,WN,10397,12478,8\n",
        },
    )
    rows = checked_rows(spark, tmp_path)
    assert {k: (r["carrier_code"], r["origin_airport_id"], r["dest_airport_id"],
                r["dep_delay_minutes"], r["arr_delay_minutes"], r["reject_reason"])
            for k, r in rows.items()} == {
        ("a.csv", 2): ("DL", 10397, 12478, 5, 6, None),
        ("a.csv", 3): ("B6", 12478, 10397, 0, -2, None),
        ("b.csv.gz", 2): ("WN", 12478, 10397, 8, 7, None),
    }  # fmt: skip


def test_the_optional_tail_number_is_validated_and_staged_null_when_absent(spark, tmp_path):
    """An adopted optional column (TailNumber): trimmed and upper-cased, empty is NULL, a
    value outside the FAA N-number format is a reject with its reason, detail and whole line;
    a file without the column stages NULL; it is not an extra column any more."""
    write_day(
        tmp_path,
        {
            "a.csv": "\n".join(
                [
                    f"{HEADER},TailNumber,Gate",
                    "DL,10397,12478,1,1,N301DL,A1",  # 2 valid
                    "DL,10397,12478,1,1, n12345 ,A2",  # 3 valid, spaced, lower case
                    "DL,10397,12478,1,1,,A3",  # 4 empty: NULL
                    "DL,10397,12478,1,1,N0123,A4",  # 5 a zero first
                    "DL,10397,12478,1,1,N12O,A5",  # 6 the letter O
                    "DL,10397,12478,1,1,C-GABC,A6",  # 7 not a US registration
                    "DL,10397,12478,1,1,N1234AB,A7",  # 8 too long
                    "DL,ATL,12478,1,1,N0123,A8",  # 9 the first failing check wins
                ]
            )
            + "\n",
            "b.csv": f"{HEADER}\nUA,12478,10397,2,2\n",
        },
    )
    files = discover_flight_files(LocalStorage(tmp_path), DAY)
    assert [(f.optional_columns, f.extra_columns) for f in files] == [
        (("TailNumber",), ("Gate",)),
        ((), ()),
    ]
    checked = validate(read_flight_files(spark, [(f.uri, f) for f in files]))
    rows = {(r.source_file[-5:], r.source_line): r for r in checked.collect()}
    assert {k: (r.tail_number, r.reject_reason) for k, r in rows.items()} == {
        ("a.csv", 2): ("N301DL", None),
        ("a.csv", 3): ("N12345", None),
        ("a.csv", 4): (None, None),
        ("a.csv", 5): ("N0123", "malformed_tail_number"),
        ("a.csv", 6): ("N12O", "malformed_tail_number"),
        ("a.csv", 7): ("C-GABC", "malformed_tail_number"),
        ("a.csv", 8): ("N1234AB", "malformed_tail_number"),
        ("a.csv", 9): ("N0123", "invalid_origin_airport_id"),
        ("b.csv", 2): (None, None),
    }
    assert rows[("a.csv", 2)].extras.asDict() == {"Gate": "A1"}  # not TailNumber
    details = {r.source_line: r for r in rejected_rows(checked, DAY).collect()}
    assert details[7].reject_detail == "TailNumber 'C-GABC'"
    assert details[7].raw_record == "DL,10397,12478,1,1,C-GABC,A6"
    airports = airports_frame(spark, AIRPORTS, "dim/airports.csv", "r1", LOADED_AT)
    staged = enrich(checked, airports, DAY, "r1", LOADED_AT)
    assert staged.columns[-1] == "tail_number"
    assert sorted((r.source_file[-5:], r.source_line, r.tail_number) for r in staged.collect()) == [
        ("a.csv", 2, "N301DL"), ("a.csv", 3, "N12345"), ("a.csv", 4, None), ("b.csv", 2, None),
    ]  # fmt: skip


def test_enrich_joins_both_airports_and_flags_unknown_ids(spark, tmp_path):
    write_day(tmp_path, {"f.csv": f"{HEADER}\nDL,10397,12478,1,1\nDL,99999,10397,1,1\n"})
    files = discover_flight_files(LocalStorage(tmp_path), DAY)
    checked = validate(read_flight_files(spark, [(f.uri, f) for f in files]))
    airports = airports_frame(spark, AIRPORTS, "dim/airports.csv", "r1", LOADED_AT)
    rows = {r.source_line: r for r in enrich(checked, airports, DAY, "r1", LOADED_AT).collect()}
    assert (rows[2].origin_city, rows[2].dest_airport_name) == (
        "Atlanta",
        "John F. Kennedy International",
    )
    assert (rows[2].is_origin_known, rows[2].is_dest_known) == (True, True)
    assert (rows[3].origin_city, rows[3].is_origin_known, rows[3].dest_state) == (None, False, "GA")
    assert rows[3].flight_date == DAY
    assert rows[3].loaded_at == LOADED_AT


def test_flight_ids_are_unique_and_stable_across_reloads_of_the_same_file(spark, tmp_path):
    # Two identical rows are still two flights: the id comes from the position, not the values.
    write_day(tmp_path, {"f.csv": f"{HEADER}\nDL,10397,12478,1,1\nDL,10397,12478,1,1\n"})
    airports = airports_frame(spark, AIRPORTS, "dim/airports.csv", "r1", LOADED_AT)

    def ids(run_id: str) -> list[str]:
        files = discover_flight_files(LocalStorage(tmp_path), DAY)
        checked = validate(read_flight_files(spark, [(f.uri, f) for f in files]))
        return sorted(
            r.flight_id for r in enrich(checked, airports, DAY, run_id, LOADED_AT).collect()
        )

    first = ids("run-1")
    assert len(set(first)) == 2
    assert all(len(i) == 32 for i in first)
    assert ids("run-2") == first


def test_rejected_rows_keep_the_raw_values(spark, tmp_path):
    write_day(tmp_path, {"f.csv": f"{HEADER}\nDL,10397,12478,soon,1\n"})
    files = discover_flight_files(LocalStorage(tmp_path), DAY)
    rejects = rejected_rows(
        validate(read_flight_files(spark, [(f.uri, f) for f in files])), DAY
    ).collect()
    assert [r.asDict() for r in rejects] == [
        {
            "flight_date": "2024-03-10",
            "source_file": "daily_flights/date=2024-03-10/f.csv",
            "source_line": 2,
            "reject_reason": "invalid_dep_delay",
            "reject_detail": "DepDelay 'soon'",
            "carrier": "DL",
            "origin_airport_id": "10397",
            "dest_airport_id": "12478",
            "dep_delay": "soon",
            "arr_delay": "1",
            "raw_record": None,
        }
    ]


def test_line_numbers_stay_exact_when_spark_splits_a_file(spark, tmp_path):
    # 250k rows is ~5 MB; with 1 MB splits Spark reads it as several partitions in parallel.
    subprocess.run(
        [sys.executable, "-m", "tools.datagen", "--out", str(tmp_path), "--rows", "250000",
         "--start-date", DAY.isoformat(), "--seed", "3"],
        check=True, capture_output=True, cwd=REPO,
    )  # fmt: skip
    configure(spark)
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(1 << 20))
    try:
        files = discover_flight_files(LocalStorage(tmp_path), DAY)
        raw = read_flight_files(spark, [(f.uri, f) for f in files])
        assert raw.rdd.getNumPartitions() >= 4
        lines = raw.agg(F.min("source_line"), F.max("source_line"), F.countDistinct("source_line"))
        assert tuple(lines.first()) == (2, 250001, 250000)
        # and a known record sits on its known line
        text_lines = (tmp_path / "daily_flights" / f"date={DAY}" / "flights.csv").read_text()
        line_200k = text_lines.splitlines()[199_999].split(",")
        row = raw.filter(F.col("source_line") == 200_000).first()
        assert [row.carrier_raw, row.origin_airport_id_raw] == line_200k[:2]
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")


def test_a_file_spark_reads_as_one_split_needs_no_counting_pass(spark, tmp_path):
    day = tmp_path / "daily_flights" / f"date={DAY}"
    day.mkdir(parents=True)
    sample = REPO / "data" / "sample" / "daily_flights" / "date=2024-01-01" / "flights.csv"
    (day / "flights.csv").write_bytes(sample.read_bytes())  # about 60 KB
    (flight_file,) = discover_flight_files(LocalStorage(tmp_path), DAY)
    assert flight_file.size == len(sample.read_bytes())

    def lines() -> tuple[bool, list[int], list[int]]:
        group = unique("read")
        spark.sparkContext.setJobGroup(group, "read_flight_files")
        raw = read_flight_files(spark, [(flight_file.uri, flight_file)])
        counted = spark.sparkContext.statusTracker().getJobIdsForGroup(group)
        numbers = sorted(r.source_line for r in raw.select("source_line").collect())
        return read_as_one_split(spark, flight_file), counted, numbers

    one_split, jobs, numbers = lines()
    assert one_split
    assert jobs == []  # no Spark job before the caller's own
    # Below the file's size, Spark splits it: the counting pass numbers the lines the same.
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16k")
    spark.conf.set("spark.sql.files.openCostInBytes", "16k")
    try:
        one_split, jobs, split_numbers = lines()
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
        spark.conf.unset("spark.sql.files.openCostInBytes")
    assert not one_split
    assert jobs  # the counting pass (with adaptive execution, its shuffle is a job too)
    assert split_numbers == numbers == list(range(2, flight_file.lines + 1))
