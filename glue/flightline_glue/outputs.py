"""Writing a run's outputs where the layout says: staged files, airport rejects.

Shared by the day's run (`job`) and the airports run (`airports_job`).
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame

from .inputs import AirportsDimension, rejects_csv
from .layout import AIRPORTS_REJECTS_NAME, run_keys
from .storage import Storage


def run_paths(output: Storage, run_id: str, flight_date: dt.date | None = None) -> dict[str, str]:
    """The layout's keys of one run (`layout.run_keys`) as URIs under the output root."""
    return {name: output.join(key) for name, key in run_keys(run_id, flight_date).items()}


def write_staged(frame: DataFrame, fmt: str, path: str) -> None:
    """Staged rows in the loader's format: Parquet (Redshift COPY) or PostgreSQL CSV."""
    writer = frame.write.mode("overwrite")
    if fmt == "csv":
        # PostgreSQL CSV: quotes doubled, unquoted empty field = NULL.
        writer.option("timestampNTZFormat", "yyyy-MM-dd HH:mm:ss").csv(
            path, header=False, escape='"'
        )
    else:
        writer.parquet(path)


def staged_files(output: Storage, path: str) -> tuple[str, ...]:
    """The data files Spark wrote under `path` (not its `_SUCCESS` or hidden `.crc` files)."""
    uris = output.list_files(path)
    return tuple(u for u in uris if not u.rsplit("/", 1)[-1].startswith(("_", ".")))


def write_airport_rejects(
    output: Storage, paths: dict[str, str], dim: AirportsDimension, flight_date: dt.date | None
) -> None:
    """The airports rows that could not be used, beside the run's flight rejects (if any)."""
    if dim.rejects:
        target = f"{paths['rejects']}/{AIRPORTS_REJECTS_NAME}"
        output.write_bytes(target, rejects_csv(dim.rejects, flight_date))
