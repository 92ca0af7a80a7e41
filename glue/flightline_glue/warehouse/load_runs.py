"""Each run of the job, recorded in the warehouse (staging.load_runs, migration V006), so that
the pipeline-health page can read it where the marts are (Amazon QuickSight reads the
warehouse, not the run summaries in S3).

What a row claims, and when (docs/dashboards.md, "Pipeline health"):
- A load writes its run's row inside the load's own transaction (`record_statements`), status
  `loaded`, with rows_loaded counted from staging.flights in that transaction: the row exists
  exactly when the day's rows do.
- The run's end completes it (`finish_statement`): `succeeded`, or `failed` when the checks
  after the load failed (the rows stay loaded; the row says so), with the durations.
- A run that fails before its load commits writes a `failed` row with rows_loaded 0 on a best
  effort (`failed_statements`): a warehouse that is down cannot record that it was down, so
  the run summary and the failure notice stay the record of last resort.

Portable SQL for PostgreSQL and Redshift; only the semi-structured literal differs.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from .ddl import NOW
from .sql import literal

LOAD_RUNS_TABLE = "staging.load_runs"
_ERROR_BYTES = 1024
# {reason: rows} as the dialect's semi-structured value ("JSON_PARSE function", Amazon
# Redshift Database Developer Guide; jsonb on PostgreSQL).
_SEMI_STRUCTURED = {"redshift": "json_parse({})", "postgres": "cast({} as jsonb)"}


@dataclass(frozen=True)
class RunRecord:
    """What the job knows about its run when it loads (or fails)."""

    flight_date: dt.date
    run_id: str
    started_at: dt.datetime  # UTC, naive
    rows_read: int = 0
    rows_rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    unknown_airport_rows: int = 0
    unknown_airport_id_count: int = 0


def _day(record: RunRecord) -> str:
    return f"cast({literal(record.flight_date.isoformat())} as date)"


def _timestamp(value: dt.datetime) -> str:
    return f"cast({literal(value.strftime('%Y-%m-%d %H:%M:%S'))} as timestamp)"


def _number(value: float | None) -> str:
    return "null" if value is None else repr(round(float(value), 3))


def _error(text: str | None) -> str:
    if text is None:
        return "null"
    return literal(text.encode()[:_ERROR_BYTES].decode(errors="ignore"))


def _columns_and_values(record: RunRecord, dialect: str) -> tuple[list[str], list[str]]:
    reasons = json.dumps(dict(sorted(record.rejected_by_reason.items())))
    pairs = [
        ("flight_date", _day(record)),
        ("run_id", literal(record.run_id)),
        ("rows_read", str(int(record.rows_read))),
        ("rows_rejected", str(int(record.rows_rejected))),
        ("rejected_by_reason", _SEMI_STRUCTURED[dialect].format(literal(reasons))),
        ("unknown_airport_rows", str(int(record.unknown_airport_rows))),
        ("unknown_airport_id_count", str(int(record.unknown_airport_id_count))),
        ("started_at", _timestamp(record.started_at)),
    ]
    return [c for c, _ in pairs], [v for _, v in pairs]


def _replace(record: RunRecord) -> str:
    # A retried run (same run id) keeps one row.
    return f"delete from {LOAD_RUNS_TABLE} where run_id = {literal(record.run_id)}"


def record_statements(record: RunRecord, dialect: str) -> list[str]:
    """The run's row, for the end of the load's transaction (after the day's COPY)."""
    columns, values = _columns_and_values(record, dialect)
    loaded = f"(select count(*) from staging.flights where flight_date = {_day(record)})"
    return [
        _replace(record),
        f"insert into {LOAD_RUNS_TABLE} ({', '.join(columns)}, status, rows_loaded) "
        f"select {', '.join(values)}, 'loaded', {loaded}",
    ]


def finish_statement(
    run_id: str, dialect: str, status: str, duration_seconds: float,
    warehouse_seconds: float | None, error: str | None = None,
) -> str:  # fmt: skip
    """Complete a loaded run's row: its outcome and durations."""
    return (
        f"update {LOAD_RUNS_TABLE} set status = {literal(status)}, "
        f"duration_seconds = {_number(duration_seconds)}, "
        f"warehouse_seconds = {_number(warehouse_seconds)}, "
        f"finished_at = {NOW[dialect]}, error = {_error(error)} "
        f"where run_id = {literal(run_id)}"
    )


def failed_statements(
    record: RunRecord, dialect: str, duration_seconds: float, error: str
) -> list[str]:
    """A run that failed before its load committed: nothing of it was loaded."""
    columns, values = _columns_and_values(record, dialect)
    return [
        _replace(record),
        f"insert into {LOAD_RUNS_TABLE} ({', '.join(columns)}, status, rows_loaded, "
        f"duration_seconds, finished_at, error) values ({', '.join(values)}, 'failed', 0, "
        f"{_number(duration_seconds)}, {NOW[dialect]}, {_error(error)})",
    ]
