"""The Glue entry script on a run that cannot start: its last stderr line is the one line
(what Glue, and the LocalStack executor, report as the run's error), the summary is written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_a_failure_before_the_run_ends_with_one_line_and_a_failed_summary(tmp_path, job_process):
    env = {
        **job_process,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing listens: the secret is unreachable
        "AWS_MAX_ATTEMPTS": "1",
    }
    done = subprocess.run(
        [sys.executable, str(REPO / "glue" / "glue_entry.py"), "--JOB_NAME", "flightline",
         "--flight_date", "2024-02-01", "--run_id", "exec-1", "--source_root",
         str(tmp_path / "in"), "--output_root", str(tmp_path / "out"),
         "--warehouse_secret_id", "flightline/warehouse"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False,
    )  # fmt: skip

    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "flightline_glue.failure.JobFailure: read warehouse secret failed: "
        "EndpointConnectionError: Could not connect to the endpoint URL"
    ), done.stderr[-2000:]
    assert "Traceback" in done.stdout  # the full trace is in the log (Glue's output log)
    summary = json.loads(
        (tmp_path / "out/runs/date=2024-02-01/run_id=exec-1/summary.json").read_text()
    )
    assert summary["status"] == "failed"
    assert last.endswith(summary["error"])
