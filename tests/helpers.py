"""Helpers for the tests that drive the real LocalStack and the deployed pipeline: unique
names, one bounded poll, and the follower's views of executions (tools/e2e/follow.py)."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from tools.e2e.follow import WaitTimeout, history, input_key, state_runs, wait_until
from tools.e2e.follow import list_executions as executions

__all__ = ["executions", "history", "input_key"]  # re-exported: one paging implementation

T = TypeVar("T")

# Generous: bounds a poll loop so a broken emulator fails instead of hanging; asserts nothing
# about speed.
WAIT_SECONDS = 120.0
CSV = b"Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay\nDL,11433,13303,-3,1\n"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_for(
    fetch: Callable[[], T],
    what: str,
    until: Callable[[T], Any] = bool,
    seconds: float = WAIT_SECONDS,
) -> T:
    """Call fetch until until(result) holds (default: the result is truthy) and return the
    result; fail the test with the last result after `seconds`."""
    last: list[T] = []

    def ready() -> bool:
        last[:] = [fetch()]
        return bool(until(last[0]))

    try:
        wait_until(ready, what, seconds, poll=0.2)
    except WaitTimeout as error:
        pytest.fail(f"{error}; last seen: {last[0]!r}" if last else str(error))
    return last[0]


def entered(events: list[dict[str, Any]]) -> list[str]:
    """The states an execution entered, in order."""
    return [run.name for run in state_runs(events)]


def zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def job_run(glue: Any, job: str, run_id: str) -> dict:
    return glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]


def wait_job_run_done(glue: Any, job: str, run_id: str) -> dict:
    terminal = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"}
    return wait_for(
        lambda: job_run(glue, job, run_id),
        f"job run {run_id} of {job} to end",
        lambda run: run["JobRunState"] in terminal,
    )
