"""One run of the job: a day's flight files -> validated, enriched rows in staging.

`run_job` is what both entry points call (Glue's `glue_entry.py` and `flightline_glue.local`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from pyspark.sql import Observation, SparkSession

from .contract import (
    AIRPORTS_KEY,
    DEFAULT_MAX_REJECT_SHARE,
    EMPTY_DAY_MARKER,
    EXTRA_COLUMNS_COLUMN,
    FLIGHT_REJECT_REASONS,
    InputContractError,
    day_prefix,
    text_over_limit,
)
from .day_checks import FAILURE, DayChecks, Thresholds, check_day, row_count_check
from .failure import JobFailure, cause_of, describe
from .headers import header_summary
from .inputs import Day, FlightFile, discover_day, parse_airports
from .outputs import run_paths, staged_files, write_airport_rejects, write_staged
from .storage import Storage
from .summary import RunSummary
from .transform import (
    airports_frame,
    enrich,
    extra_column_names,
    input_metrics,
    output_metrics,
    read_flight_files,
    rejected_rows,
    validate,
)
from .warehouse import StagedDay, WarehouseLoader
from .warehouse.day_profiles import read_profiles, read_row_counts, record_checks
from .warehouse.load_runs import RunRecord, failed_statements, finish_statement

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
    max_reject_share: float = DEFAULT_MAX_REJECT_SHARE
    # row_count_fails: the job's --row_count_outside_band fail (day_checks.py)
    day_check_thresholds: Thresholds = field(default_factory=Thresholds)


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


class _Progress:
    """Where the run is, so a failure names its stage and file."""

    def __init__(self) -> None:
        self.stage = "start"
        self.file: str | None = None

    def at(self, stage: str, file: str | None = None) -> None:
        self.stage, self.file = stage, file


def _spark_paths(
    source: Storage, output: Storage, files: list[FlightFile], inputs_uri: str,
    progress: _Progress,
) -> list[tuple[str, FlightFile]]:  # fmt: skip
    """A path Spark reads literally for each file. Names Spark would glob, hide or
    decompress wrongly are read through a plain-named copy beside the run's staged files."""
    paths = []
    for number, f in enumerate(files):
        if f.spark_safe:
            paths.append((source.spark_input(f.uri), f))
            continue
        progress.at("copy input file", f.name)
        target = f"{inputs_uri}/{number:04d}{f.spark_suffix}"
        log.info("%s: read through %s (name not read literally by Spark)", f.name, target)
        with source.open_binary(f.uri) as stream:
            output.write_stream(target, stream)
        paths.append((output.spark_input(target), f))
    return paths


def _check_arguments(config: JobConfig) -> None:
    too_long = text_over_limit("flights", "run_id", config.run_id)
    if too_long:
        raise InputContractError(f"run id '{config.run_id}': {too_long}")


def _check_not_empty(day: Day, read_metrics: dict, rows_loaded: int, prefix: str) -> None:
    """A day whose files yield no loadable rows must not silently replace a loaded day."""
    if rows_loaded or day.declared_empty:
        return
    rejected = sum(read_metrics[r] or 0 for r in FLIGHT_REJECT_REASONS)
    raise InputContractError(
        f"{prefix}: no loadable rows in {len(day.files)} file(s) "
        f"({read_metrics['rows_read']} read, {rejected} rejected); the loaded day is left as "
        f"it was. To load an empty day on purpose, put an {EMPTY_DAY_MARKER} object in the "
        "day's folder"
    )


def reject_share_failure(
    rows_read: int, rejected_by_reason: dict[str, int], threshold: float
) -> str | None:
    """Why the day must not load because most of its rows were rejected, or None: the share,
    the threshold and the commonest reasons (a column whose type changed shows up here)."""
    rejected = sum(rejected_by_reason.values())
    if not rows_read or rejected / rows_read <= threshold:
        return None
    top = sorted(rejected_by_reason.items(), key=lambda item: (-item[1], item[0]))[:3]
    reasons = ", ".join(f"{reason} {count}" for reason, count in top)
    return (
        f"{rejected} of {rows_read} rows rejected ({rejected / rows_read:.1%}), above the "
        f"max reject share {threshold:.1%}; top reasons: {reasons}. Nothing was loaded; the "
        "rejects are kept"
    )


