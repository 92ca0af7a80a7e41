"""The job's command line on a failing day: one line on the screen, the trace in the log."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from flightline_glue import local

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
HEADER = "Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay"


@pytest.fixture
def root_logging():
    """The CLI sends the root logger to its log file: give pytest its handlers back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_a_failing_day_prints_one_line_and_logs_the_trace(
    spark, tmp_path, pg_database, capsys, root_logging
):
    source = tmp_path / "landing"
    shutil.copytree(SAMPLE / "dim", source / "dim")
    day = source / "daily_flights" / "date=2024-02-01"
    day.mkdir(parents=True)
    (day / "flights.csv").write_bytes(f"{HEADER}\nDL,10397,12478,1,1\nDL,1\xff\n".encode("latin-1"))
    output = tmp_path / "output"

    code = local.main(
        ["--flight-date", "2024-02-01", "--source-root", str(source), "--output-root",
         str(output), "--warehouse-url", pg_database.login("loader").url, "--run-id", "cli"]
    )  # fmt: skip

    assert code == 1
    err = capsys.readouterr().err
    ours = [line for line in err.splitlines() if line.startswith("error: ")]
    assert ours == [
        "error: 2024-02-01: check flight files failed: daily_flights/date=2024-02-01/"
        "flights.csv, line 3: bytes that are not UTF-8 (invalid start byte) "
        f"(log: {output / 'logs' / 'job.log'})"
    ]
    assert "Traceback" not in err
    log = (output / "logs" / "job.log").read_text()
    assert "Traceback (most recent call last)" in log
    assert "InputContractError" in log
    summary = json.loads((output / "runs/date=2024-02-01/run_id=cli/summary.json").read_text())
    assert summary["status"] == "failed"
    assert summary["error"] == ours[0].removeprefix("error: 2024-02-01: ").rsplit(" (log: ", 1)[0]
