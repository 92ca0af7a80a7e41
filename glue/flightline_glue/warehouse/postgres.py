"""PostgreSQL loader (local stand-in for Redshift): streamed COPY FROM STDIN."""

from __future__ import annotations

import time

import psycopg
from psycopg.copy import LibpqWriter
from psycopg.generators import copy_to

from ..contract import STAGED_AIRPORT_COLUMNS, STAGED_FLIGHT_COLUMNS
from ..storage import Storage
from .base import LoadResult, StagedAirports, StagedDay
from .ddl import check_schema
from .load_runs import record_statements
from .sql import PostgresSession

COPY_CHUNK_BYTES = 128 * 1024
# Serialises loads. Under READ COMMITTED two overlapping delete-then-COPY transactions do
# not see each other's new rows, so both copies would survive (duplicate events for one
# date do overlap); the airports table, replaced whole by every load, would double too.
# ACCESS EXCLUSIVE is what Redshift's LOCK takes: it blocks readers (dbt, the crawlers) until
# the load commits, so locally they wait as they would on Redshift ("LOCK", Amazon Redshift
# Database Developer Guide).
_LOCK_DAY_TABLES = "lock table staging.flights, staging.airports in access exclusive mode"
_LOCK_AIRPORTS = "lock table staging.airports in access exclusive mode"


class _FlushingWriter(LibpqWriter):
    """COPY writer with backpressure. On Linux psycopg lets libpq queue whatever the server
    has not read yet, so a big load would sit in client memory; flushing each chunk keeps
    memory flat however many rows a day has (psycopg is pinned: `copy_to` is its own)."""

    def write(self, data) -> None:
        view = memoryview(data)
        for start in range(0, len(view), COPY_CHUNK_BYTES):
            self.connection.wait(copy_to(self._pgconn, view[start : start + COPY_CHUNK_BYTES]))


class PostgresLoader:
    staged_format = "csv"

    def __init__(self, conninfo: str, storage: Storage) -> None:
        self.conninfo = conninfo
        self.storage = storage
        self.session = PostgresSession(conninfo, application_name="flightline-glue")

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(self.conninfo, application_name="flightline-glue")

    def check_schema(self) -> None:
        check_schema(self.session)

    def _copy(self, cursor: psycopg.Cursor, table: str, columns, files) -> int:
        sql = f"copy {table} ({', '.join(columns)}) from stdin with (format csv)"
        with cursor.copy(sql, writer=_FlushingWriter(cursor)) as copy:
            for uri in files:
                with self.storage.open_binary(uri) as stream:
                    while chunk := stream.read(COPY_CHUNK_BYTES):
                        copy.write(chunk)
        return cursor.rowcount

    def load_day(self, staged: StagedDay) -> LoadResult:
        # One transaction: readers see the old day or the new day, never half, and a failure
        # anywhere (a bad file, a lost connection) leaves the previous rows in place.
        # The local warehouse reports no statement durations: the transaction's time as the
        # client sees it stands for the Data API's `Duration`.
        started = time.monotonic()
        with self._connect() as conn, conn.transaction(), conn.cursor() as cursor:
            cursor.execute(_LOCK_DAY_TABLES)
            cursor.execute(
                "delete from staging.flights where flight_date = %s", (staged.flight_date,)
            )
            deleted = cursor.rowcount
            loaded = self._copy(
                cursor, "staging.flights", STAGED_FLIGHT_COLUMNS, staged.flight_files
            )
            cursor.execute("delete from staging.airports")
            airports = self._copy(
                cursor, "staging.airports", STAGED_AIRPORT_COLUMNS, staged.airport_files
            )
            for statement in record_statements(staged.run, "postgres") if staged.run else []:
                cursor.execute(statement)
        return LoadResult(deleted, loaded, airports, round(time.monotonic() - started, 3))

    def load_airports(self, staged: StagedAirports) -> int:
        with self._connect() as conn, conn.transaction(), conn.cursor() as cursor:
            # A day's load replaces the airports table too: it waits for this one.
            cursor.execute(_LOCK_AIRPORTS)
            cursor.execute("delete from staging.airports")
            return self._copy(
                cursor, "staging.airports", STAGED_AIRPORT_COLUMNS, staged.airport_files
            )
