"""The loader interface the job depends on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from .load_runs import RunRecord
from .sql import SqlSession


@dataclass(frozen=True)
class StagedDay:
    """What the job staged for one run: the day's enriched flights and the airports table."""

    flight_date: dt.date
    run_id: str
    flights_uri: str  # folder of staged flight files (CSV or Parquet, per the loader)
    flight_files: tuple[str, ...]
    airports_uri: str
    airport_files: tuple[str, ...]
    # The run's row in staging.load_runs, written in the load's transaction (load_runs.py).
    run: RunRecord | None = None


@dataclass(frozen=True)
class StagedAirports:
    """What an airports-only run staged: the airports table, no flights."""

    run_id: str
    airports_uri: str
    airport_files: tuple[str, ...]


@dataclass(frozen=True)
class LoadResult:
    flights_deleted: int  # rows of that date replaced; -1 where the warehouse does not say
    flights_loaded: int
    airports_loaded: int
    # How long the warehouse ran the load's statements (its billed busy time; docs/cost.md).
    warehouse_seconds: float = 0.0


class WarehouseLoader(Protocol):
    # Format the job stages rows in for this warehouse's bulk load: "csv" or "parquet".
    staged_format: str
    # Plain SQL on the warehouse as the loader (day profiles and checks).
    session: SqlSession

    def check_schema(self) -> None:
        """Raise ddl.WarehouseNotReady unless the warehouse has every staging migration this
        job needs (migrations run at deploy time, never inside a load)."""

    def load_day(self, staged: StagedDay) -> LoadResult:
        """Replace the date's flights and the airports table in ONE transaction, with the
        run's staging.load_runs row when `staged.run` is given."""

    def load_airports(self, staged: StagedAirports) -> int:
        """Replace the airports table alone (one transaction); returns the rows loaded."""