def row_count_gate(
    loader: WarehouseLoader, config: JobConfig, rows: int, summary: RunSummary
) -> str | None:
    """Why the day must not load because its row count is outside the band (only with
    `--row_count_outside_band fail`), or None. Checked before the load, against the days
    already in staging, so a failing day leaves the loaded one as it was; the run summary's
    day_checks holds the failed check. A declared-empty day (no rows) is not checked."""
    thresholds = config.day_check_thresholds
    if not thresholds.row_count_fails or not rows:
        return None
    earlier = read_row_counts(loader.session, config.flight_date)
    check = row_count_check(config.flight_date, rows, earlier, thresholds)
    if check.status != FAILURE:
        return None
    summary.day_checks = DayChecks(config.flight_date, [check]).summary()
    return (
        f"day check row_count: {check.detail}: outside the band (RowCountOutsideBand fail). "
        "Nothing was loaded"
    )


def _check_the_day(loader: WarehouseLoader, config: JobConfig, summary: RunSummary) -> None:
    """Compare the loaded day with its history; keep the results (staging.day_checks and
    the run summary). Nothing here fails the run: the row count that may fail a day was
    checked before the load (row_count_gate). A day with no rows (declared empty) is not
    checked."""
    profiles = read_profiles(loader.session, config.flight_date)
    today = [p for p in profiles if p.flight_date == config.flight_date]
    if not today:
        summary.day_checks = {"status": "not checked", "checked": 0, "findings": []}
        return
    warn_only = replace(config.day_check_thresholds, row_count_fails=False)
    result = check_day(today[0], profiles, summary.rows_read, summary.rows_rejected, warn_only)
    record_checks(loader.session, result, config.run_id)
    summary.day_checks = result.summary()
    for finding in summary.day_checks["findings"]:
        log.warning("day check %s %s: %s", finding["check"], finding["status"], finding["detail"])


def _run_record(config: JobConfig, started_at: dt.datetime, summary: RunSummary) -> RunRecord:
    return RunRecord(
        flight_date=config.flight_date,
        run_id=config.run_id,
        started_at=started_at,
        rows_read=summary.rows_read,
        rows_rejected=summary.rows_rejected,
        rejected_by_reason=dict(summary.rejected_by_reason),
        unknown_airport_rows=summary.unknown_origin_rows + summary.unknown_dest_rows,
        unknown_airport_id_count=summary.unknown_airport_id_count,
    )


def _record_failure(
    loader: WarehouseLoader, record: RunRecord, loaded: bool, seconds: float, message: str
) -> None:
    """Best effort: the failed run's row in staging.load_runs (warehouse/load_runs.py). A
    loaded run's row (its rows stay) is marked failed; otherwise a row with nothing loaded.
    If the warehouse cannot take it, the run summary and the notice still carry the failure."""
    dialect = loader.session.dialect
    statements = (
        [finish_statement(record.run_id, dialect, "failed", seconds, None, message)]
        if loaded
        else failed_statements(record, dialect, seconds, message)
    )
    try:
        loader.session.run(statements)
    except Exception as error:
        log.error("run %s not recorded in the warehouse: %s", record.run_id, cause_of(error))


