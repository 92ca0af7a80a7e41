"""Redshift Serverless loader: Parquet in S3, COPY through the Redshift Data API.

A Data API batch runs as one transaction, so the day's delete and the COPY commit together
or not at all (Redshift has no COPY FROM STDIN; it pulls the staged files from S3). The job
calls the Data API with WorkgroupName and no secret: it is the `IAMR:<job role>` database
user, holding only what the warehouse bootstrap grants it.
"""

from __future__ import annotations

from .base import LoadResult, StagedDay
from .ddl import check_schema
from .sql import DataApiSession, WarehouseLoadError, literal

__all__ = ["RedshiftLoader", "WarehouseLoadError"]


class RedshiftLoader:
    staged_format = "parquet"

    def __init__(
        self, client, workgroup: str, database: str, copy_role_arn: str,
        poll_seconds: float = 2.0, timeout_seconds: float = 1800.0,
    ) -> None:  # fmt: skip
        self.session = DataApiSession(
            client, workgroup, database,
            poll_seconds=poll_seconds, timeout_seconds=timeout_seconds,
        )  # fmt: skip
        self.copy_role_arn = copy_role_arn

    def check_schema(self) -> None:
        check_schema(self.session)

    def load_day(self, staged: StagedDay) -> LoadResult:
        role = literal(self.copy_role_arn)
        described = self.session.batch(
            [
                # Overlapping loads (duplicate events) must not both keep their rows: the
                # lock serialises them until this batch's transaction ends.
                "lock staging.flights, staging.airports",
                "delete from staging.flights where flight_date = "
                f"{literal(staged.flight_date.isoformat())}",
                f"copy staging.flights from {literal(staged.flights_uri.rstrip('/') + '/')} "
                f"iam_role {role} format as parquet",
                "delete from staging.airports",
                f"copy staging.airports from {literal(staged.airports_uri.rstrip('/') + '/')} "
                f"iam_role {role} format as parquet",
            ]
        )
        rows = [sub.get("ResultRows", -1) for sub in described.get("SubStatements", [])][1:]
        rows += [-1] * (4 - len(rows))
        return LoadResult(flights_deleted=rows[0], flights_loaded=rows[1], airports_loaded=rows[3])
