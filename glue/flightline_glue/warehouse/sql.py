"""Two ways to run SQL on the warehouse with one shape: PostgreSQL (psycopg) and the Redshift
Data API. The bootstrap, the migrations and the schema check speak only to this interface."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol


class WarehouseLoadError(RuntimeError):
    """A warehouse statement failed; the message carries the warehouse's own error."""


class SqlSession(Protocol):
    dialect: str  # "postgres" | "redshift"

    def run(self, statements: Sequence[str]) -> None:
        """Run the statements in ONE transaction."""

    def run_alone(self, statement: str) -> None:
        """Run one statement outside any transaction block, committed at once (for what
        Redshift refuses in one, e.g. ALTER COLUMN ... TYPE)."""

    def query(self, sql: str) -> list[tuple]:
        """Rows of one query."""


class PostgresSession:
    dialect = "postgres"

    def __init__(self, conninfo: str, application_name: str = "flightline") -> None:
        self.conninfo = conninfo
        self.application_name = application_name

    def _connect(self):
        import psycopg

        return psycopg.connect(self.conninfo, application_name=self.application_name)

    def run(self, statements: Sequence[str]) -> None:
        import psycopg

        try:
            with self._connect() as conn, conn.transaction():
                for statement in statements:
                    conn.execute(statement)
        except psycopg.Error as error:
            raise WarehouseLoadError(f"PostgreSQL: {error}") from error

    def run_alone(self, statement: str) -> None:
        import psycopg

        try:
            with self._connect() as conn:
                conn.autocommit = True
                conn.execute(statement)
        except psycopg.Error as error:
            raise WarehouseLoadError(f"PostgreSQL: {error}") from error

    def query(self, sql: str) -> list[tuple]:
        import psycopg

        try:
            with self._connect() as conn:
                return conn.execute(sql).fetchall()
        except psycopg.Error as error:
            raise WarehouseLoadError(f"PostgreSQL: {error}") from error


def _value(field: dict[str, Any]) -> Any:
    if field.get("isNull"):
        return None
    for key in ("stringValue", "longValue", "doubleValue", "booleanValue"):
        if key in field:
            return field[key]
    return None


class DataApiSession:
    """Redshift Serverless through the Data API. Without `secret_arn` the caller's IAM role
    logs in as the `IAMR:<role-name>` database user; with it, as the secret's user (the
    namespace's managed admin secret for the bootstrap).

    A batch (BatchExecuteStatement) runs as one transaction ("Running SQL statements" in
    the Amazon Redshift Management Guide, Data API section)."""

    dialect = "redshift"

    def __init__(
        self, client, workgroup: str, database: str, *, secret_arn: str | None = None,
        poll_seconds: float = 2.0, timeout_seconds: float = 1800.0,
    ) -> None:  # fmt: skip
        self.client = client
        self.workgroup = workgroup
        self.database = database
        self.secret_arn = secret_arn
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds

    def _target(self) -> dict[str, str]:
        target = {"WorkgroupName": self.workgroup, "Database": self.database}
        if self.secret_arn:
            target["SecretArn"] = self.secret_arn
        return target

    def wait(self, statement_id: str) -> dict:
        """Poll DescribeStatement until the statement ends: first after 0.1 s, then twice as
        long each time up to `poll_seconds` (most of the job's statements end in well under a
        second; a long COPY is still polled only every `poll_seconds`)."""
        deadline = time.monotonic() + self.timeout_seconds
        pause = min(0.1, self.poll_seconds)
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
            time.sleep(pause)
            pause = min(pause * 2, self.poll_seconds)

    def batch(self, statements: Sequence[str]) -> dict:
        started = self.client.batch_execute_statement(**self._target(), Sqls=list(statements))
        return self.wait(started["Id"])

    def run(self, statements: Sequence[str]) -> None:
        self.batch(statements)

    def run_alone(self, statement: str) -> None:
        # ExecuteStatement: one statement, autocommitted; a batch would be a transaction.
        started = self.client.execute_statement(**self._target(), Sql=statement)
        self.wait(started["Id"])

    def query(self, sql: str) -> list[tuple]:
        started = self.client.execute_statement(**self._target(), Sql=sql)
        self.wait(started["Id"])
        rows: list[tuple] = []
        token = None
        while True:
            page = self.client.get_statement_result(
                Id=started["Id"], **({"NextToken": token} if token else {})
            )
            rows += [tuple(_value(f) for f in record) for record in page.get("Records", [])]
            token = page.get("NextToken")
            if not token:
                return rows


def statement_seconds(described: dict) -> float:
    """How long a Data API statement (a batch: all of it) ran: DescribeStatement's `Duration`,
    in nanoseconds (Amazon Redshift Data API Reference, "DescribeStatement")."""
    return max(float(described.get("Duration") or 0), 0.0) / 1e9


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def stored_user_name(dialect: str, name: str) -> str:
    """A user name as the warehouse stores it, for comparing with `pg_user.usename` or
    giving as a literal: Redshift folds delimited identifiers, user names included, to lower
    case ("Names and identifiers", Amazon Redshift Database Developer Guide), so
    `create user "IAMR:x"` creates `iamr:x`. PostgreSQL keeps the case."""
    return name.lower() if dialect == "redshift" else name
