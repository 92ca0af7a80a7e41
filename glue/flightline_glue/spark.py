"""A local SparkSession configured like the job expects (Glue builds its own)."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import pyspark
from pyspark.sql import SparkSession

# A local day is a few thousand rows: most of a run's CPU went to the JIT's optimising
# compiler warming up code the run then leaves (a sample day: 25.6 CPU s with the default
# tiered JIT, 16.6 with C1 only). Results are the same; `make bench` runs big jobs with the
# full JIT (FLIGHTLINE_SPARK_DRIVER_JAVA_OPTIONS="").
QUICK_START_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1"


def class_archive() -> Path | None:
    """Where this machine keeps the JVM's class-data archive of a Spark start-up, one per Spark
    and Java installation (an archive only maps into the JVM that wrote it); None without Java.

    Most of a local session's start is loading and verifying Spark's classes; a JVM that maps
    them from an archive (Java's application class-data sharing) starts a session in about
    half the time. `python -m tools.local spark-classes` writes it; Glue starts its own JVMs.
    """
    java = shutil.which("java")
    if java is None:
        return None
    java = os.path.realpath(java)
    installed = f"{pyspark.__version__}|{java}|{os.stat(java).st_mtime_ns}"
    digest = hashlib.sha256(installed.encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "flightline" / f"spark-classes-{digest}.jsa"


def driver_java_options() -> str:
    configured = os.environ.get("FLIGHTLINE_SPARK_DRIVER_JAVA_OPTIONS")
    if configured is not None:
        return configured
    archive = class_archive()
    if archive is not None and archive.is_file():
        return f"{QUICK_START_JAVA_OPTIONS} -XX:SharedArchiveFile={archive}"
    return QUICK_START_JAVA_OPTIONS


def local_session(app_name: str = "flightline", master: str | None = None) -> SparkSession:
    # Workers must run this interpreter (the venv's), not whatever python3 is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (
        SparkSession.builder.appName(app_name)
        .master(master or os.environ.get("FLIGHTLINE_SPARK_MASTER", "local[*]"))
        .config("spark.driver.extraJavaOptions", driver_java_options())
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # progress bars are for a console
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("WARN")
    return session
