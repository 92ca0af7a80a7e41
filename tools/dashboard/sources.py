"""The rows behind each dataset: SQL over the marts, or the Glue job's run summaries.

The warehouse has no table of runs (the job writes one JSON summary per run to
`runs/date=<day>/run_id=<run>/summary.json` under its output root, flightline_glue/layout.py),
so the pipeline-health datasets read those files: a local output root (`make run` writes
var/output) or an S3 bucket (the landing bucket, in LocalStack for `make demo`).

Rows come back JSON-ready (dates as ISO strings, decimals as floats): they are embedded in the
page as they are.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from flightline_glue import layout

from tools.cost.model import run_price
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


@dataclass(frozen=True)
class Summary:
    """One run summary file and when it was written (the newest run of a day wins)."""

    data: dict[str, Any]
    written_at: float  # seconds since the epoch


def local_summaries(root: str | Path) -> list[Summary]:
    """Every day's run summary under a local output root."""
    base = Path(root) / layout.RUNS_PREFIX
    return [
        Summary(json.loads(path.read_text(encoding="utf-8")), path.stat().st_mtime)
        for path in sorted(base.glob(f"date=*/run_id=*/{layout.SUMMARY_NAME}"))
    ]


def s3_summaries(s3: Any, bucket: str) -> list[Summary]:
    """Every day's run summary in a bucket (the output root on AWS and in LocalStack)."""
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{layout.RUNS_PREFIX}date="
    ):
        for item in page.get("Contents", []):
            if item["Key"].endswith(f"/{layout.SUMMARY_NAME}"):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                found.append(Summary(json.loads(body), item["LastModified"].timestamp()))
    return found


@dataclass(frozen=True)
class JobSizing:
    """The Glue job's size on AWS, to price a run's duration as it would be billed there
    (tools/cost: DPU-seconds at the execution class, one-minute minimum)."""

    worker_type: str = "G.1X"
    workers: int = 2
    execution_class: str = "STANDARD"

    @classmethod
    def of_env(cls, parameters: dict[str, str]) -> JobSizing:
        return cls(
            parameters.get("WorkerType", cls.worker_type),
            int(parameters.get("NumberOfWorkers", cls.workers)),
            parameters.get("ExecutionClass", cls.execution_class),
        )

    def price(self, seconds: float) -> float:
        usage = {
            "workers": self.workers,
            "worker_type": self.worker_type,
            "execution_seconds": seconds,
            "execution_class": self.execution_class,
        }
        return run_price({"usage": {"glue": usage}})["glue_job"]


def run_rows(summaries: Iterable[Summary], sizing: JobSizing) -> list[Row]:
    rows = []
    for summary in sorted(summaries, key=lambda s: (s.data["flight_date"], s.written_at)):
        s = summary.data
        seconds = float(s.get("durations_seconds", {}).get("total", 0.0))
        rows.append(
            {
                "flight_date": s["flight_date"],
                "run_id": s["run_id"],
                "status": s["status"],
                "rows_read": s["rows_read"],
                "rows_loaded": s["rows_loaded"],
                "rows_rejected": s["rows_rejected"],
                "unknown_airport_rows": s["unknown_origin_rows"] + s["unknown_dest_rows"],
                "unknown_airport_ids": s["unknown_airport_id_count"],
                "duration_seconds": round(seconds, 1),
                "modelled_cost_usd": sizing.price(seconds),
            }
        )
    return rows


def latest_per_day(summaries: Iterable[Summary]) -> list[Summary]:
    newest: dict[str, Summary] = {}
    for summary in summaries:
        day = summary.data["flight_date"]
        if day not in newest or summary.written_at >= newest[day].written_at:
            newest[day] = summary
    return [newest[day] for day in sorted(newest)]


def reject_rows(summaries: Iterable[Summary]) -> list[Row]:
    return [
        {
            "flight_date": s.data["flight_date"],
            "run_id": s.data["run_id"],
            "reason": reason,
            "rows_rejected": count,
        }
        for s in summaries
        for reason, count in sorted(s.data.get("rejected_by_reason", {}).items())
    ]


def summary_sources(summaries: list[Summary], sizing: JobSizing) -> dict[str, list[Row]]:
    latest = latest_per_day(summaries)
    return {
        "run_summaries": run_rows(summaries, sizing),
        "latest_run_summaries": run_rows(latest, sizing),
        "latest_run_rejects": reject_rows(latest),
    }


def query_rows(connect: Callable[[], Any], sql: str) -> tuple[list[str], list[Row]]:
    """Run one query on a connection factory (psycopg locally): column names and rows."""
    with connect() as conn:
        cursor = conn.execute(sql)
        names = [column.name for column in cursor.description]
        return names, [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in cursor]


def dataset_rows(
    definition: Definition,
    connect: Callable[[], Any],
    summaries: list[Summary],
    sizing: JobSizing,
    marts_schema: str,
) -> dict[str, list[Row]]:
    """Every dataset's rows, by dataset id."""
    from_summaries = summary_sources(summaries, sizing)
    rows: dict[str, list[Row]] = {}
    for dataset in definition.datasets.values():
        rows[dataset.id] = (
            from_summaries[dataset.source]
            if dataset.source
            else _query(dataset, connect, marts_schema)
        )
    return rows


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
