"""The warehouse bootstrap on the real local PostgreSQL: each principal gets exactly what it
needs, and applying it again changes nothing."""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor

import psycopg
from flightline_glue.warehouse.bootstrap import BOOTSTRAP_TABLE, bootstrap_files
from flightline_glue.warehouse.ddl import MIGRATIONS_TABLE, required_versions

from tests.fixtures.postgres import throwaway_database
from tools.local import postgres as localpg

# Everything the bootstrap decides, as PostgreSQL records it.
STATE_QUERIES = {
    "roles": "select rolname, rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, rolbypassrls "
    "from pg_roles where rolname not like 'pg\\_%' order by rolname",
    "schemas": "select nspname, nspowner::regrole::text, nspacl::text from pg_namespace "
    "where nspname not like 'pg\\_%' and nspname <> 'information_schema' order by nspname",
    "tables": "select n.nspname, c.relname, c.relowner::regrole::text, c.relacl::text "
    "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
    "where n.nspname in ('staging', 'public') order by 1, 2",
    "default_privileges": "select defaclrole::regrole::text, defaclnamespace::regnamespace::text, "
    "defaclobjtype, defaclacl::text from pg_default_acl order by 1, 2, 3",
    "database": "select datacl::text from pg_database where datname = current_database()",
    "records": f"select version, applied_at from {BOOTSTRAP_TABLE} union all "
    f"select version, applied_at from {MIGRATIONS_TABLE} order by 1",
}


def state(info: localpg.ConnInfo) -> dict[str, list[tuple]]:
    with psycopg.connect(info.url) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in STATE_QUERIES.items()}


def fails(info: localpg.ConnInfo, sql: str) -> str | None:
    """The error the statement gets as `info`'s user, None when it succeeds (rolled back)."""
    with psycopg.connect(info.url) as conn:
        try:
            conn.execute(sql)
        except psycopg.Error as error:
            return type(error).__name__
        finally:
            conn.rollback()
    return None


def test_applying_the_bootstrap_twice_changes_nothing(pg_info: localpg.ConnInfo) -> None:
    with throwaway_database(pg_info, "test_boot", set_up=False) as db:
        first = localpg.set_up(db)
        after_first = state(db)
        second = localpg.set_up(db)
        assert state(db) == after_first
    versions = [f.version for f in bootstrap_files()]
    assert f"bootstrap applied: {', '.join(versions)}" in first
    assert f"migrations applied: {', '.join(required_versions())}" in first
    assert "bootstrap applied: none (up to date)" in second
    assert "migrations applied: none (up to date)" in second
    assert "users created: none" in second


def test_the_clusters_logins_leave_the_database_to_the_deploy(pg_info: localpg.ConnInfo) -> None:
    """`postgres start` makes the users a namespace has and no more: the `local` env's first
    deploy then applies the bootstrap and migrations through the emulated Data API."""
    with throwaway_database(pg_info, "test_logins", set_up=False) as db:
        localpg.ensure_logins(db)
        with psycopg.connect(db.url) as conn:
            tables = conn.execute(
                "select count(*) from pg_tables where schemaname in ('public', 'staging')"
            ).fetchone()[0]
            schemas = conn.execute(
                "select count(*) from pg_namespace where nspname = 'staging'"
            ).fetchone()[0]
        assert (tables, schemas) == (0, 0)
        for principal in ("loader", "dbt", "crawler", "reader"):
            with psycopg.connect(db.login(principal).url) as conn:  # its password logs in
                assert conn.execute("select current_user").fetchone()[0] == db.login(principal).user
        assert fails(db.login("loader"), "create schema staging") == "InsufficientPrivilege"


def test_principals_are_unprivileged_logins_named_as_on_redshift(
    pg_database: localpg.ConnInfo,
) -> None:
    roles = {r[0]: r[1:] for r in state(pg_database)["roles"]}
    for principal in ("loader", "dbt", "crawler", "reader"):
        name = pg_database.login(principal).user
        # not superuser, cannot create databases or roles, can log in, no RLS bypass
        assert roles[name] == (False, False, False, True, False), name
    # Folded to lower case as Redshift stores `IAMR:` users ("Names and identifiers"): the
    # users the Data API emulator acts as for the job's role, and dbt's login.
    assert pg_database.login("loader").user == "iamr:flightline-local-load-job"
    assert pg_database.login("dbt").user == "iamr:flightline-local-dbt"
    assert pg_database.login("crawler").user == "glue_crawler"


