"""A successful job process exits quietly; a real problem at exit is still reported.

CPython 3.13's dummy-thread finalizer bug (flightline_glue/interpreter.py) printed tracebacks
after every successful run that had used Spark.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def test_a_successful_run_prints_its_summary_and_no_traceback(
    pg_database, tmp_path, job_process
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flightline_glue.local", "--flight-date", "2024-01-01",
         "--source-root", str(SAMPLE), "--output-root", str(tmp_path / "out"),
         "--warehouse-url", pg_database.login("loader").url],
        capture_output=True, text=True, timeout=600,
        env=job_process,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (summary,) = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert summary["status"] == "succeeded"
    assert "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr


def test_other_exceptions_at_exit_are_still_reported(tmp_path) -> None:
    script = tmp_path / "exits.py"
    script.write_text(
        textwrap.dedent(
            """
            from flightline_glue.interpreter import quiet_dummy_thread_finalizer

            quiet_dummy_thread_finalizer()
            quiet_dummy_thread_finalizer()  # twice: still one filter


            class Leaky:
                def __del__(self):
                    raise ValueError("a real problem in a finalizer")


            leaked = Leaky()
            """
        )
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stderr.count("Exception ignored") == 1, done.stderr
    assert "ValueError: a real problem in a finalizer" in done.stderr
