"""What the local service managers share: where state lives, ports, pid files, log tails."""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"  # local services never listen beyond this machine


class ServiceError(RuntimeError):
    """A local service cannot be installed or started; the message says what to do."""


def state_root() -> Path:
    return Path(os.environ.get("FLIGHTLINE_STATE_DIR", REPO_ROOT / ".state"))


def env_port(variable: str, default: int) -> int:
    return int(os.environ.get(variable, str(default)))


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((HOST, port)) == 0


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def service_lock(name: str) -> Iterator[None]:
    """Hold an exclusive lock while a service is created or started: parallel test workers
    (pytest-xdist) and parallel make targets never race on one cluster or one LocalStack."""
    root = state_root()
    root.mkdir(parents=True, exist_ok=True)
    with (root / f"{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
