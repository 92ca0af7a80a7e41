"""Writing a run's outputs where the layout says: staged files, airport rejects.

Shared by the day's run (`job`) and the airports run (`airports_job`).
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from .inputs import AirportsDimension, rejects_csv
from .layout import AIRPORTS_REJECTS_NAME, run_keys
from .storage import Storage


def run_paths(output: Storage, run_id: str, flight_date: dt.date | None = None) -> dict[str, str]:
    """The layout's keys of one run (`layout.run_keys`) as URIs under the output root."""
    return {name: output.join(key) for name, key in run_keys(run_id, flight_date).items()}


def semi_structured_as_text(frame: DataFrame) -> DataFrame:
    """Struct columns as JSON text, for a CSV that COPY parses into jsonb (PostgreSQL) or SUPER
    (Redshift reads SUPER in text and CSV as serialized JSON: "Using COPY to load data into
    SUPER columns", Amazon Redshift Database Developer Guide). Parquet keeps the struct,
    which Redshift's COPY ... FORMAT AS PARQUET SERIALIZETOJSON loads into the SUPER column
    (same page, "Copying data from columnar-format Parquet and ORC"). Null fields are kept
    as JSON nulls, as a struct serialised whole keeps them."""
    return frame.select(
        *[
            F.to_json(F.col(f.name), {"ignoreNullFields": "false"}).alias(f.name)
            if isinstance(f.dataType, T.StructType)
            else F.col(f.name)
            for f in frame.schema.fields
        ]
    )


def write_staged(frame: DataFrame, fmt: str, path: str) -> None:
    """Staged rows in the loader's format: Parquet (Redshift COPY) or PostgreSQL CSV. This is
    the one place where the two differ (the semi-structured extra columns included)."""
    if fmt == "csv":
        frame = semi_structured_as_text(frame)
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
