"""Job runs and builds as process groups: started in their own group, ended as a group.

A Glue job run (the job's Python, then Spark's JVM) and a CodeBuild phase (bash, then what
its commands start) each run in a session of their own, so ending one reaches every process
it started. Ending is SIGTERM first, so a job or command can clean up, then SIGKILL for a
group whose leader is still alive after a grace period.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GRACE_SECONDS = 10.0


@dataclass(kw_only=True)
class ProcessRun:
    """A job run or a build: where it runs, the process group running it now, and what
    asked it to end early."""

    account_id: str
    region: str
    log_path: Path
    process: subprocess.Popen | None = None
    stop_requested: bool = False
    timed_out: bool = False


def start_group(argv: list[str], **popen_kwargs: Any) -> subprocess.Popen:
    """Start argv as the leader of a new process group, reading nothing from stdin."""
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True, **popen_kwargs)


def terminate(
    processes: Iterable[subprocess.Popen | None], grace_seconds: float = GRACE_SECONDS
) -> None:
    """SIGTERM every group; SIGKILL the groups whose leader outlives the grace period.

    Blocks up to grace_seconds (once for all, not per process)."""
    signalled = []
    for process in processes:
        if process is None:
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
            signalled.append(process)
    deadline = time.monotonic() + grace_seconds
    for process in signalled:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def terminate_in_background(process: subprocess.Popen | None) -> None:
    """terminate() on a thread of its own: for API handlers, which must answer at once."""
    if process is not None:
        threading.Thread(
            target=terminate, args=([process],), name=f"terminate-{process.pid}", daemon=True
        ).start()


def stop_runs(runs: list[ProcessRun]) -> None:
    """End job runs or builds: marked as stopped on request, their process groups ended."""
    for run in runs:
        run.stop_requested = True
    terminate([run.process for run in runs])
