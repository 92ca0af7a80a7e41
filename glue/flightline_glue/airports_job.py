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
from .job import _airport_rejects_csv, _data_files, _write, configure
from .storage import Storage
from .summary import RunSummary
from .transform import airports_frame
from .warehouse import StagedAirports, WarehouseLoader

log = logging.getLogger("flightline.airports")
# In place of a flight date, where a day's run has one (summary, paths).
AIRPORTS_PARTITION = "airports"


def _paths(output: Storage, run_id: str) -> dict[str, str]:
    part = f"{AIRPORTS_PARTITION}/run_id={run_id}"
    return {
        "rejects": output.join(f"rejects/{part}"),
        "staged_airports": output.join(f"staged/{part}/airports"),
        "summary": output.join(f"runs/{part}/summary.json"),
    }


def run_airports(
    spark: SparkSession, run_id: str, source: Storage, output: Storage,
    loader: WarehouseLoader, trigger_key: str | None = None,
) -> RunSummary:  # fmt: skip
    """Parse, quarantine and load dim/airports.csv into staging.airports (one transaction)."""
    configure(spark)
    started = time.monotonic()
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    paths = _paths(output, run_id)
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
            _write(airports.coalesce(1), loader.staged_format, target)
        if dim.rejects:
            output.write_bytes(
                paths["rejects"] + "/airports-rejects.csv", _airport_rejects_csv(dim, None)
            )
        summary.airports_rejected = len(dim.rejects)
        summary.airports_loaded = loader.load_airports(
            StagedAirports(
                run_id=run_id,
                airports_uri=paths["staged_airports"],
                airport_files=_data_files(output.list_files(paths["staged_airports"])),
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
