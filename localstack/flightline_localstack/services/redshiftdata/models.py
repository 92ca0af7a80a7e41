"""Redshift Data API statements as the emulator keeps them, in LocalStack's stores.

One store per account and region: `redshiftdata_stores[account][region]`. A statement is
what DescribeStatement reports; a batch's sub-statements are `<id>:<n>` (1-based), as the
Data API names them ("DescribeStatement", Redshift Data API reference).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from localstack.services.stores import AccountRegionBundle, BaseStore, LocalAttribute

# DescribeStatement's StatusString values ("DescribeStatement", Redshift Data API reference).
SUBMITTED, STARTED, FINISHED, FAILED, ABORTED = (
    "SUBMITTED",
    "STARTED",
    "FINISHED",
    "FAILED",
    "ABORTED",
)
ENDED = {FINISHED, FAILED, ABORTED}


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Result:
    """Rows of a statement that returned a result set: GetStatementResult's answer."""

    columns: list[dict[str, Any]]
    records: list[list[dict[str, Any]]]


@dataclass
class SubStatement:
    id: str
    query: str
    status: str = SUBMITTED
    error: str | None = None
    result_rows: int = -1
    result: Result | None = None
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)
    started: float | None = None
    ended: float | None = None

    def set(self, status: str, error: str | None = None) -> None:
        self.status, self.updated_at = status, _now()
        if error is not None:
            self.error = error

    @property
    def duration_ns(self) -> int:
        if self.started is None or self.ended is None:
            return -1
        return int((self.ended - self.started) * 1e9)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "Id": self.id,
            "QueryString": self.query,
            "Status": self.status,
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at,
            "Duration": self.duration_ns,
            "ResultRows": self.result_rows,
            "ResultSize": 0,
            "HasResultSet": self.result is not None,
            "RedshiftQueryId": 0,
        }
        if self.error:
            data["Error"] = self.error
        return data


@dataclass
class Statement:
    """One ExecuteStatement (one sub-statement, shown flat) or BatchExecuteStatement."""

    id: str
    workgroup: str
    database: str
    subs: list[SubStatement]
    is_batch: bool
    secret_arn: str | None = None
    db_user: str | None = None
    status: str = SUBMITTED
    error: str | None = None
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)
    cancel_requested: bool = False
    # The running statement's connection (CancelStatement cancels its query).
    connection: Any = None

    def set(self, status: str, error: str | None = None) -> None:
        self.status, self.updated_at = status, _now()
        if error is not None:
            self.error = error

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    def sub(self, statement_id: str) -> SubStatement | None:
        if statement_id == self.id and not self.is_batch:
            return self.subs[0]
        return next((s for s in self.subs if s.id == statement_id), None)

    def as_dict(self) -> dict[str, Any]:
        durations = [s.duration_ns for s in self.subs if s.duration_ns >= 0]
        data: dict[str, Any] = {
            "Id": self.id,
            "Status": self.status,
            "WorkgroupName": self.workgroup,
            "Database": self.database,
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at,
            "Duration": sum(durations) if durations else -1,
            "RedshiftPid": 0,
            "RedshiftQueryId": 0,
        }
        if self.secret_arn:
            data["SecretArn"] = self.secret_arn
        if self.db_user:
            data["DbUser"] = self.db_user
        if self.error:
            data["Error"] = self.error
        if self.is_batch:
            data["SubStatements"] = [s.as_dict() for s in self.subs]
            data["HasResultSet"] = any(s.result is not None for s in self.subs)
            data["ResultRows"] = -1
            data["ResultSize"] = 0
        else:
            only = self.subs[0]
            data["QueryString"] = only.query
            data["HasResultSet"] = only.result is not None
            data["ResultRows"] = only.result_rows
            data["ResultSize"] = 0
        return data


class RedshiftDataStore(BaseStore):
    # statement id -> the statement
    statements: dict[str, Statement] = LocalAttribute(default=dict)

    def find(self, statement_id: str) -> tuple[Statement, SubStatement | None] | None:
        """The statement for an id (`<id>` or a batch's `<id>:<n>`) and the sub-statement."""
        parent = self.statements.get(statement_id.split(":", 1)[0])
        if parent is None:
            return None
        return parent, parent.sub(statement_id)


# Held while a statement's status changes: DescribeStatement never sees half an update.
STATEMENTS_LOCK = threading.RLock()

# botocore's endpoint data lists no regions under "redshift-data" (its endpoint prefix), so
# LocalStack's region check would refuse every region: the gateway has checked the request.
redshiftdata_stores = AccountRegionBundle("redshift-data", RedshiftDataStore, validate=False)
