"""Faults of the environment through the real job: a warehouse that drops the connection,
an output root that cannot be written, a full disk. Each fails the day with ONE line naming
the stage and the cause, and leaves the warehouse as it was."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import psycopg
import pytest
from flightline_glue.storage import LocalStorage

from tests.glue.job_runs import (
    DAY,
    GOOD,
    HEADER,
    day_folder,
    fail,
    failure_of,
    loaded,
    run,
)


class DropsTheConnection(LocalStorage):
    """Real files; while the warehouse reads the staged flights, the server ends the
    loader's session (as a restart or a network cut would)."""

    def __init__(self, root, admin_url: str) -> None:
        super().__init__(root)
        self.admin_url = admin_url

    def open_binary(self, uri: str):
        if "/staged/" in uri and "/flights/" in uri:
            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(
                    "select pg_terminate_backend(pid) from pg_stat_activity "
                    "where application_name = 'flightline-glue' and pid <> pg_backend_pid()"
                )
        return super().open_binary(uri)


def test_a_dropped_warehouse_connection_fails_the_day_with_one_line(
    spark, landing, tmp_path, pg_database
):
    (day_folder(landing) / "flights.csv").write_text(f"{HEADER}\n{GOOD}\n")
    run(spark, landing, tmp_path, pg_database, "first")
    before = loaded(pg_database)

    storage = DropsTheConnection(tmp_path / "output", pg_database.url)
    message, _ = fail(spark, landing, tmp_path, pg_database, "dropped", storage=storage)

    assert message.startswith("load warehouse failed: "), message
    assert f"staged/date={DAY}/run_id=dropped/flights" in message
    assert "AdminShutdown: terminating connection" in message
    assert loaded(pg_database) == before


def unwritten(spark, landing: Path, tmp_path: Path, db, output: Path) -> str:
    """A run whose output root cannot take the staged files: one line, nothing loaded."""
    (day_folder(landing) / "flights.csv").write_text(f"{HEADER}\n{GOOD}\n")
    message = failure_of(lambda: run(spark, landing, tmp_path, db, "unwritten", output=output))
    assert message.startswith("write staged files failed: "), message
    assert loaded(db) == []
    return message


def test_an_output_root_that_cannot_be_written_fails_with_one_line(
    spark, landing, tmp_path, pg_database
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output root should be")

    message = unwritten(spark, landing, tmp_path, pg_database, blocker / "out")

    assert "not-a-folder/out/staged" in message
    assert "(run summary not written: NotADirectoryError" in message


@pytest.fixture
def full_disk(tmp_path):
    """A real filesystem with no room: a 64 KiB tmpfs, filled (needs the right to mount)."""
    mount_point = tmp_path / "full"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        with contextlib.suppress(OSError), open(mount_point / "filler", "wb") as filler:
            while True:
                filler.write(b"\0" * 4096)
                filler.flush()
        yield mount_point
    finally:
        # Lazy: the JVM may still hold the file its failed write opened.
        subprocess.run(["umount", "--lazy", str(mount_point)], check=False)


def test_a_full_disk_fails_the_day_with_one_line(spark, landing, tmp_path, pg_database, full_disk):
    message = unwritten(spark, landing, tmp_path, pg_database, full_disk / "out")

    assert "No space left on device" in message
    assert "(run summary not written: OSError: No space left on device" in message
