"""The deploy tool's warehouse step on Redshift Serverless: the bootstrap and migrations go
through the Data API as the namespace's admin. Redshift cannot run here, so the Data API is
stubbed (botocore's Stubber checks every request); the same files run for real against
PostgreSQL in tests/glue/test_warehouse_bootstrap.py."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from flightline_glue.warehouse.bootstrap import bootstrap_files
from flightline_glue.warehouse.ddl import migrations

from tools.deploy.config import load_env
from tools.deploy.warehouse import WarehouseSetupError, set_up_after_deploy

ADMIN_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:redshift!flightline-dev-admin"
CRAWLER_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:flightline/dev/crawler"
OUTPUTS = {
    "WarehouseEngine": "redshift",
    "NamespaceName": "flightline-dev",
    "WorkgroupName": "flightline-dev",
    "DatabaseName": "flightline",
    "JdbcSecretArn": CRAWLER_SECRET,
}
TARGET = {"WorkgroupName": "flightline-dev", "Database": "flightline", "SecretArn": ADMIN_SECRET}


def client_of(service: str) -> Any:
    return boto3.client(
        service, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


class DataApi:
    """Scripted Data API answers, in the order the tool calls: batches finish, queries
    return the given single-column rows."""

    def __init__(self, stubber: Stubber) -> None:
        self.stubber = stubber
        self.count = 0

    def _id(self) -> str:
        self.count += 1
        return f"s-{self.count}"

    def batch(self) -> None:
        statement = self._id()
        self.stubber.add_response(
            "batch_execute_statement", {"Id": statement}, {**TARGET, "Sqls": ANY}
        )
        self.stubber.add_response(
            "describe_statement", {"Id": statement, "Status": "FINISHED"}, {"Id": statement}
        )

    def alone(self) -> None:
        """One ExecuteStatement without a result (a statement outside a transaction)."""
        statement = self._id()
        self.stubber.add_response("execute_statement", {"Id": statement}, {**TARGET, "Sql": ANY})
        self.stubber.add_response(
            "describe_statement", {"Id": statement, "Status": "FINISHED"}, {"Id": statement}
        )

    def query(self, values: list[str]) -> None:
        statement = self._id()
        self.stubber.add_response("execute_statement", {"Id": statement}, {**TARGET, "Sql": ANY})
        self.stubber.add_response(
            "describe_statement", {"Id": statement, "Status": "FINISHED"}, {"Id": statement}
        )
        rows = [[{"stringValue": v}] for v in values]
        self.stubber.add_response(
            "get_statement_result", {"Records": rows, "TotalNumRows": len(rows)}, {"Id": statement}
        )


@pytest.fixture
def aws():
    clients = {s: client_of(s) for s in ("redshift-serverless", "secretsmanager", "redshift-data")}
    stubbers = {s: Stubber(c) for s, c in clients.items()}
    for stubber in stubbers.values():
        stubber.activate()
    stubbers["redshift-serverless"].add_response(
        "get_namespace",
        {"namespace": {"namespaceName": "flightline-dev", "adminPasswordSecretArn": ADMIN_SECRET}},
        {"namespaceName": "flightline-dev"},
    )
    stubbers["secretsmanager"].add_response(
        "get_secret_value",
        {"SecretString": json.dumps({"username": "glue_crawler", "password": "Pw0rd-x"})},
        {"SecretId": CRAWLER_SECRET},
    )
    yield clients, stubbers, DataApi(stubbers["redshift-data"])
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def sent_batches(data_api: Any) -> list[list[str]]:
    """Every BatchExecuteStatement's SQL list the client sends, in order (filled as it runs)."""
    batches: list[list[str]] = []
    data_api.meta.events.register(
        "provide-client-params.redshift-data.BatchExecuteStatement",
        lambda params, **_: batches.append(list(params["Sqls"])),
    )
    return batches


def sent_statements(data_api: Any) -> list[str]:
    """Every ExecuteStatement's SQL the client sends, in order (queries and lone statements)."""
    sent: list[str] = []
    data_api.meta.events.register(
        "provide-client-params.redshift-data.ExecuteStatement",
        lambda params, **_: sent.append(params["Sql"]),
    )
    return sent


def dev_config():
    return load_env("dev")


