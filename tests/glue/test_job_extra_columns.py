"""Columns beyond the contract are kept: one semi-structured value per row in staging.flights
(jsonb here, SUPER on Redshift), named in the run summary. A column adopted into the contract
(TailNumber) is staged in its own column instead."""

from __future__ import annotations

import csv
import json

import psycopg
from flightline_glue import layout
from flightline_glue.outputs import write_staged
from flightline_glue.storage import LocalStorage
from flightline_glue.transform import read_flight_files

from tests.glue.job_runs import DAY, HEADER, day_folder, run


def extras_loaded(db, column: str = "extra_columns") -> dict[tuple[str, int], object]:
    with psycopg.connect(db.url) as conn:
        return {
            (file.rsplit("/", 1)[-1], line): extras
            for file, line, extras in conn.execute(
                f"select source_file, source_line, {column} from staging.flights "
                "where flight_date = %s",
                (DAY,),
            ).fetchall()
        }


def test_extra_columns_reach_staging_with_every_value(spark, landing, tmp_path, pg_database):
    folder = day_folder(landing)
    # Two files with different extras (one shared, spelled in another case), one with only
    # the adopted TailNumber.
    (folder / "a.csv").write_text(
        f'{HEADER},FlightNum,CRSDepTime\nDL,10397,12478,5,6,DL123,0905\nUA,10397,12478,1,2,"4,5",\n'
    )
    (folder / "b.csv").write_text(f"flightnum,{HEADER},Gate\n77,WN,12478,10397,3,4,B 12\n")
    (folder / "c.csv").write_text(f"{HEADER},TailNumber\nAA,10397,12478,0,0,N55AN\n")

    summary = run(spark, landing, tmp_path, pg_database, "run-extras")

    assert summary.status == "succeeded"
    assert summary.extra_columns == ["FlightNum", "CRSDepTime", "Gate"]
    assert {
        f["file"].rsplit("/", 1)[-1]: (f["optional_columns"], f["extra_columns"])
        for f in summary.input_files
    } == {
        "a.csv": ([], ["FlightNum", "CRSDepTime"]),
        "b.csv": ([], ["flightnum", "Gate"]),
        "c.csv": (["TailNumber"], []),
    }
    # The summary the day load reads lists each file's header as written: the day crawl,
    # after the job, crawls because a file that did not start the day has new columns.
    written = json.loads((tmp_path / "output" / layout.summary_key("run-extras", DAY)).read_text())
    folder = f"daily_flights/date={DAY}"
    assert written["headers"]["distinct"] == 3
    assert sorted((h["line"], h["files"]) for h in written["headers"]["lines"]) == [
        (f"{HEADER},FlightNum,CRSDepTime", [f"{folder}/a.csv"]),
        (f"{HEADER},TailNumber", [f"{folder}/c.csv"]),
        (f"flightnum,{HEADER},Gate", [f"{folder}/b.csv"]),
    ]
    # Every value as written (a quoted comma, an empty field, a space); columns a file lacks
    # are null; a file without extras has none, its adopted column has a column of its own.
    assert extras_loaded(pg_database) == {
        ("a.csv", 2): {"FlightNum": "DL123", "CRSDepTime": "0905", "Gate": None},
        ("a.csv", 3): {"FlightNum": "4,5", "CRSDepTime": "", "Gate": None},
        ("b.csv", 2): {"FlightNum": "77", "CRSDepTime": None, "Gate": "B 12"},
        ("c.csv", 2): None,
    }
    assert extras_loaded(pg_database, "tail_number") == {
        ("a.csv", 2): None,
        ("a.csv", 3): None,
        ("b.csv", 2): None,
        ("c.csv", 2): "N55AN",
    }


def test_a_day_without_extras_loads_null_extras(spark, landing, tmp_path, pg_database):
    (day_folder(landing) / "f.csv").write_text(f"{HEADER}\nDL,10397,12478,5,6\n")
    summary = run(spark, landing, tmp_path, pg_database, "run-plain")
    assert (summary.status, summary.extra_columns) == ("succeeded", [])
    assert extras_loaded(pg_database) == {("f.csv", 2): None}


def test_parquet_for_redshift_keeps_the_extras_as_a_struct(spark, landing, tmp_path):
    """Redshift's COPY ... SERIALIZETOJSON loads a Parquet struct into SUPER: the staged
    Parquet must hold the extras as a struct column, not as JSON text."""
    from flightline_glue.inputs import discover_day

    (day_folder(landing) / "a.csv").write_text(f"{HEADER},FlightNum\nDL,10397,12478,5,6,N1\n")
    files = discover_day(LocalStorage(landing), DAY).files
    raw = read_flight_files(spark, [(f.uri, f) for f in files])
    target = str(tmp_path / "parquet")
    write_staged(raw.select("extras"), "parquet", target)
    back = spark.read.parquet(target)
    assert back.schema["extras"].dataType.simpleString() == "struct<FlightNum:string>"
    assert [r.extras.asDict() for r in back.collect()] == [{"FlightNum": "N1"}]
    csv_target = tmp_path / "csv"
    write_staged(raw.select("extras"), "csv", str(csv_target))
    text = "".join(p.read_text() for p in sorted(csv_target.glob("part-*.csv")))
    assert json.loads(next(csv.reader([text.strip()]))[0]) == {"FlightNum": "N1"}
