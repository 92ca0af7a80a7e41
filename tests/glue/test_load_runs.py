"""Each run recorded in staging.load_runs (migration V006) by the real job on the local
PostgreSQL: a successful load writes its row in the load's transaction, a run that fails
before its load commits leaves a `failed` row with nothing loaded."""

from __future__ import annotations

import pytest
from flightline_glue.failure import JobFailure

from tests.glue.test_job_postgres import (
    CLEAN_DAY,
    DIRTY_DAY,
    FailingMidStream,
    expected,
    rows,
    run,
    source,  # noqa: F401 (fixture)
)

COLUMNS = (
    "flight_date, status, rows_read, rows_loaded, rows_rejected, rejected_by_reason, "
    "unknown_airport_rows, unknown_airport_id_count, duration_seconds, warehouse_seconds, "
    "started_at <= finished_at, error"
)


def load_runs(db, run_id: str) -> list[tuple]:
    return rows(db, f"select {COLUMNS} from staging.load_runs where run_id = %s", run_id)


def test_a_successful_run_is_recorded_with_what_it_loaded(spark, source, tmp_path, pg_database):  # noqa: F811
    counts = expected(DIRTY_DAY)
    summary = run(spark, source, tmp_path, pg_database, DIRTY_DAY, "run-1")

    ((day, status, read, loaded, rejected, reasons, unknown_rows, unknown_ids, duration,
      warehouse, ordered, error),) = load_runs(pg_database, "run-1")  # fmt: skip
    assert (day, status, error) == (DIRTY_DAY, "succeeded", None)
    assert (read, loaded, rejected) == (counts["rows"], counts["valid_rows"],
                                        counts["rejected_total"])  # fmt: skip
    assert reasons == {k: v for k, v in counts["rejected_by_reason"].items() if v}
    assert unknown_rows == counts["unknown_origin_rows"] + counts["unknown_dest_rows"]
    assert unknown_ids == summary.unknown_airport_id_count
    assert duration == summary.durations_seconds["total"]
    assert warehouse == summary.warehouse_seconds
    assert ordered is True


def test_a_rerun_of_the_day_adds_a_row_and_a_retried_run_keeps_one(
    spark,
    source,  # noqa: F811
    tmp_path,
    pg_database,
):
    run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-1")
    run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-2")
    run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-2")  # a retry: same run id
    assert rows(
        pg_database, "select run_id, status, rows_loaded from staging.load_runs order by run_id"
    ) == [
        ("run-1", "succeeded", expected(CLEAN_DAY)["valid_rows"]),
        ("run-2", "succeeded", expected(CLEAN_DAY)["valid_rows"]),
    ]


def test_a_load_that_fails_is_recorded_as_failed_with_nothing_loaded(
    spark,
    source,  # noqa: F811
    tmp_path,
    pg_database,
):
    run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-1")
    with pytest.raises(JobFailure, match="connection reset"):
        run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-2",
            storage=FailingMidStream(tmp_path / "output"))  # fmt: skip

    # The load's transaction (and the row it wrote) rolled back; the failure is recorded
    # apart, with the rows the run read and nothing loaded.
    ((status, read, loaded, error),) = rows(
        pg_database,
        "select status, rows_read, rows_loaded, error from staging.load_runs where run_id = %s",
        "run-2",
    )
    assert (status, read, loaded) == ("failed", expected(CLEAN_DAY)["rows"], 0)
    assert error.startswith("load warehouse")
    assert "connection reset" in error
    assert load_runs(pg_database, "run-1")[0][1] == "succeeded"


def test_a_run_refused_before_its_load_is_recorded_as_failed(
    spark,
    source,  # noqa: F811
    tmp_path,
    pg_database,
):
    late = source / "daily_flights" / f"date={CLEAN_DAY}" / "late.csv"
    late.write_text("Carrier,OriginAirportID,DepDelay\nDL,10397,5\n")
    with pytest.raises(JobFailure):
        run(spark, source, tmp_path, pg_database, CLEAN_DAY, "run-1")
    ((day, status, read, loaded, *_, error),) = load_runs(pg_database, "run-1")
    assert (day, status, read, loaded) == (CLEAN_DAY, "failed", 0, 0)
    assert "missing required column(s)" in error
