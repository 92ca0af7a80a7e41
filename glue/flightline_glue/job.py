"""One run of the job: a day's flight files -> validated, enriched rows in staging.

`run_job` is what both entry points call (Glue's `glue_entry.py` and `flightline_glue.local`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import threading
import time
from dataclasses import dataclass

from pyspark.sql import Observation, SparkSession

from .contract import AIRPORTS_KEY, FLIGHT_REJECT_REASONS, REJECT_COLUMNS, InputContractError
from .inputs import AirportsDimension, discover_flight_files, parse_airports
from .storage import Storage
from .summary import RunSummary
from .transform import (
    airports_frame,
    enrich,
    input_metrics,
    output_metrics,
    read_flight_files,
    rejected_rows,
    validate,
)
from .warehouse import StagedDay, WarehouseLoader

log = logging.getLogger("flightline.job")

# Runtime SQL settings the job relies on, set on whatever session it is given (Glue's too).
SPARK_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}


def configure(spark: SparkSession) -> None:
    for key, value in SPARK_CONF.items():
        spark.conf.set(key, value)


@dataclass(frozen=True)
class JobConfig:
    flight_date: dt.date
    run_id: str
    trigger_key: str | None = None


def _paths(output: Storage, config: JobConfig) -> dict[str, str]:
    part = f"date={config.flight_date.isoformat()}/run_id={config.run_id}"
    return {
        "rejects": output.join(f"rejects/{part}"),
        "staged_flights": output.join(f"staged/{part}/flights"),
        "staged_airports": output.join(f"staged/{part}/airports"),
        "summary": output.join(f"runs/{part}/summary.json"),
    }


def _data_files(uris: list[str]) -> tuple[str, ...]:
    return tuple(u for u in uris if not u.rsplit("/", 1)[-1].startswith(("_", ".")))


def _airport_rejects_csv(dim: AirportsDimension, flight_date: dt.date | None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REJECT_COLUMNS)
    for r in dim.rejects:
        writer.writerow(
            [flight_date, r.source_file, r.source_line, r.reject_reason, r.reject_detail]
            + [""] * 5
            + [r.raw_record]
        )
    return buffer.getvalue().encode()


def _observed(observation: Observation, timeout_seconds: float = 120.0) -> dict:
    """Observation.get blocks until Spark reports; never let a run hang on it."""
    done = threading.Event()
    result: dict = {}

    def fetch() -> None:
        result.update(observation.get)
        done.set()

    threading.Thread(target=fetch, daemon=True).start()
    if not done.wait(timeout_seconds):
        raise RuntimeError(f"Spark did not report the '{observation._name}' metrics")
    return result


def _write(frame, fmt: str, path: str) -> None:
    writer = frame.write.mode("overwrite")
    if fmt == "csv":
        # PostgreSQL CSV: quotes doubled, unquoted empty field = NULL.
        writer.option("timestampNTZFormat", "yyyy-MM-dd HH:mm:ss").csv(
            path, header=False, escape='"'
        )
    else:
        writer.parquet(path)


def run_job(
    spark: SparkSession, config: JobConfig, source: Storage, output: Storage,
    loader: WarehouseLoader,
) -> RunSummary:  # fmt: skip
    """Validate, enrich, quarantine and load one day; returns (and writes) the run summary.

    Raises InputContractError when the input breaks the contract (nothing is loaded) and
    whatever the warehouse raises when the load fails (its transaction is rolled back).
    """
    configure(spark)
    started = time.monotonic()
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    paths = _paths(output, config)
    summary = RunSummary(
        config.flight_date.isoformat(), config.run_id, trigger_key=config.trigger_key
    )
    summary.outputs = dict(paths)
    try:
        loader.check_schema()
        files = discover_flight_files(source, config.flight_date)
        summary.input_files = [
            {"file": f.name, "extra_columns": list(f.extra_columns)} for f in files
        ]
        for f in files:
            if f.extra_columns:
                log.warning("%s: ignoring extra column(s) %s", f.name, ", ".join(f.extra_columns))
        airports_uri = source.join(AIRPORTS_KEY)
        with source.open_binary(airports_uri) as stream:
            dim = parse_airports(stream.read(), AIRPORTS_KEY)
        if not dim.airports:
            raise InputContractError(f"{AIRPORTS_KEY}: no usable airport rows")

        raw = read_flight_files(spark, [(source.spark_input(f.uri), f) for f in files])
        seen, staged = Observation("input"), Observation("staged")
        # One pass writes the staged rows and counts everything, rejects by reason included.
        checked = validate(raw).observe(seen, *input_metrics(FLIGHT_REJECT_REASONS))
        airports = airports_frame(spark, dim.airports, AIRPORTS_KEY, config.run_id, loaded_at)
        enriched = enrich(checked, airports, config.flight_date, config.run_id, loaded_at)
        with output.spark_output(paths["staged_flights"]) as target:
            _write(enriched.observe(staged, *output_metrics()), loader.staged_format, target)
        with output.spark_output(paths["staged_airports"]) as target:
            _write(airports.coalesce(1), loader.staged_format, target)
        read_metrics, out_metrics = _observed(seen), _observed(staged)
        # Most days have no rejects: only then is a second pass needed to write them.
        if any(read_metrics[reason] for reason in FLIGHT_REJECT_REASONS):
            with output.spark_output(paths["rejects"]) as target:
                rejects = rejected_rows(validate(raw), config.flight_date)
                rejects.write.mode("overwrite").csv(target, header=True, escape='"')
        if dim.rejects:
            output.write_bytes(
                paths["rejects"] + "/airports-rejects.csv",
                _airport_rejects_csv(dim, config.flight_date),
            )
        transformed = time.monotonic()

        summary.rows_read = read_metrics["rows_read"]
        summary.rejected_by_reason = {
            r: read_metrics[r] for r in FLIGHT_REJECT_REASONS if read_metrics[r]
        }
        summary.rows_rejected = sum(summary.rejected_by_reason.values())
        for key in ("cancelled", "diverted", "unknown_origin_rows", "unknown_dest_rows",
                    "unknown_airport_id_count"):  # fmt: skip
            setattr(summary, key, out_metrics[key] or 0)
        ids = out_metrics["unknown_airport_ids"] or ""
        summary.unknown_airport_ids = [int(i) for i in ids.split(",") if i]
        summary.airports_rejected = len(dim.rejects)

        result = loader.load_day(
            StagedDay(
                flight_date=config.flight_date,
                run_id=config.run_id,
                flights_uri=paths["staged_flights"],
                flight_files=_data_files(output.list_files(paths["staged_flights"])),
                airports_uri=paths["staged_airports"],
                airport_files=_data_files(output.list_files(paths["staged_airports"])),
            )
        )
        loaded = time.monotonic()
        summary.rows_loaded = result.flights_loaded
        summary.rows_replaced = result.flights_deleted
        summary.airports_loaded = result.airports_loaded
        summary.durations_seconds = {
            "read_transform": round(transformed - started, 3),
            "load": round(loaded - transformed, 3),
            "total": round(loaded - started, 3),
        }
        summary.status = "succeeded"
        return summary
    except Exception as error:
        summary.status = "failed"
        summary.error = f"{type(error).__name__}: {error}"
        summary.durations_seconds["total"] = round(time.monotonic() - started, 3)
        raise
    finally:
        output.write_bytes(paths["summary"], summary.to_json().encode())
        log.info("run summary %s", summary.to_json(indent=None))
