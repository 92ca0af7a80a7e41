"""Run a command with the local services it starts, then stop the ones it started.

`make test` starts PostgreSQL and LocalStack on demand (about 1 GB together); afterwards
only the services that were not running before are stopped, so a developer's own running
instances stay up. FLIGHTLINE_KEEP_SERVICES=1 (make ... KEEP_SERVICES=1) keeps them all.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence

from tools.local import localstack, postgres

KEEP_VARIABLE = "FLIGHTLINE_KEEP_SERVICES"


def _services() -> dict[str, tuple[Callable[[], bool], Callable[[], object]]]:
    """name -> (is it running, stop it)."""
    return {
        "PostgreSQL": (postgres.is_running, postgres.stop),
        "LocalStack": (lambda: localstack.health() is not None, localstack.stop),
    }


def run_around(command: Sequence[str], out: Callable[[str], None] = print) -> int:
    """Run `command`; stop the services it left running that were stopped before it."""
    services = _services()
    before = {name: running() for name, (running, _) in services.items()}
    try:
        return subprocess.call(list(command))
    finally:
        if os.environ.get(KEEP_VARIABLE) != "1":
            for name, (running, stop) in services.items():
                if not before[name] and running():
                    stop()
                    out(f"stopped {name} (started for this run; {KEEP_VARIABLE}=1 keeps it)")