def test_each_principal_holds_exactly_what_it_needs(pg_database: localpg.ConnInfo) -> None:
    loader, dbt, crawler = (pg_database.login(p) for p in ("loader", "dbt", "crawler"))
    # The loader owns staging: it replaces rows and creates tables there, nowhere else.
    assert fails(loader, "delete from staging.flights") is None
    assert fails(loader, "lock staging.flights, staging.airports") is None
    assert fails(loader, "create table staging.scratch (x int)") is None
    assert fails(loader, "create schema analytics_marts") == "InsufficientPrivilege"
    assert fails(loader, "create table public.scratch (x int)") == "InsufficientPrivilege"
    # dbt reads staging, cannot change it, and creates (so owns) its analytics schemas.
    assert fails(dbt, "select count(*) from staging.flights") is None
    assert fails(dbt, "delete from staging.flights") == "InsufficientPrivilege"
    assert fails(dbt, "create table staging.scratch (x int)") == "InsufficientPrivilege"
    assert fails(dbt, "create schema analytics_scratch") is None
    # The crawlers read staging's tables and nothing more.
    assert fails(crawler, "select count(*) from staging.airports") is None
    assert fails(crawler, "insert into staging.airports select * from staging.airports") == (
        "InsufficientPrivilege"
    )
    assert fails(crawler, "create schema crawler_scratch") == "InsufficientPrivilege"
    # The dashboards' reader (B002) reads what dbt builds in the marts, nothing else.
    reader = pg_database.login("reader")
    with psycopg.connect(dbt.url, autocommit=True) as conn:
        conn.execute("create table analytics_marts.built_later as select 1 as x")
        conn.execute("create schema analytics_other")
        conn.execute("create table analytics_other.t as select 1 as x")
    assert fails(reader, "select x from analytics_marts.built_later") is None
    assert fails(reader, "select x from analytics_other.t") == "InsufficientPrivilege"
    assert fails(reader, "select count(*) from staging.flights") == "InsufficientPrivilege"
    assert fails(reader, "delete from analytics_marts.built_later") == "InsufficientPrivilege"
    assert fails(reader, "create table analytics_marts.mine (x int)") == "InsufficientPrivilege"


def test_tables_the_loader_creates_later_stay_readable(pg_database: localpg.ConnInfo) -> None:
    loader, dbt, crawler = (pg_database.login(p) for p in ("loader", "dbt", "crawler"))
    with psycopg.connect(loader.url, autocommit=True) as conn:
        conn.execute("create table staging.later (x int)")
    assert fails(dbt, "select * from staging.later") is None
    assert fails(crawler, "select * from staging.later") is None


def test_an_execution_name_of_80_characters_fits_run_id(pg_database: localpg.ConnInfo) -> None:
    run_id = "x" * 80  # Step Functions' longest execution name
    with psycopg.connect(pg_database.login("loader").url, autocommit=True) as conn:
        conn.execute(
            "insert into staging.airports values (1, 'c', 's', 'n', 'dim/airports.csv', %s, now())",
            (run_id,),
        )
        stored = conn.execute("select run_id from staging.airports").fetchone()
    assert stored == (run_id,)


def test_databases_set_up_at_once_do_not_race_on_the_shared_roles(
    pg_info: localpg.ConnInfo,
) -> None:
    # Parallel end-to-end lanes each get a database at the same time; the roles are shared.
    with contextlib.ExitStack() as stack:
        databases = [
            stack.enter_context(throwaway_database(pg_info, f"test_race{i}", set_up=False))
            for i in range(4)
        ]
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(localpg.set_up, databases))
        assert all("migrations applied: V001" in r for r in results), results
