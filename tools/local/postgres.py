"""A throwaway PostgreSQL 15 cluster on 127.0.0.1: the local stand-in for Redshift.

`python -m tools.local postgres start|set-up|stop|destroy|status|env|url [--as PRINCIPAL]`.
Start is idempotent: it creates the cluster on first use (initdb as the `postgres` user when
run as root, since initdb refuses root), reuses a running one, and makes sure the `flightline`
database and the cluster's logins exist, as a new Redshift Serverless namespace has its
database: the bootstrap and the staging migrations are left to the `local` environment's
deploy, through the emulated Redshift Data API, exactly as on AWS. `set-up` applies them
directly (flightline_glue/warehouse/bootstrap.py), for the developer commands that load
PostgreSQL without a deploy (`make run`, dbt targets). The cluster owner is the admin; the
job, dbt and the crawlers log in as their own NOSUPERUSER roles named as Redshift stores them
(the `local` environment's `iamr:` users, folded to lower case, `glue_crawler` and
`dashboard_reader`), each with only the bootstrap's grants: the same users the Redshift Data
API emulator acts as for the job's IAM role and dbt logs in as. Passwords are generated per
cluster and kept beside it (`logins/<principal>` for each role).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from tools.local.process import (
    HOST,
    ServiceError,
    env_port,
    port_open,
    service_lock,
    state_root,
)

PG_DIR = state_root() / "postgres"
DATA_DIR = PG_DIR / "data"
PASSWORD_FILE = PG_DIR / "password"
LOG_FILE = PG_DIR / "postgres.log"
PORT = env_port("FLIGHTLINE_PG_PORT", 54329)
USER = "flightline"
DATABASE = "flightline"
LOGINS_DIR = PG_DIR / "logins"
# Named as the `local` environment's principals would be on Redshift.
PROJECT, LOCAL_ENV = "flightline", "local"
PRINCIPAL_KEYS = ("loader", "dbt", "crawler", "reader")
PG_BIN_CANDIDATES = ("/usr/lib/postgresql/15/bin",)


class LocalPgError(ServiceError):
    """The local cluster cannot be created or started; the message says what to do."""


@dataclass(frozen=True)
class ConnInfo:
    host: str
    port: int
    user: str
    password: str
    dbname: str

    @property
    def url(self) -> str:
        user, password = quote(self.user, safe=""), quote(self.password, safe="")
        return f"postgresql://{user}:{password}@{self.host}:{self.port}/{self.dbname}"

    def login(self, principal: str) -> ConnInfo:
        """The same database as one of the principals (loader, dbt, crawler, reader)."""
        name = principals().names()[principal]
        return ConnInfo(self.host, self.port, name, login_password(principal), self.dbname)

    def env(self) -> dict[str, str]:
        """libpq variables: psql, psycopg and the dbt profile all read these."""
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.dbname,
        }


def _pg_binary(name: str) -> str:
    for directory in PG_BIN_CANDIDATES:
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise LocalPgError(
        f"PostgreSQL server binary '{name}' not found. Install PostgreSQL 15 "
        "(Debian/Ubuntu: apt-get install -y postgresql) and run again."
    )


def _as_cluster_owner(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; the cluster belongs to the postgres user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _run(cmd: list[str], what: str) -> None:
    result = subprocess.run(_as_cluster_owner(cmd), capture_output=True, text=True)
    if result.returncode != 0:
        raise LocalPgError(f"{what} failed ({' '.join(cmd)}):\n{result.stdout}{result.stderr}")


def _chown_to_owner(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user="postgres", group="postgres")


def _init_cluster() -> None:
    PG_DIR.mkdir(parents=True, exist_ok=True)
    # The postgres user must traverse it to reach data/; the password file stays 0600.
    os.chmod(PG_DIR, 0o755)  # noqa: S103
    PASSWORD_FILE.write_text(secrets.token_urlsafe(24))
    os.chmod(PASSWORD_FILE, 0o600)
    # initdb reads the password from a file the cluster owner can read; removed right after.
    pwfile = PG_DIR / "initdb-pwfile"
    pwfile.write_text(PASSWORD_FILE.read_text())
    os.chmod(pwfile, 0o600)
    _chown_to_owner(pwfile)
    DATA_DIR.mkdir(mode=0o700)
    _chown_to_owner(DATA_DIR)
    try:
        _run(
            [
                _pg_binary("initdb"),
                "--pgdata",
                str(DATA_DIR),
                "--username",
                USER,
                "--pwfile",
                str(pwfile),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
            ],
            "initdb",
        )
    finally:
        pwfile.unlink(missing_ok=True)


def principals():
    """The `local` environment's principals as Redshift stores them: `create user
    "IAMR:x"` creates `iamr:x` ("Names and identifiers"), and the Data API emulator acts as
    that folded user; PostgreSQL keeps case, so the names are given folded here."""
    from flightline_glue.warehouse.bootstrap import Principals
    from flightline_glue.warehouse.sql import stored_user_name

    names = Principals.for_env(PROJECT, LOCAL_ENV).names()
    return Principals(**{key: stored_user_name("redshift", name) for key, name in names.items()})


def _fold_earlier_role_names(info: ConnInfo) -> None:
    """Clusters made before the names were folded have `IAMR:...` roles: rename them (grants,
    ownership and SCRAM passwords stay), so one set of users exists."""
    import psycopg
    from flightline_glue.warehouse.bootstrap import Principals
    from psycopg import sql

    admin = ConnInfo(info.host, info.port, info.user, info.password, "postgres")
    with psycopg.connect(admin.url, autocommit=True) as conn:
        for name in Principals.for_env(PROJECT, LOCAL_ENV).names().values():
            folded = name.lower()
            roles = {
                row[0]
                for row in conn.execute(
                    "select rolname from pg_roles where rolname in (%s, %s)", (name, folded)
                )
            }
            if name != folded and roles == {name}:
                conn.execute(
                    sql.SQL("alter role {} rename to {}").format(
                        sql.Identifier(name), sql.Identifier(folded)
                    )
                )


def login_password(principal: str) -> str:
    """The principal's generated password (created on first use, 0600)."""
    path = LOGINS_DIR / principal
    if not path.exists():
        LOGINS_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        os.chmod(path, 0o600)
    return path.read_text().strip()


# Roles belong to the whole cluster: databases set up at once (parallel test lanes) would
# race on them ("tuple concurrently updated").
_SET_UP_LOCK = threading.Lock()


def set_up(info: ConnInfo) -> str:
    """Bootstrap and migrate `info`'s database as the admin; idempotent. Returns what it did.
    The roles get their passwords when created (the password files and the cluster live and
    go together in the state dir)."""
    from flightline_glue.warehouse.bootstrap import set_up_warehouse

    with _users_turn(info) as (session, passwords):
        result = set_up_warehouse(session, principals(), info.dbname, passwords)
    return result.describe()


def ensure_logins(info: ConnInfo) -> list[str]:
    """The `local` environment's users with their generated passwords, and nothing in any
    database: users belong to the cluster, the bootstrap's grants and tables to a database
    (left to the deploy's Data API, or `set_up`). Returns the users created."""
    from flightline_glue.warehouse.bootstrap import ensure_principals

    with _users_turn(info) as (session, passwords):
        return ensure_principals(session, principals(), passwords)


@contextlib.contextmanager
def _users_turn(info: ConnInfo) -> Iterator[tuple[object, dict[str, str]]]:
    """An admin session on `info`'s database while this process has the cluster's users to
    itself, with the principals' passwords."""
    from flightline_glue.warehouse.sql import PostgresSession

    passwords = {key: login_password(key) for key in PRINCIPAL_KEYS}
    with _SET_UP_LOCK, _cluster_users_lock(info):
        _fold_earlier_role_names(info)
        yield PostgresSession(info.url, "flightline-bootstrap"), passwords


# Users are cluster-wide: set-ups of different databases (parallel test workers, the emulated
# Data API's deploys) change the same ones, so they take turns on this advisory lock (the
# same key in localstack/.../redshiftdata/executor.py).
CLUSTER_USERS_LOCK = 7_104_116


@contextlib.contextmanager
def _cluster_users_lock(info: ConnInfo) -> Iterator[None]:
    import psycopg  # imported late: `make pg-up` must work before the venv has it

    with psycopg.connect(info.url, autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(%s)", (CLUSTER_USERS_LOCK,))
        yield  # released when the connection closes


def is_running() -> bool:
    return (DATA_DIR / "postmaster.pid").exists() and port_open(PORT)


def conninfo() -> ConnInfo:
    if not PASSWORD_FILE.exists():
        raise LocalPgError("The local cluster does not exist yet: run `make pg-up`.")
    return ConnInfo(HOST, PORT, USER, PASSWORD_FILE.read_text().strip(), DATABASE)


def start() -> ConnInfo:
    """Create (first time) and start the cluster; return how to reach it."""
    with service_lock(f"postgres-{PORT}"):
        return _start()


def _start() -> ConnInfo:
    if not (DATA_DIR / "PG_VERSION").exists():
        if DATA_DIR.exists():
            shutil.rmtree(DATA_DIR)
        _init_cluster()
    if not is_running():
        if port_open(PORT):
            raise LocalPgError(
                f"Port {PORT} on {HOST} is taken by another process; "
                "set FLIGHTLINE_PG_PORT to a free port."
            )
        LOG_FILE.touch()
        _chown_to_owner(LOG_FILE)
        options = (
            f"-c listen_addresses={HOST} -c port={PORT} -c unix_socket_directories='' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _run(
            [
                _pg_binary("pg_ctl"),
                "start",
                "--wait",
                "--pgdata",
                str(DATA_DIR),
                "--log",
                str(LOG_FILE),
                "--options",
                options,
            ],
            "pg_ctl start",
        )
    info = conninfo()
    _ensure_database(info)
    ensure_logins(info)
    return info


def _ensure_database(info: ConnInfo) -> None:
    import psycopg  # imported late: `make pg-up` must work before the venv has it

    deadline = time.monotonic() + 15
    while True:
        try:
            with psycopg.connect(
                host=info.host,
                port=info.port,
                user=info.user,
                password=info.password,
                dbname="postgres",
                autocommit=True,
                connect_timeout=2,
            ) as conn:
                exists = conn.execute(
                    "select 1 from pg_database where datname = %s", (info.dbname,)
                ).fetchone()
                if not exists:
                    conn.execute(f'create database "{info.dbname}"')
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop() -> None:
    if (DATA_DIR / "postmaster.pid").exists():
        _run(
            [_pg_binary("pg_ctl"), "stop", "--wait", "--mode", "fast", "--pgdata", str(DATA_DIR)],
            "pg_ctl stop",
        )


def destroy() -> None:
    stop()
    shutil.rmtree(PG_DIR, ignore_errors=True)
