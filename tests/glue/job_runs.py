"""Running the real job on a hand-made landing folder against the real local PostgreSQL,
for the hostile-input tests (test_job_hostile_*.py, test_job_faults.py).

Every class of malformed input or fault either loads exactly what it should, quarantines
rows with a reason and their physical line, or stops the day with ONE line naming the stage,
the file (and line) and the cause, a failed run summary, and the warehouse left as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from flightline_glue import layout
from flightline_glue.failure import JobFailure
from flightline_glue.job import JobConfig, run_job
from flightline_glue.storage import LocalStorage
from flightline_glue.warehouse.postgres import PostgresLoader

DAY = dt.date(2024, 2, 1)
HEADER = "Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay"
GOOD = "DL,10397,12478,5,6"


def day_folder(source: Path) -> Path:
    return source / "daily_flights" / f"date={DAY}"


def run(spark, source: Path, tmp_path: Path, db, run_id: str, output: Path | None = None,
        storage: LocalStorage | None = None, max_reject_share: float = 1.0):  # fmt: skip
    """Run the job for DAY; the output goes to `storage`, else to `output` or tmp_path/output.

    The hostile-row tests feed days of mostly bad rows to see each one quarantined, so the
    day-level reject gate is off unless a test sets it (test_job_day_gates.py)."""
    storage = storage or LocalStorage(output or tmp_path / "output")
    loader = PostgresLoader(db.login("loader").url, storage)
    config = JobConfig(DAY, run_id, max_reject_share=max_reject_share)
    return run_job(spark, config, LocalStorage(source), storage, loader)


def failure_of(job: Callable[[], object]) -> str:
    """The one-line message of a run that must fail."""
    with pytest.raises(JobFailure) as failure:
        job()
    message = str(failure.value)
    assert "\n" not in message
    assert "Traceback" not in message
    return message


def fail(spark, source: Path, tmp_path: Path, db, run_id: str, output: Path | None = None,
         storage: LocalStorage | None = None, max_reject_share: float = 1.0,
         ) -> tuple[str, dict]:  # fmt: skip
    """Run, expect a failure; return (one-line message, the written summary)."""
    storage = storage or LocalStorage(output or tmp_path / "output")
    message = failure_of(
        lambda: run(spark, source, tmp_path, db, run_id, storage=storage,
                    max_reject_share=max_reject_share)
    )  # fmt: skip
    summary_file = storage.root / layout.summary_key(run_id, DAY)
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
    """Every rejects file of the run (flights and airports), row by row."""
    folder = Path(summary.outputs["rejects"])
    return [
        row
        for f in sorted(folder.glob("*.csv"))
        for row in csv.DictReader(io.StringIO(f.read_text(encoding="utf-8")))
    ]


def airport_rejects(summary) -> list[dict]:
    text = (Path(summary.outputs["rejects"]) / layout.AIRPORTS_REJECTS_NAME).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def gz(text: str) -> bytes:
    return gzip.compress(text.encode())
