"""Redshift Serverless loader: Parquet in S3, COPY through the Redshift Data API.

A Data API batch runs as one transaction, so the day's delete and the COPY commit together
or not at all (Redshift has no COPY FROM STDIN; it pulls the staged files from S3). The job
calls the Data API with WorkgroupName and no secret: it is the `IAMR:<job role>` database
user, holding only what the warehouse bootstrap grants it.
"""

from __future__ import annotations

from ..storage import Storage
from .base import LoadResult, StagedAirports, StagedDay
from .ddl import check_schema
from .load_runs import record_statements
from .manifest import write_manifest
from .sql import DataApiSession, WarehouseLoadError, literal, statement_seconds

__all__ = ["RedshiftLoader", "WarehouseLoadError"]


class RedshiftLoader:
    staged_format = "parquet"

    def __init__(
        self, client, workgroup: str, database: str, copy_role_arn: str, storage: Storage,
        poll_seconds: float = 2.0, timeout_seconds: float = 1800.0,
    ) -> None:  # fmt: skip
        self.session = DataApiSession(
            client, workgroup, database,
            poll_seconds=poll_seconds, timeout_seconds=timeout_seconds,
        )  # fmt: skip
        self.copy_role_arn = copy_role_arn
        self.storage = storage

    def _copy(self, table: str, folder_uri: str, files) -> str:
        """COPY of exactly the staged files, through a manifest written beside them.

        SERIALIZETOJSON loads a Parquet struct into a SUPER column (staging.flights'
        extra_columns) as a SUPER object ("Using COPY to load data into SUPER columns",
        "Copying data from columnar-format Parquet and ORC", Amazon Redshift Database
        Developer Guide); it changes nothing for scalar columns."""
        manifest = write_manifest(self.storage, folder_uri, files)
        return (
            f"copy {table} from {literal(manifest)} iam_role {literal(self.copy_role_arn)} "
            "format as parquet serializetojson manifest"
        )

    def check_schema(self) -> None:
        check_schema(self.session)

    def load_day(self, staged: StagedDay) -> LoadResult:
        described = self.session.batch(
            [
                # Overlapping loads (duplicate events) must not both keep their rows: the
                # lock serialises them until this batch's transaction ends.
                "lock staging.flights, staging.airports",
                "delete from staging.flights where flight_date = "
                f"{literal(staged.flight_date.isoformat())}",
                self._copy("staging.flights", staged.flights_uri, staged.flight_files),
                "delete from staging.airports",
                self._copy("staging.airports", staged.airports_uri, staged.airport_files),
                # The run's row, counted from the rows this transaction loaded.
                *(record_statements(staged.run, "redshift") if staged.run else []),
            ]
        )
        rows = [sub.get("ResultRows", -1) for sub in described.get("SubStatements", [])][1:]
        rows += [-1] * (4 - len(rows))
        return LoadResult(
            flights_deleted=rows[0], flights_loaded=rows[1], airports_loaded=rows[3],
            warehouse_seconds=statement_seconds(described),
        )  # fmt: skip

    def load_airports(self, staged: StagedAirports) -> int:
        described = self.session.batch(
            [
                "lock staging.airports",
                "delete from staging.airports",
                self._copy("staging.airports", staged.airports_uri, staged.airport_files),
            ]
        )
        subs = described.get("SubStatements", [])
        return subs[2].get("ResultRows", -1) if len(subs) > 2 else -1
