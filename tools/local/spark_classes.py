"""The class-data archive local Spark sessions start from (`flightline_glue.spark`).

Written once per Spark and Java installation by a short representative session (read a CSV,
join, aggregate, write Parquet: what a job run loads), dumped by the JVM at exit
(-XX:ArchiveClassesAtExit) to a private file and renamed into place, so a session never maps
a half-written archive. A missing archive only makes sessions start slower.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

WARM_UP = """
import sys, tempfile
from pathlib import Path
from flightline_glue.spark import local_session

work = Path(tempfile.mkdtemp(prefix="flightline-spark-classes-"))
(work / "flights.csv").write_text("carrier,origin\\nDL,1\\nAA,2\\n")
(work / "airports.csv").write_text("airport_id,city\\n1,Atlanta\\n2,Boston\\n")
spark = local_session("flightline-spark-classes", master="local[1]")
flights = spark.read.option("header", True).csv(str(work / "flights.csv"))
airports = spark.read.option("header", True).csv(str(work / "airports.csv"))
joined = flights.join(airports, flights.origin == airports.airport_id, "left")
joined.groupBy("carrier").count().write.mode("overwrite").parquet(str(work / "out"))
spark.stop()
"""


def ensure_archive() -> tuple[Path | None, bool]:
    """The archive for this machine's Spark and Java (None: no Java), and whether this call
    wrote it (it was missing)."""
    from flightline_glue.spark import QUICK_START_JAVA_OPTIONS, class_archive

    archive = class_archive()
    if archive is None or archive.is_file():
        return archive, False
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(f"{archive.name}.{os.getpid()}.partial")
    options = f"{QUICK_START_JAVA_OPTIONS} -XX:ArchiveClassesAtExit={partial}"
    env = {**os.environ, "FLIGHTLINE_SPARK_DRIVER_JAVA_OPTIONS": options}
    try:
        done = subprocess.run([sys.executable, "-c", WARM_UP], env=env, text=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        if done.returncode != 0 or not partial.is_file():
            raise SparkClassesError(
                f"no class-data archive written (exit {done.returncode}): "
                f"{done.stderr.strip()[-2000:]}"
            )
        partial.rename(archive)
    finally:
        partial.unlink(missing_ok=True)
    return archive, True


class SparkClassesError(RuntimeError):
    """The warm-up session failed or its JVM wrote no archive."""
