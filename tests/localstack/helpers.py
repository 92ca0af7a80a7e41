"""Small helpers for the tests that drive the real LocalStack."""

from __future__ import annotations

import io
import time
import uuid
import zipfile
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# Generous: these bound a poll loop so a broken emulator fails instead of hanging, they
# assert nothing about speed.
POLL_TIMEOUT_S = 120.0


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_for(fetch: Callable[[], T], done: Callable[[T], bool], what: str) -> T:
    """Call fetch until done(result); fail with the last result after POLL_TIMEOUT_S."""
    deadline = time.monotonic() + POLL_TIMEOUT_S
    while True:
        result = fetch()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}; last seen: {result!r}")
        time.sleep(0.2)


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
        lambda run: run["JobRunState"] in terminal,
        f"job run {run_id} of {job} to end",
    )
