"""The staging DDL: numbered SQL files, rendered per dialect, each applied once and recorded.

Migrations run at deploy time (tools/deploy on AWS) and by the local tools (tools/local/postgres),
never inside a load: the job's database user may not create anything outside the staging
tables it owns. The job only checks that the warehouse has every migration it needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from string import Template

from .sql import SqlSession, WarehouseLoadError, literal, stored_user_name

# Read through importlib.resources: on Glue the package is a zip (--extra-py-files).
DDL_DIR = resources.files(__package__) / "ddl"
MIGRATIONS_TABLE = "staging.schema_migrations"
# What to run when the warehouse is behind (docs/warehouse.md).
SETUP_HINT = (
    "apply the warehouse bootstrap and staging migrations: locally `make pg-setup` "
    "(tools/local/postgres.py); on AWS `make deploy ENV=<env> STACKS=warehouse` "
    '(docs/warehouse.md, "Warehouse bootstrap")'
)

# Redshift physical design; PostgreSQL has no such clauses (its own indexes live in
# POSTGRES_EXTRAS). Flights are sorted by date so a day's delete and the dbt
# incremental scan only touch that day's blocks; airports are tiny: a copy on every node.
TABLE_OPTIONS = {
    "redshift": {
        "flights_table_options": "diststyle even compound sortkey (flight_date)",
        "airports_table_options": "diststyle all sortkey (airport_id)",
    },
    "postgres": {"flights_table_options": "", "airports_table_options": ""},
}
# The dialect's semi-structured type, for the columns that keep a file's extra columns
# ("SUPER type", Amazon Redshift Database Developer Guide; jsonb is PostgreSQL's nearest).
COLUMN_TYPES = {"redshift": {"semi_structured": "super"}, "postgres": {"semi_structured": "jsonb"}}
POSTGRES_EXTRAS = (
    "create index if not exists flights_flight_date_idx on staging.flights (flight_date)",
)
NOW = {"redshift": "getdate()", "postgres": "now() at time zone 'utc'"}
# First line of a migration whose statements may not run in a transaction block on Redshift
# (e.g. ALTER COLUMN ... TYPE): each statement then runs on its own, and the version is
# recorded after the last one.
NO_TRANSACTION = "-- flightline: no-transaction"


class WarehouseNotReady(RuntimeError):
    """The warehouse lacks the staging schema version this job needs; says what to run."""


@dataclass(frozen=True)
class Migration:
    version: str
    statements: tuple[str, ...]
    transactional: bool = True


def statements_of(sql: str) -> tuple[str, ...]:
    without_comments = re.sub(r"--[^\n]*", "", sql)
    return tuple(s.strip() for s in without_comments.split(";") if s.strip())


def migrations(dialect: str) -> list[Migration]:
    options = {**TABLE_OPTIONS[dialect], **COLUMN_TYPES[dialect]}
    result = []
    files = [f for f in DDL_DIR.iterdir() if f.name.startswith("V") and f.name.endswith(".sql")]
    for path in sorted(files, key=lambda f: f.name):
        text = path.read_text()
        statements = statements_of(Template(text).substitute(options))
        if dialect == "postgres" and path.name.startswith("V001__"):
            statements += POSTGRES_EXTRAS
        transactional = not text.startswith(NO_TRANSACTION)
        result.append(Migration(path.name.split("__", 1)[0], statements, transactional))
    return result


def required_versions() -> list[str]:
    return [m.version for m in migrations("postgres")]


def _as(user: str, statements, dialect: str) -> list[str]:
    # The loader owns what it loads into (it deletes, copies and locks): create the tables
    # as that user. An admin (superuser) may take a user's identity for the transaction.
    # The name is a literal, which Redshift does not fold: give the stored (folded) name.
    return [
        f"set session authorization {literal(stored_user_name(dialect, user))}",
        *statements,
        "set session authorization default",
    ]


def apply_migrations(session: SqlSession, owner: str) -> list[str]:
    """Apply the migrations not yet recorded, each in one transaction, as `owner` (the
    loader's database user; the session must be an admin's). Returns the versions applied.
    The staging schema must exist (the warehouse bootstrap creates it)."""
    session.run(
        _as(
            owner,
            [
                f"create table if not exists {MIGRATIONS_TABLE} "
                "(version varchar(32) not null, applied_at timestamp not null)"
            ],
            session.dialect,
        )
    )
    applied = {row[0] for row in session.query(f"select version from {MIGRATIONS_TABLE}")}
    done = []
    for migration in migrations(session.dialect):
        if migration.version in applied:
            continue
        record = (
            f"insert into {MIGRATIONS_TABLE} (version, applied_at) "
            f"values ({literal(migration.version)}, {NOW[session.dialect]})"
        )
        if migration.transactional:
            session.run(_as(owner, [*migration.statements, record], session.dialect))
        else:
            # Each statement alone (ExecuteStatement), outside any transaction block: a Data
            # API batch is one transaction ("BatchExecuteStatement", Redshift Data API
            # reference), in which Redshift refuses ALTER COLUMN ... TYPE ("ALTER TABLE").
            # Alone there is no `set session authorization` before it: the admin runs it
            # (a superuser may alter any table, "ALTER TABLE"); ownership does not change.
            # Fail closed: stop at the first failing statement, record nothing; every
            # statement of such a migration must be safe to run again.
            for statement in migration.statements:
                session.run_alone(statement)
            session.run(_as(owner, [record], session.dialect))
        done.append(migration.version)
    return done


def check_schema(session: SqlSession) -> None:
    """Raise WarehouseNotReady unless every migration this job knows is recorded."""
    try:
        applied = {row[0] for row in session.query(f"select version from {MIGRATIONS_TABLE}")}
    except WarehouseLoadError as error:
        raise WarehouseNotReady(
            f"the warehouse has no staging schema this job can use ({error}): {SETUP_HINT}"
        ) from error
    missing = [v for v in required_versions() if v not in applied]
    if missing:
        raise WarehouseNotReady(
            f"the warehouse's staging schema is behind: this job needs migration(s) "
            f"{', '.join(missing)}, recorded are {', '.join(sorted(applied)) or 'none'}: "
            f"{SETUP_HINT}"
        )
