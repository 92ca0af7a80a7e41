"""Local Spark sessions start from a class-data archive of Spark's classes when this machine
has one (flightline_glue.spark, tools/local/spark_classes.py)."""

from __future__ import annotations

import subprocess
import sys

from flightline_glue import spark

from tools.local.spark_classes import ensure_archive


def test_a_session_maps_the_archive_only_when_it_exists(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("FLIGHTLINE_SPARK_DRIVER_JAVA_OPTIONS", raising=False)
    archive = spark.class_archive()
    assert archive is not None
    assert archive.parent == tmp_path / "flightline"
    assert spark.driver_java_options() == spark.QUICK_START_JAVA_OPTIONS
    archive.parent.mkdir()
    archive.write_bytes(b"")
    assert spark.driver_java_options().split() == [
        spark.QUICK_START_JAVA_OPTIONS, f"-XX:SharedArchiveFile={archive}"
    ]  # fmt: skip
    # `make bench` sets the options itself (the full JIT, as on Glue): no archive then.
    monkeypatch.setenv("FLIGHTLINE_SPARK_DRIVER_JAVA_OPTIONS", "")
    assert spark.driver_java_options() == ""


def test_the_archive_is_written_once_and_a_session_starts_from_it(
    tmp_path, monkeypatch, job_process
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    archive, written = ensure_archive()
    assert written
    assert archive is not None
    assert archive.is_file()
    assert list(archive.parent.iterdir()) == [archive]  # no partial file left behind
    assert ensure_archive() == (archive, False)
    # -Xshare:on: the JVM refuses to start unless it maps the archive.
    options = f"{spark.QUICK_START_JAVA_OPTIONS} -XX:SharedArchiveFile={archive} -Xshare:on"
    session = (
        "from flightline_glue.spark import local_session\n"
        "s = local_session('archive-check', master='local[1]')\n"
        "assert s.range(3).count() == 3\n"
        "s.stop()\n"
    )
    env = {**job_process, "XDG_CACHE_HOME": str(tmp_path),
           "FLIGHTLINE_SPARK_DRIVER_JAVA_OPTIONS": options}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", session], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
