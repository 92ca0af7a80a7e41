"""Redshift Serverless loader: Parquet in S3, COPY through the Redshift Data API.

A Data API batch runs as one transaction, so the day's delete and the COPY commit together
or not at all (Redshift has no COPY FROM STDIN; it pulls the staged files from S3).
"""

from __future__ import annotations

import time

from .base import LoadResult, StagedDay
from .ddl import BOOTSTRAP, MIGRATIONS_TABLE, migrations


class WarehouseLoadError(RuntimeError):
    pass


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class RedshiftLoader:
    staged_format = "parquet"

    def __init__(
        self, client, workgroup: str, database: str, copy_role_arn: str,
        poll_seconds: float = 2.0, timeout_seconds: float = 1800.0,
    ) -> None:  # fmt: skip
        self.client = client
        self.workgroup = workgroup
        self.database = database
        self.copy_role_arn = copy_role_arn
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds

    def _wait(self, statement_id: str) -> dict:
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            described = self.client.describe_statement(Id=statement_id)
            status = described["Status"]
            if status == "FINISHED":
                return described
            if status in ("FAILED", "ABORTED"):
                raise WarehouseLoadError(
                    f"Redshift statement {statement_id} {status}: {described.get('Error', '')}"
                )
            if time.monotonic() > deadline:
                self.client.cancel_statement(Id=statement_id)
                raise WarehouseLoadError(f"Redshift statement {statement_id} timed out")
            time.sleep(self.poll_seconds)

    def _batch(self, sqls: list[str]) -> dict:
        started = self.client.batch_execute_statement(
            WorkgroupName=self.workgroup, Database=self.database, Sqls=sqls
        )
        return self._wait(started["Id"])

    def apply_ddl(self) -> None:
        self._batch(list(BOOTSTRAP))
        started = self.client.execute_statement(
            WorkgroupName=self.workgroup,
            Database=self.database,
            Sql=f"select version from {MIGRATIONS_TABLE}",
        )
        self._wait(started["Id"])
        result = self.client.get_statement_result(Id=started["Id"])
        applied = {row[0]["stringValue"] for row in result.get("Records", [])}
        for migration in migrations("redshift"):
            if migration.version not in applied:
                self._batch(
                    [
                        *migration.statements,
                        f"insert into {MIGRATIONS_TABLE} (version, applied_at) "
                        f"values ({_literal(migration.version)}, getdate())",
                    ]
                )

    def load_day(self, staged: StagedDay) -> LoadResult:
        role = _literal(self.copy_role_arn)
        described = self._batch(
            [
                # Overlapping loads (duplicate events) must not both keep their rows: the
                # lock serialises them until this batch's transaction ends.
                "lock staging.flights, staging.airports",
                "delete from staging.flights where flight_date = "
                f"{_literal(staged.flight_date.isoformat())}",
                f"copy staging.flights from {_literal(staged.flights_uri.rstrip('/') + '/')} "
                f"iam_role {role} format as parquet",
                "delete from staging.airports",
                f"copy staging.airports from {_literal(staged.airports_uri.rstrip('/') + '/')} "
                f"iam_role {role} format as parquet",
            ]
        )
        rows = [sub.get("ResultRows", -1) for sub in described.get("SubStatements", [])][1:]
        rows += [-1] * (4 - len(rows))
        return LoadResult(flights_deleted=rows[0], flights_loaded=rows[1], airports_loaded=rows[3])
