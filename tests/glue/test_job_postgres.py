"""The whole job on the sample days, loading the real local PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from flightline_glue.failure import JobFailure
from flightline_glue.job import JobConfig, run_job
from flightline_glue.storage import LocalStorage
from flightline_glue.warehouse import StagedDay
from flightline_glue.warehouse.postgres import PostgresLoader

from tests.fixtures.postgres import throwaway_database

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
DIRTY_DAY = dt.date(2024, 1, 3)
CLEAN_DAY = dt.date(2024, 1, 1)


@pytest.fixture
def source(tmp_path) -> Path:
    root = tmp_path / "landing"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("_expected"))
    return root


def expected(day: dt.date) -> dict:
    return json.loads((SAMPLE / "_expected" / f"date={day}" / "counts.json").read_text())


def run(spark, source: Path, tmp_path: Path, db, day: dt.date, run_id: str, storage=None):
    output = storage or LocalStorage(tmp_path / "output")
    loader = PostgresLoader(db.login("loader").url, output)
    return run_job(spark, JobConfig(day, run_id), LocalStorage(source), output, loader)


def rows(db, sql: str, *params) -> list[tuple]:
    with psycopg.connect(db.url) as conn:
        return conn.execute(sql, params).fetchall()


def day_rows(db, day: dt.date) -> list[tuple]:
    return rows(
        db,
        "select flight_id, source_line, carrier_code, dep_delay_minutes, run_id "
        "from staging.flights where flight_date = %s order by source_line",
        day,
    )


def test_a_day_loads_with_exact_counts_and_keeps_every_reject(spark, source, tmp_path, pg_database):
    counts = expected(DIRTY_DAY)
    summary = run(spark, source, tmp_path, pg_database, DIRTY_DAY, "run-1")

    assert summary.status == "succeeded"
    assert summary.rows_read == counts["rows"]
    assert summary.rows_loaded == counts["valid_rows"]
    assert summary.rejected_by_reason == {
        k: v for k, v in counts["rejected_by_reason"].items() if v
    }
    assert (summary.cancelled, summary.diverted) == (counts["cancelled"], counts["diverted"])
    assert summary.unknown_origin_rows == counts["unknown_origin_rows"]
    assert summary.unknown_dest_rows == counts["unknown_dest_rows"]
    assert summary.airports_loaded == 76
    # The load's warehouse time is measured (priced by tools/cost), never left at zero.
    assert summary.warehouse_seconds > 0
    assert len(day_rows(pg_database, DIRTY_DAY)) == counts["valid_rows"]
    assert rows(pg_database, "select count(*) from staging.airports") == [(76,)]

    reject_files = sorted(Path(summary.outputs["rejects"]).glob("part-*.csv"))
    rejects = [r for f in reject_files for r in csv.DictReader(io.StringIO(f.read_text()))]
    assert len(rejects) == counts["rejected_total"]
    assert all(
        r["source_file"].endswith("flights.csv") and int(r["source_line"]) > 1 for r in rejects
    )
    written = json.loads(Path(summary.outputs["summary"]).read_text())
    assert written["rows_loaded"] == counts["valid_rows"]
    assert written["status"] == "succeeded"


def test_loading_the_same_day_twice_leaves_one_copy(spark, source, tmp_path, pg_database):
    run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-1")
    first = day_rows(pg_database, CLEAN_DAY)
    summary = run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-2")

    second = day_rows(pg_database, CLEAN_DAY)
    assert len(second) == len(first) == expected(CLEAN_DAY)["valid_rows"]
    assert [r[:4] for r in second] == [r[:4] for r in first]  # same ids, same values
    assert {r[4] for r in second} == {"run-2"}
    assert summary.rows_replaced == len(first)


def test_a_corrected_file_replaces_the_day_exactly(spark, source, tmp_path, pg_database):
    run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-1")
    run(spark, source, tmp_path, pg_database, DIRTY_DAY, "run-1")
    other_day_before = day_rows(pg_database, DIRTY_DAY)

    day_file = source / "daily_flights" / f"date={CLEAN_DAY}" / "flights.csv"
    lines = day_file.read_text().splitlines()
    corrected = lines[:101]  # the header and the first 100 flights
    corrected[5] = "ZZ,10397,12478,42,40"
    day_file.write_text("\n".join(corrected) + "\n")
    run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-2")

    after = day_rows(pg_database, CLEAN_DAY)
    assert len(after) == 100
    assert [r[1] for r in after] == list(range(2, 102))
    assert (after[4][2], after[4][3]) == ("ZZ", 42)
    assert day_rows(pg_database, DIRTY_DAY) == other_day_before


class FailingMidStream(LocalStorage):
    """Real files, but the staged flights stream breaks after its first bytes, like a
    connection lost halfway through a load."""

    def open_binary(self, uri: str):
        stream = super().open_binary(uri)
        if "/staged/" not in uri or "/flights/" not in uri:
            return stream

        class Broken(io.RawIOBase):
            def __init__(self):
                self.sent = False

            def read(self, size=-1):
                if not self.sent:
                    self.sent = True
                    return stream.read(4096)
                raise OSError("connection reset while reading the staged file")

            def __exit__(self, *exc):
                stream.close()

        return Broken()


def test_a_load_that_fails_midway_leaves_the_previous_rows(spark, source, tmp_path, pg_database):
    run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-1")
    before = day_rows(pg_database, CLEAN_DAY)

    with pytest.raises(JobFailure, match="connection reset") as failure:
        run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-2",
            storage=FailingMidStream(tmp_path / "output"))  # fmt: skip
    assert failure.value.stage == "load warehouse"

    assert day_rows(pg_database, CLEAN_DAY) == before
    failed = json.loads(
        (
            tmp_path / "output" / "runs" / f"date={CLEAN_DAY}" / "run_id=run-2" / "summary.json"
        ).read_text()
    )
    assert failed["status"] == "failed"
    assert "connection reset" in failed["error"]


def test_a_file_missing_a_column_fails_the_run_and_changes_nothing(
    spark, source, tmp_path, pg_database
):
    run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-1")
    before = day_rows(pg_database, CLEAN_DAY)
    extra = source / "daily_flights" / f"date={CLEAN_DAY}" / "late.csv"
    extra.write_text("Carrier,OriginAirportID,DepDelay\nDL,10397,5\n")

    with pytest.raises(JobFailure) as error:
        run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-2")

    assert "daily_flights/date=2024-01-01/late.csv" in str(error.value)
    assert "missing required column(s) DestAirportID (no header name close), ArrDelay" in str(
        error.value
    )
    assert day_rows(pg_database, CLEAN_DAY) == before
    assert extra.exists()


def test_bad_airport_rows_are_quarantined_next_to_the_run(spark, source, tmp_path, pg_database):
    airports = source / "dim" / "airports.csv"
    airports.write_bytes(airports.read_bytes() + b"NOPE,Nowhere, XX, Bad\r\n")
    summary = run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-1")

    assert summary.airports_rejected == 1
    assert summary.airports_loaded == 76
    quarantined = (Path(summary.outputs["rejects"]) / "airports-rejects.csv").read_text()
    assert "dim/airports.csv,78,invalid_airport_id" in quarantined


def test_overlapping_loads_of_one_day_keep_one_copy(spark, source, tmp_path, pg_database):
    """Duplicate S3 events start overlapping runs; their loads must not both survive."""
    summary = run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-1")
    output = LocalStorage(tmp_path / "output")

    def data_files(folder: str) -> tuple[str, ...]:
        return tuple(p for p in output.list_files(folder) if Path(p).name.startswith("part-"))

    staged = StagedDay(
        CLEAN_DAY, "run-1", summary.outputs["staged_flights"],
        data_files(summary.outputs["staged_flights"]), summary.outputs["staged_airports"],
        data_files(summary.outputs["staged_airports"]),
    )  # fmt: skip
    with psycopg.connect(pg_database.url, autocommit=True) as conn:
        conn.execute("delete from staging.flights")  # a first load: nothing to delete yet
    barrier = threading.Barrier(4)

    def load(_: int):
        barrier.wait()
        return PostgresLoader(pg_database.login("loader").url, output).load_day(staged)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(load, range(4)))

    assert all(r.flights_loaded == 2000 for r in results)
    assert rows(pg_database, "select count(*), count(distinct flight_id) from staging.flights") == [
        (2000, 2000)
    ]
    assert rows(pg_database, "select count(*) from staging.airports") == [(76,)]


def test_without_the_bootstrap_the_job_fails_saying_what_to_run(spark, source, tmp_path, pg_info):
    with throwaway_database(pg_info, "test_bare", set_up=False) as bare:
        with pytest.raises(JobFailure) as raised:
            run(spark, source, tmp_path, bare, CLEAN_DAY, "run-1")
        summary = json.loads(
            (tmp_path / "output" / "runs" / f"date={CLEAN_DAY}" / "run_id=run-1" / "summary.json")
            .read_text()
        )  # fmt: skip
    message = str(raised.value)
    assert raised.value.stage == "check warehouse schema"
    assert message.startswith("check warehouse schema failed: WarehouseNotReady: ")
    assert "make pg-setup" in message
    assert "make deploy ENV=<env> STACKS=warehouse" in message
    assert "Warehouse bootstrap" in message
    assert summary["status"] == "failed"
    assert "WarehouseNotReady" in summary["error"]


def test_a_warehouse_behind_the_job_fails_naming_the_missing_migration(
    spark, source, tmp_path, pg_database
):
    with psycopg.connect(pg_database.url, autocommit=True) as conn:
        conn.execute("delete from staging.schema_migrations where version = 'V001'")
    with pytest.raises(
        JobFailure, match=r"WarehouseNotReady: .*needs migration\(s\) V001.*make pg-setup"
    ):
        run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-1")
    assert day_rows(pg_database, CLEAN_DAY) == []
