"""The staging DDL: numbered SQL files, rendered per dialect, each applied once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from string import Template

# Read through importlib.resources: on Glue the package is a zip (--extra-py-files).
DDL_DIR = resources.files(__package__) / "ddl"
MIGRATIONS_TABLE = "staging.schema_migrations"

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
POSTGRES_EXTRAS = (
    "create index if not exists flights_flight_date_idx on staging.flights (flight_date)",
)


@dataclass(frozen=True)
class Migration:
    version: str
    statements: tuple[str, ...]


def _statements(sql: str) -> tuple[str, ...]:
    without_comments = re.sub(r"--[^\n]*", "", sql)
    return tuple(s.strip() for s in without_comments.split(";") if s.strip())


def migrations(dialect: str) -> list[Migration]:
    options = TABLE_OPTIONS[dialect]
    result = []
    files = [f for f in DDL_DIR.iterdir() if f.name.startswith("V") and f.name.endswith(".sql")]
    for path in sorted(files, key=lambda f: f.name):
        rendered = Template(path.read_text()).substitute(options)
        statements = _statements(rendered)
        if dialect == "postgres" and path.name.startswith("V001__"):
            statements += POSTGRES_EXTRAS
        result.append(Migration(path.name.split("__", 1)[0], statements))
    return result


BOOTSTRAP = (
    "create schema if not exists staging",
    f"create table if not exists {MIGRATIONS_TABLE} "
    "(version varchar(32) not null, applied_at timestamp not null)",
)
