"""The run summary: what one run read, loaded and rejected, and how long it took."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass
class RunSummary:
    flight_date: str
    run_id: str
    status: str = "running"  # running | succeeded | failed
    trigger_key: str | None = None
    input_files: list[dict] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)  # in the day's folder, not read
    # Columns beyond the contract, kept per row in staging.flights.extra_columns (the notice
    # carries the whole summary, so it names them too).
    extra_columns: list[str] = field(default_factory=list)
    # The distinct header lines the day's files had (headers.py): the day crawl, after the
    # job, crawls only when they are not the ones the catalog table was crawled from.
    headers: dict = field(default_factory=dict)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    cancelled: int = 0
    diverted: int = 0
    unknown_origin_rows: int = 0
    unknown_dest_rows: int = 0
    unknown_airport_id_count: int = 0
    unknown_airport_ids: list[int] = field(default_factory=list)
    airports_loaded: int = 0
    airports_rejected: int = 0
    rows_replaced: int = 0
    # Seconds the warehouse ran the load's statements (priced by tools/cost: RPU-seconds).
    warehouse_seconds: float = 0.0
    # Day-level checks after the load (day_checks.py): status, count, findings not ok; every
    # check is kept per day in staging.day_checks.
    day_checks: dict = field(default_factory=dict)
    durations_seconds: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(asdict(self), indent=indent)
