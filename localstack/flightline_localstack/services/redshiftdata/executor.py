"""Runs a statement on the local PostgreSQL in a background thread, as the Data API runs it
asynchronously: SUBMITTED, then STARTED, then FINISHED or FAILED with Redshift's error text
("DescribeStatement", Redshift Data API reference).

A batch is one transaction: its statements run in order, the first failure rolls all of
them back, the rest are ABORTED ("BatchExecuteStatement", Data API reference). A single
ExecuteStatement runs on its own, committed at once (Redshift's autocommit, "BEGIN").
"""

from __future__ import annotations

import logging
import threading
import time

from flightline_localstack import settings
from flightline_localstack.services.redshiftdata import copy_from_s3, redshift_sql
from flightline_localstack.services.redshiftdata.identity import DatabaseLogin
from flightline_localstack.services.redshiftdata.models import (
    ABORTED,
    FAILED,
    FINISHED,
    STARTED,
    STATEMENTS_LOCK,
    Result,
    Statement,
    SubStatement,
)
from flightline_localstack.services.redshiftdata.workgroups import Workgroup

LOG = logging.getLogger(__name__)
# On AWS each environment has its own namespace, so two deploys never touch the same user.
# Here every emulated namespace shares one PostgreSQL cluster, whose users are cluster-wide
# (glue_crawler, dashboard_reader): statements that change users or grants run one at a time
# (an advisory lock, also taken by tools/local/postgres.py's set-up), so parallel deploys do
# not fail with "tuple concurrently updated", which AWS never sends.
CLUSTER_USERS_LOCK = 7_104_116  # the same key in tools/local/postgres.py
# A loaded machine (seven lanes deploying at once) lost three attempts 0.6 s apart: back off
# to about 8 s in all.
SHARED_CATALOG_ATTEMPTS = 6
_INTEGER_TYPES = {"int2", "int4", "int8", "oid"}
_FLOAT_TYPES = {"float4", "float8"}


class StatementError(RuntimeError):
    """A statement failed; the message is what DescribeStatement reports as Error."""


def start(statement: Statement, workgroup: Workgroup, login: DatabaseLogin) -> None:
    threading.Thread(
        target=_run, args=(statement, workgroup, login), daemon=True,
        name=f"redshift-data-{statement.id}",
    ).start()  # fmt: skip


def _connect(workgroup: Workgroup, database: str, login: DatabaseLogin):
    import psycopg

    try:
        conn = psycopg.connect(
            host=workgroup.login.host, port=workgroup.login.port, dbname=database,
            user=login.user, password=login.password, autocommit=True,
            application_name="flightline-redshift-data", connect_timeout=10,
            options="-c TimeZone=UTC",
        )  # fmt: skip
    except psycopg.OperationalError as error:
        raise StatementError(f"FATAL: {_first_line(str(error))}") from error
    if login.act_as:
        _act_as(conn, login.act_as)
    return conn


def _act_as(conn, user: str) -> None:
    from psycopg import sql

    row = conn.execute(
        "select rolsuper from pg_roles where rolname = %s and rolcanlogin", (user,)
    ).fetchone()
    if row is None:
        conn.close()
        raise StatementError(f'FATAL: user "{user}" does not exist')
    if row[0]:
        conn.close()  # an IAM identity is never a superuser on Redshift Serverless
        raise StatementError(f'FATAL: user "{user}" is a superuser: refused by the emulator')
    conn.execute(sql.SQL("set session authorization {}").format(sql.Literal(user)))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _error_text(error: Exception) -> str:
    import psycopg

    if isinstance(error, psycopg.Error) and error.diag.message_primary:
        return f"ERROR: {error.diag.message_primary}"
    return _first_line(str(error))


