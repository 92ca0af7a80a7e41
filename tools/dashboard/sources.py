"""The rows behind each dataset: its SQL over the marts, run on the warehouse.

Every dataset, the pipeline-health ones included, reads the marts: the job records each run
and its day's checks in the warehouse (staging.load_runs, modelled by mart_pipeline_health
and mart_pipeline_rejects; staging.day_checks, by mart_day_checks), so the local page and
Amazon QuickSight read the same tables.

Rows come back JSON-ready (dates as ISO strings, decimals as floats): they are embedded in the
page as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tools.dashboard.definition import Dataset, Definition

Row = dict[str, Any]


class SourceError(RuntimeError):
    """A dataset could not be read; the message names the dataset and the cause."""


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def query_rows(connect: Callable[[], Any], sql: str) -> tuple[list[str], list[Row]]:
    """Run one query on a connection factory (psycopg locally): column names and rows."""
    with connect() as conn:
        cursor = conn.execute(sql)
        names = [column.name for column in cursor.description]
        return names, [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in cursor]


def dataset_rows(
    definition: Definition, connect: Callable[[], Any], marts_schema: str
) -> dict[str, list[Row]]:
    """Every dataset's rows, by dataset id."""
    return {d.id: _query(d, connect, marts_schema) for d in definition.datasets.values()}


def _query(dataset: Dataset, connect: Callable[[], Any], marts_schema: str) -> list[Row]:
    try:
        names, rows = query_rows(connect, dataset.query(marts_schema))
    except Exception as error:  # the driver's own error types; the message names the dataset
        raise SourceError(
            f"dataset {dataset.id}: {type(error).__name__}: {str(error).strip().splitlines()[0]}"
        ) from error
    missing = set(dataset.columns) - set(names)
    if missing:
        raise SourceError(
            f"dataset {dataset.id}: the query returned no column {', '.join(sorted(missing))}"
        )
    return rows