def test_a_fresh_namespace_gets_users_grants_and_migrations_as_the_admin(aws) -> None:
    clients, _, api = aws
    batches = sent_batches(clients["redshift-data"])
    alone = sent_statements(clients["redshift-data"])
    api.query([])  # no user exists yet
    api.batch()  # create the three users
    api.batch()  # bootstrap record table
    api.query([])
    for _ in bootstrap_files():
        api.batch()
    api.batch()  # migrations record table, as the loader
    api.query([])
    for migration in migrations("redshift"):
        # one batch, or (no-transaction migrations) one ExecuteStatement per statement and
        # a batch recording the version
        if not migration.transactional:
            for _ in migration.statements:
                api.alone()
        api.batch()
    logs: list[str] = []

    result = set_up_after_deploy(dev_config(), OUTPUTS, clients.__getitem__, logs.append, 0)

    assert batches[0] == [
        'create user "IAMR:flightline-dev-load-job" password disable',
        'create user "IAMR:flightline-dev-dbt" password disable',
        "create user \"glue_crawler\" password 'Pw0rd-x'",
        # No dashboards in dev: the reader exists (B002 grants to it) but cannot log in.
        'create user "dashboard_reader" password disable',
    ]
    bootstrap = batches[2]
    assert 'create schema if not exists staging authorization "IAMR:flightline-dev-load-job"' in (
        bootstrap
    )
    assert (
        'alter default privileges for user "IAMR:flightline-dev-load-job" in schema staging\n'
        '    grant select on tables to "IAMR:flightline-dev-dbt", "glue_crawler"'
    ) in bootstrap
    assert 'grant create on database "flightline" to "IAMR:flightline-dev-dbt"' in bootstrap
    assert bootstrap[-1].startswith("insert into public.warehouse_bootstrap")
    # B002: the dashboards' reader may read the marts and nothing else.
    b002 = batches[3]
    assert 'grant select on all tables in schema analytics_marts to "dashboard_reader"' in b002
    assert not any("staging" in statement for statement in b002)
    # Staging tables are created as the loader, so it owns them.
    first_migration = 2 + len(bootstrap_files()) + 1  # after the migrations record table
    v001 = batches[first_migration]
    # A literal: Redshift does not fold it, so it names the user as stored (folded).
    assert v001[0] == "set session authorization 'iamr:flightline-dev-load-job'"
    assert v001[1].startswith("create table if not exists staging.flights")
    assert v001[-2] == (
        "insert into staging.schema_migrations (version, applied_at) values ('V001', getdate())"
    )
    assert v001[-1] == "set session authorization default"
    # V002 widens a varchar: Redshift refuses that in a transaction block, and a Data API
    # batch is one, so each statement goes alone through ExecuteStatement (never in a batch),
    # and the version is recorded only after both succeeded.
    assert alone[-2:] == [
        "alter table staging.flights alter column run_id type varchar(128)",
        "alter table staging.airports alter column run_id type varchar(128)",
    ]
    assert not any("alter column" in s for b in batches for s in b)
    assert batches[first_migration + 1][1] == (
        "insert into staging.schema_migrations (version, applied_at) values ('V002', getdate())"
    )
    assert result is not None
    assert result.users_created == [
        "IAMR:flightline-dev-load-job",
        "IAMR:flightline-dev-dbt",
        "glue_crawler",
        "dashboard_reader",
    ]
    assert any("bootstrap applied: B001, B002" in line for line in logs)


def test_a_second_deploy_changes_nothing_but_the_crawler_password_it_keeps(aws) -> None:
    clients, _, api = aws
    batches = sent_batches(clients["redshift-data"])
    # pg_user holds the names as Redshift stored them: folded to lower case.
    users = [
        "iamr:flightline-dev-load-job", "iamr:flightline-dev-dbt", "glue_crawler",
        "dashboard_reader",
    ]  # fmt: skip
    api.query(users)
    api.batch()  # the crawler's password, kept equal to its secret
    api.batch()  # bootstrap record table (if not exists)
    api.query([f.version for f in bootstrap_files()])
    api.batch()  # migrations record table (if not exists)
    api.query([m.version for m in migrations("redshift")])

    result = set_up_after_deploy(dev_config(), OUTPUTS, clients.__getitem__, print, 0)

    assert batches[0] == ["alter user \"glue_crawler\" password 'Pw0rd-x'"]
    assert all(
        s.startswith(("create table if not exists", "set session")) for b in batches[1:] for s in b
    )
    assert result is not None
    assert (result.users_created, result.bootstrap_applied, result.migrations_applied) == (
        [],
        [],
        [],
    )


def test_a_crawler_secret_for_another_user_is_refused() -> None:
    class Namespace:
        def get_namespace(self, namespaceName: str) -> dict:
            return {"namespace": {"adminPasswordSecretArn": ADMIN_SECRET}}

    class Secrets:
        def get_secret_value(self, SecretId: str) -> dict:
            return {"SecretString": json.dumps({"username": "someone_else", "password": "x"})}

    clients = {"redshift-serverless": Namespace(), "secretsmanager": Secrets()}
    with pytest.raises(WarehouseSetupError, match="is for the user 'someone_else'"):
        set_up_after_deploy(dev_config(), OUTPUTS, clients.__getitem__, print, 0)