def _run(statement: Statement, workgroup: Workgroup, login: DatabaseLogin) -> None:
    with STATEMENTS_LOCK:
        if statement.cancel_requested:  # cancelled before it started
            return
        statement.set(STARTED)
    conn = None
    try:
        conn = _connect(workgroup, statement.database, login)
        statement.connection = conn
        if any(redshift_sql.changes_users_or_grants(sub.query) for sub in statement.subs):
            conn.execute("select pg_advisory_lock(%s)", (CLUSTER_USERS_LOCK,))  # until close
        for attempt in range(1, SHARED_CATALOG_ATTEMPTS + 1):
            try:
                _run_subs(conn, statement, workgroup, login)
                break
            except Exception as error:
                if attempt == SHARED_CATALOG_ATTEMPTS or not _shared_catalog_race(error):
                    raise
                LOG.info("redshift-data %s: PostgreSQL catalog race, again", statement.id)
                time.sleep(0.25 * 2 ** (attempt - 1))
    except Exception as error:  # every failure becomes the statement's Error
        text = str(error) if isinstance(error, StatementError) else _error_text(error)
        if statement.cancel_requested:
            text = "Query cancelled on user's request"
        with STATEMENTS_LOCK:
            for sub in statement.subs:
                if sub.status == STARTED:
                    sub.set(ABORTED if statement.cancel_requested else FAILED, text)
                    sub.ended = time.monotonic()
                elif sub.status not in (FINISHED, FAILED):
                    sub.set(ABORTED)
            statement.set(ABORTED if statement.cancel_requested else FAILED, text)
        failed_sql = next((sub.query for sub in statement.subs if sub.status == FAILED), "")
        LOG.info("redshift-data %s %s: %s (%.200s)", statement.id, statement.status, text,
                 " ".join(failed_sql.split()))  # fmt: skip
    else:
        with STATEMENTS_LOCK:
            statement.set(FINISHED)
    finally:
        statement.connection = None
        if conn is not None:
            conn.close()


def _run_subs(conn, statement: Statement, workgroup: Workgroup, login: DatabaseLogin) -> None:
    if statement.is_batch:
        with conn.transaction():
            for sub in statement.subs:
                _run_one(conn, sub, workgroup, login, in_transaction=True)
    else:
        _run_one(conn, statement.subs[0], workgroup, login, in_transaction=False)


def _shared_catalog_race(error: Exception) -> bool:
    """PostgreSQL's "tuple concurrently updated": two sessions changed one row of a catalog
    that all databases of the cluster share. Each emulated namespace is a database of the
    one local cluster, so two deploys can meet there; on AWS, separate namespaces never do.
    The statement (a batch: its whole transaction, rolled back) is run again."""
    return "tuple concurrently updated" in str(error)


def _run_one(conn, sub: SubStatement, workgroup, login, in_transaction: bool) -> None:
    with STATEMENTS_LOCK:
        sub.set(STARTED)
    sub.started = time.monotonic()
    if in_transaction and (refusal := redshift_sql.refused_in_transaction(sub.query)):
        raise StatementError(refusal)
    if login.act_as and redshift_sql.changes_identity(sub.query):
        # Only a superuser may change the session's user ("SET SESSION AUTHORIZATION").
        raise StatementError("ERROR: permission denied to set session authorization")
    sql = redshift_sql.translate(sub.query)
    if copy_from_s3.is_copy(sql):
        s3 = settings.clients(workgroup.account, workgroup.region).s3
        try:
            rows, result = copy_from_s3.run(conn, sql, workgroup, s3), None
        except copy_from_s3.CopyError as error:
            raise StatementError(str(error)) from error
    else:
        rows, result = _execute(conn, sql)
    with STATEMENTS_LOCK:
        sub.result_rows, sub.result = rows, result
        sub.ended = time.monotonic()
        sub.set(FINISHED)


def _execute(conn, sql: str) -> tuple[int, Result | None]:
    cursor = conn.execute(sql)
    if cursor.description is None:
        return cursor.rowcount, None
    type_names = _type_names(conn, [column.type_code for column in cursor.description])
    columns = [
        {"name": c.name, "label": c.name, "typeName": type_names.get(c.type_code, "unknown")}
        for c in cursor.description
    ]
    records = [
        [_field(value, column["typeName"]) for value, column in zip(row, columns, strict=True)]
        for row in cursor.fetchall()
    ]
    return len(records), Result(columns, records)


def _type_names(conn, oids: list[int]) -> dict[int, str]:
    rows = conn.execute("select oid, typname from pg_type where oid = any(%s)", (oids,))
    return dict(rows.fetchall())


def _field(value, type_name: str) -> dict:
    """A value as GetStatementResult's Field: numbers as long/double, booleans as boolean,
    everything else (dates, numerics, text) as its string ("Field", Data API reference)."""
    if value is None:
        return {"isNull": True}
    if type_name == "bool":
        return {"booleanValue": bool(value)}
    if type_name in _INTEGER_TYPES:
        return {"longValue": int(value)}
    if type_name in _FLOAT_TYPES:
        return {"doubleValue": float(value)}
    return {"stringValue": str(value)}
