"""The deploy tool's warehouse step (tools/deploy/warehouse.py: bootstrap, then migrations)
through the emulated Redshift Data API, as on AWS: the admin secret's user runs it, a batch
is one transaction, user names fold to lower case. A first deploy and a redeploy must both
succeed (issue 18, findings 1 and 2). Only GetNamespace is stubbed: Redshift Serverless
itself is not emulated."""

from __future__ import annotations

import dataclasses
import json
import uuid

import psycopg
import pytest

from tools.deploy.config import load_env
from tools.deploy.warehouse import set_up_after_deploy
from tools.local import postgres as localpg

pytestmark = [pytest.mark.integration]


class Namespace:
    """Redshift Serverless GetNamespace (not emulated): the namespace's admin secret."""

    def __init__(self, admin_secret_arn: str) -> None:
        self.admin_secret_arn = admin_secret_arn

    def get_namespace(self, namespaceName: str) -> dict:
        return {"namespace": {"namespaceName": namespaceName,
                              "adminPasswordSecretArn": self.admin_secret_arn}}  # fmt: skip


@pytest.fixture
def deploy(warehouse, localstack_client):
    """set_up_after_deploy for an env of its own (database users belong to the whole
    cluster: a unique env name keeps tests apart); returns (run, config)."""
    env_name = "t" + uuid.uuid4().hex[:6]
    config = load_env("local")
    config = dataclasses.replace(config, parameters={**config.parameters, "EnvName": env_name})
    secrets = localstack_client("secretsmanager")
    # glue_crawler is one user for the whole local cluster: keep the password it has there.
    password = localpg.login_password("crawler")
    crawler = secrets.create_secret(
        Name=f"flightline/{env_name}/warehouse-crawler",
        SecretString=json.dumps({"username": "glue_crawler", "password": password}),
    )
    outputs = {
        "WarehouseEngine": "redshift",
        "NamespaceName": f"flightline-{env_name}",
        "WorkgroupName": warehouse.workgroup,
        "DatabaseName": warehouse.database,
        "JdbcSecretArn": crawler["ARN"],
    }
    clients = {
        "redshift-serverless": Namespace(warehouse.admin_secret_arn),
        "secretsmanager": secrets,
        "redshift-data": localstack_client("redshift-data"),
    }
    logs: list[str] = []

    def run():
        return set_up_after_deploy(config, outputs, clients.__getitem__, logs.append, 0.1)

    yield run, env_name
    with psycopg.connect(warehouse.admin_url, autocommit=True) as conn:
        for role in ("load-job", "dbt"):
            user = f"iamr:flightline-{env_name}-{role}"
            if conn.execute("select 1 from pg_roles where rolname = %s", (user,)).fetchone():
                conn.execute(f'drop owned by "{user}" cascade')
            conn.execute(f'drop role if exists "{user}"')


def test_a_first_deploy_and_a_redeploy_set_up_the_warehouse(deploy, warehouse):
    run, env_name = deploy
    loader = f"iamr:flightline-{env_name}-load-job"

    first = run()
    again = run()

    assert first is not None
    assert again is not None
    assert [u.lower() for u in first.users_created][:2] == [
        loader, f"iamr:flightline-{env_name}-dbt",
    ]  # fmt: skip
    assert first.bootstrap_applied == ["B001"]
    assert first.migrations_applied == ["V001", "V002"]
    assert (again.users_created, again.bootstrap_applied, again.migrations_applied) == ([], [], [])
    with psycopg.connect(warehouse.admin_url) as conn:
        owner, width = conn.execute(
            "select tableowner, (select character_maximum_length from information_schema.columns"
            " where table_schema = 'staging' and table_name = 'flights'"
            " and column_name = 'run_id') from pg_tables"
            " where schemaname = 'staging' and tablename = 'flights'"
        ).fetchone()
    assert (owner, width) == (loader, 128)
