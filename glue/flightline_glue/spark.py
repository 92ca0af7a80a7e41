"""A local SparkSession configured like the job expects (Glue builds its own)."""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession

# A local day is a few thousand rows: most of a run's CPU went to the JIT's optimising
# compiler warming up code the run then leaves (a sample day: 25.6 CPU s with the default
# tiered JIT, 16.6 with C1 only). Results are the same; `make bench` runs big jobs with the
# full JIT (FLIGHTLINE_SPARK_DRIVER_JAVA_OPTIONS="").
QUICK_START_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1"


def driver_java_options() -> str:
    return os.environ.get("FLIGHTLINE_SPARK_DRIVER_JAVA_OPTIONS", QUICK_START_JAVA_OPTIONS)


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
