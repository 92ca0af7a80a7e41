"""A run for an upload of dim/airports.csv: the airports table alone, no flights.

The state machine's airports route runs it, then dbt rebuilds the airports snapshot and
what depends on it, so the dimension follows the file without waiting for the next day.
Daily runs still load the current file with their flights (`job.run_job`); the snapshot
(dbt_project/snapshots/) keeps every airport's history, retired ids included.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from pyspark.sql import SparkSession

from .contract import AIRPORTS_KEY, InputContractError
from .inputs import parse_airports
from .job import configure
from .layout import AIRPORTS_PARTITION
from .outputs import run_paths, staged_files, write_airport_rejects, write_staged
from .storage import Storage
from .summary import RunSummary
from .transform import airports_frame
from .warehouse import StagedAirports, WarehouseLoader

log = logging.getLogger("flightline.airports")


def run_airports(
    spark: SparkSession, run_id: str, source: Storage, output: Storage,
    loader: WarehouseLoader, trigger_key: str | None = None,
) -> RunSummary:  # fmt: skip
    """Parse, quarantine and load dim/airports.csv into staging.airports (one transaction)."""
    configure(spark)
    started = time.monotonic()
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    paths = run_paths(output, run_id)
    summary = RunSummary(AIRPORTS_PARTITION, run_id, trigger_key=trigger_key)
    summary.outputs = dict(paths)
    try:
        loader.check_schema()
        with source.open_binary(source.join(AIRPORTS_KEY)) as stream:
            dim = parse_airports(stream.read(), AIRPORTS_KEY)
        if not dim.airports:
            raise InputContractError(f"{AIRPORTS_KEY}: no usable airport rows")
        airports = airports_frame(spark, dim.airports, AIRPORTS_KEY, run_id, loaded_at)
        with output.spark_output(paths["staged_airports"]) as target:
            write_staged(airports.coalesce(1), loader.staged_format, target)
        write_airport_rejects(output, paths, dim, None)
        summary.airports_rejected = len(dim.rejects)
        summary.airports_loaded = loader.load_airports(
            StagedAirports(
                run_id=run_id,
                airports_uri=paths["staged_airports"],
                airport_files=staged_files(output, paths["staged_airports"]),
            )
        )
        summary.durations_seconds = {"total": round(time.monotonic() - started, 3)}
        summary.status = "succeeded"
        return summary
    except Exception as error:
        summary.status = "failed"
        summary.error = f"{type(error).__name__}: {error}"
        summary.durations_seconds["total"] = round(time.monotonic() - started, 3)
        raise
    finally:
        output.write_bytes(paths["summary"], summary.to_json().encode())
        log.info("airports run summary %s", summary.to_json(indent=None))