def run_job(
    spark: SparkSession, config: JobConfig, source: Storage, output: Storage,
    loader: WarehouseLoader,
) -> RunSummary:  # fmt: skip
    """Validate, enrich, quarantine and load one day; returns (and writes) the run summary.

    Any failure (input, Spark, filesystem, warehouse) raises JobFailure whose message is one
    line naming the stage, the file (and line) and the cause; the run summary, status
    `failed`, carries the same line and the full trace goes to the log. Nothing is loaded
    unless everything before the load succeeded; a failed load is rolled back.
    """
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    loaded_day = False  # the load committed: the day's rows and its load_runs row exist
    progress = _Progress()
    summary = RunSummary(
        config.flight_date.isoformat(), config.run_id, trigger_key=config.trigger_key
    )
    paths = run_paths(output, config.run_id, config.flight_date)
    summary.outputs = dict(paths)
    try:
        progress.at("check arguments")
        _check_arguments(config)
        configure(spark)
        loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        progress.at("check warehouse schema")
        loader.check_schema()
        progress.at("check flight files", day_prefix(config.flight_date))
        day = discover_day(source, config.flight_date)
        files = day.files
        summary.input_files = [
            {
                "file": f.name,
                "optional_columns": list(f.optional_columns),
                "extra_columns": list(f.extra_columns),
            }
            for f in files
        ]
        summary.ignored_files = day.ignored
        summary.headers = header_summary((f.name, f.header_line) for f in files)
        for name in day.ignored:
            log.warning("%s: not read: not named *.csv or *.csv.gz", name)
        summary.extra_columns = list(extra_column_names(files))
        for f in files:
            if f.extra_columns:
                log.warning(
                    "%s: column(s) beyond the contract kept in staging.flights.%s: %s",
                    f.name, EXTRA_COLUMNS_COLUMN, ", ".join(f.extra_columns),
                )  # fmt: skip
        progress.at("read airports", AIRPORTS_KEY)
        airports_uri = source.join(AIRPORTS_KEY)
        if airports_uri not in source.list_files(source.join(AIRPORTS_KEY.rsplit("/", 1)[0])):
            raise InputContractError(
                f"{AIRPORTS_KEY}: not found under {source.join('')} (the job needs it to "
                "enrich the flights)",
                AIRPORTS_KEY,
            )
        with source.open_binary(airports_uri) as stream:
            dim = parse_airports(stream.read(), AIRPORTS_KEY)
        if not dim.airports:
            raise InputContractError(f"{AIRPORTS_KEY}: no usable airport rows", AIRPORTS_KEY)

        spark_files = _spark_paths(source, output, files, paths["inputs"], progress)
        progress.at("read and validate flights", day_prefix(config.flight_date))
        raw = read_flight_files(spark, spark_files)
        seen, staged = Observation("input"), Observation("staged")
        # One pass writes the staged rows and counts everything, rejects by reason included.
        checked = validate(raw).observe(seen, *input_metrics(FLIGHT_REJECT_REASONS))
        airports = airports_frame(spark, dim.airports, AIRPORTS_KEY, config.run_id, loaded_at)
        enriched = enrich(checked, airports, config.flight_date, config.run_id, loaded_at)
        progress.at("write staged files", paths["staged_flights"])
        with output.spark_output(paths["staged_flights"]) as target:
            write_staged(enriched.observe(staged, *output_metrics()), loader.staged_format, target)
        with output.spark_output(paths["staged_airports"]) as target:
            write_staged(airports.coalesce(1), loader.staged_format, target)
        read_metrics, out_metrics = _observed(seen), _observed(staged)
        # Most days have no rejects: only then is a second pass needed to write them.
        progress.at("write rejects", paths["rejects"])
        if any(read_metrics[reason] for reason in FLIGHT_REJECT_REASONS):
            with output.spark_output(paths["rejects"]) as target:
                rejects = rejected_rows(validate(raw), config.flight_date)
                rejects.write.mode("overwrite").csv(target, header=True, escape='"')
        write_airport_rejects(output, paths, dim, config.flight_date)
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
        progress.at("check loadable rows", day_prefix(config.flight_date))
        _check_not_empty(day, read_metrics, out_metrics["rows_loaded"] or 0,
                         day_prefix(config.flight_date))  # fmt: skip
        progress.at("check reject share", day_prefix(config.flight_date))
        too_many = reject_share_failure(
            summary.rows_read, summary.rejected_by_reason, config.max_reject_share
        )
        if too_many:
            raise InputContractError(
                f"{day_prefix(config.flight_date)}: {too_many} in {paths['rejects']}"
            )
        progress.at("check row count", day_prefix(config.flight_date))
        outside = row_count_gate(loader, config, out_metrics["rows_loaded"] or 0, summary)
        if outside:
            raise InputContractError(
                f"{day_prefix(config.flight_date)}: {outside}; the loaded day is left as it was"
            )

        progress.at("load warehouse", paths["staged_flights"])
        result = loader.load_day(
            StagedDay(
                flight_date=config.flight_date,
                run_id=config.run_id,
                flights_uri=paths["staged_flights"],
                flight_files=staged_files(output, paths["staged_flights"]),
                airports_uri=paths["staged_airports"],
                airport_files=staged_files(output, paths["staged_airports"]),
                run=_run_record(config, started_at, summary),
            )
        )
        loaded_day = True
        summary.rows_loaded = result.flights_loaded
        summary.rows_replaced = result.flights_deleted
        summary.airports_loaded = result.airports_loaded
        summary.warehouse_seconds = result.warehouse_seconds
        progress.at("check the day", day_prefix(config.flight_date))
        _check_the_day(loader, config, summary)
        loaded = time.monotonic()
        summary.durations_seconds = {
            "read_transform": round(transformed - started, 3),
            "load": round(loaded - transformed, 3),
            "total": round(loaded - started, 3),
        }
        progress.at("record the run", "staging.load_runs")
        loader.session.run(
            [
                finish_statement(
                    config.run_id,
                    loader.session.dialect,
                    "succeeded",
                    summary.durations_seconds["total"],
                    summary.warehouse_seconds,
                )
            ]
        )
        summary.status = "succeeded"
        progress.at("write run summary", paths["summary"])
        output.write_bytes(paths["summary"], summary.to_json().encode())
        log.info("run summary %s", summary.to_json(indent=None))
        return summary
    except Exception as error:
        record = _run_record(config, started_at, summary)

        def record_failure(message: str) -> None:
            seconds = round(time.monotonic() - started, 3)
            _record_failure(loader, record, loaded_day, seconds, message)

        raise _failed(
            error, progress, summary, output, paths["summary"], started, record_failure
        ) from error


