"""The warehouse bootstrap: the database principals and what each may do.

Versioned SQL files (`bootstrap/B*.sql`) applied in order by an admin, each once per
database and recorded in `public.warehouse_bootstrap`; then the staging migrations
(`ddl/V*.sql`), run as the loader so that it owns the staging tables. Applying it again
changes nothing. On AWS the deploy tool runs it through the Redshift Data API with the
namespace's managed admin secret; locally tools/local/postgres runs the same files on PostgreSQL.

Principals. On Redshift Serverless the Glue job (Data API, WorkgroupName, no secret) and dbt
(`method: iam`) log in as `IAMR:<IAM role name>`, users that hold only PUBLIC's privileges
until granted more ("Defining database roles to grant to federated users in Amazon Redshift
Serverless", Amazon Redshift Management Guide). The roles have fixed names (cloudformation/
glue.yaml, orchestration.yaml), so the bootstrap creates those users ahead of their first
login and grants to them. The Glue JDBC crawlers log in with a password from their secret.
Locally the same names are NOSUPERUSER login roles with generated passwords.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from string import Template

from . import ddl
from .sql import SqlSession, identifier, literal, stored_user_name

BOOTSTRAP_DIR = resources.files(__package__) / "bootstrap"
BOOTSTRAP_TABLE = "public.warehouse_bootstrap"
CRAWLER_USER = "glue_crawler"
# The dashboards' read-only login (B002): QuickSight's data source on AWS, `make dashboard`
# locally. A password user: QuickSight's Redshift data sources log in with one.
READER_USER = "dashboard_reader"


def iam_role_names(project: str, env: str) -> dict[str, str]:
    """The fixed IAM role names of the principals that log in through IAM (the templates
    name their roles the same way; tests/infra checks they agree)."""
    return {"loader": f"{project}-{env}-load-job", "dbt": f"{project}-{env}-dbt"}


@dataclass(frozen=True)
class Principals:
    """Database user names: the Glue job (loader), the dbt build, the JDBC crawlers and the
    dashboards' reader."""

    loader: str
    dbt: str
    crawler: str = CRAWLER_USER
    reader: str = READER_USER

    @classmethod
    def for_env(cls, project: str, env: str) -> Principals:
        roles = iam_role_names(project, env)
        return cls(loader=f"IAMR:{roles['loader']}", dbt=f"IAMR:{roles['dbt']}")

    def names(self) -> dict[str, str]:
        return {
            "loader": self.loader, "dbt": self.dbt, "crawler": self.crawler,
            "reader": self.reader,
        }  # fmt: skip


@dataclass(frozen=True)
class BootstrapFile:
    version: str
    sql: str

    def statements(self, principals: Principals, database: str) -> tuple[str, ...]:
        values = {key: identifier(name) for key, name in principals.names().items()}
        return ddl.statements_of(
            Template(self.sql).substitute(values, database=identifier(database))
        )


def bootstrap_files() -> list[BootstrapFile]:
    files = [
        f for f in BOOTSTRAP_DIR.iterdir() if f.name.startswith("B") and f.name.endswith(".sql")
    ]
    return [
        BootstrapFile(f.name.split("__", 1)[0], f.read_text())
        for f in sorted(files, key=lambda f: f.name)
    ]


def _create_user(dialect: str, name: str, password: str | None) -> str:
    if dialect == "redshift":
        # IAM users never use a password; GetCredentials logs them in.
        secret = f"password {literal(password)}" if password else "password disable"
        return f"create user {identifier(name)} {secret}"
    secret = f" password {literal(password)}" if password else ""
    return f"create role {identifier(name)} login nosuperuser nocreatedb nocreaterole{secret}"


def set_password(dialect: str, name: str, password: str) -> str:
    """The statement that sets a user's password (an admin's)."""
    verb = "alter user" if dialect == "redshift" else "alter role"
    return f"{verb} {identifier(name)} password {literal(password)}"


def ensure_principals(
    session: SqlSession, principals: Principals, passwords: dict[str, str],
    reset_passwords: bool = False,
) -> list[str]:  # fmt: skip
    """Create the database users that do not exist yet (users belong to the whole
    namespace/cluster, not to one database). `passwords` maps principal keys ("crawler",
    locally all three) to passwords; `reset_passwords` sets them on existing users too (the
    deploy tool: the crawler's secret may have been replaced). Returns the users created."""
    names = principals.names()
    stored = {key: stored_user_name(session.dialect, name) for key, name in names.items()}
    wanted = ", ".join(literal(n) for n in stored.values())
    existing = {
        row[0] for row in session.query(f"select usename from pg_user where usename in ({wanted})")
    }
    created, statements = [], []
    for key, name in names.items():
        password = passwords.get(key)
        if stored[key] not in existing:
            statements.append(_create_user(session.dialect, name, password))
            created.append(name)
        elif password and reset_passwords:
            statements.append(set_password(session.dialect, name, password))
    if statements:
        session.run(statements)
    return created


def apply_bootstrap(session: SqlSession, principals: Principals, database: str) -> list[str]:
    """Apply the bootstrap files this database has not recorded; returns their versions."""
    session.run(
        [
            f"create table if not exists {BOOTSTRAP_TABLE} "
            "(version varchar(32) not null, applied_at timestamp not null)"
        ]
    )
    applied = {row[0] for row in session.query(f"select version from {BOOTSTRAP_TABLE}")}
    done = []
    for file in bootstrap_files():
        if file.version in applied:
            continue
        record = (
            f"insert into {BOOTSTRAP_TABLE} (version, applied_at) "
            f"values ({literal(file.version)}, {ddl.NOW[session.dialect]})"
        )
        session.run([*file.statements(principals, database), record])
        done.append(file.version)
    return done


@dataclass(frozen=True)
class SetupResult:
    users_created: list[str]
    bootstrap_applied: list[str]
    migrations_applied: list[str]

    def describe(self) -> str:
        parts = [
            f"users created: {', '.join(self.users_created) or 'none'}",
            f"bootstrap applied: {', '.join(self.bootstrap_applied) or 'none (up to date)'}",
            f"migrations applied: {', '.join(self.migrations_applied) or 'none (up to date)'}",
        ]
        return "; ".join(parts)


def set_up_warehouse(
    session: SqlSession, principals: Principals, database: str,
    passwords: dict[str, str] | None = None, reset_passwords: bool = False,
) -> SetupResult:  # fmt: skip
    """Principals, then the bootstrap files, then the staging migrations (as the loader).
    `session` must be an admin's (superuser); idempotent."""
    created = ensure_principals(session, principals, passwords or {}, reset_passwords)
    booted = apply_bootstrap(session, principals, database)
    migrated = ddl.apply_migrations(session, principals.loader)
    return SetupResult(created, booted, migrated)