def failed_before_run(
    config: JobConfig, output: Storage | None, stage: str, error: Exception
) -> JobFailure:
    """A failure before run_job could start (arguments, secret, Spark): reported the same
    way, with a failed run summary when the output root is known."""
    progress = _Progress()
    progress.at(stage)
    summary = RunSummary(
        config.flight_date.isoformat(), config.run_id, trigger_key=config.trigger_key
    )
    if output is None:
        message = describe(stage, error)
        log.error("run %s failed: %s", config.run_id, message, exc_info=error)
        return JobFailure(message, stage)
    summary_uri = run_paths(output, config.run_id, config.flight_date)["summary"]
    return _failed(error, progress, summary, output, summary_uri, time.monotonic())


def _failed(
    error: Exception, progress: _Progress, summary: RunSummary, output: Storage,
    summary_uri: str, started: float, record: Callable[[str], None] | None = None,
) -> JobFailure:  # fmt: skip
    """Log the full trace, write the failed summary (and `record` the failure in the
    warehouse), and return the one-line failure."""
    message = describe(progress.stage, error, progress.file)
    log.error("run %s failed: %s", summary.run_id, message, exc_info=error)
    summary.status = "failed"
    summary.error = message
    summary.durations_seconds["total"] = round(time.monotonic() - started, 3)
    try:
        output.write_bytes(summary_uri, summary.to_json().encode())
    except Exception as write_error:
        log.error("run summary not written to %s", summary_uri, exc_info=write_error)
        message += f" (run summary not written: {cause_of(write_error)})"
    if record is not None:
        record(summary.error)
    log.info("run summary %s", summary.to_json(indent=None))
    return JobFailure(message, progress.stage)
