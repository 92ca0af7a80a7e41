"""After the warehouse stack: the warehouse bootstrap and the staging migrations.

They run through the Redshift Data API as the namespace's admin (its managed admin secret,
found with GetNamespace), so the job's and dbt's `IAMR:` users and the crawlers' login exist
with their grants before the first load (docs/warehouse.md). The same in the
`local` environment, where the LocalStack plugin emulates Redshift Serverless and the Data
API on the local PostgreSQL (docs/warehouse-local.md). A principal whose secret holds a
password gets it: the crawlers everywhere, and locally dbt too, which logs in there with the
PostgreSQL adapter instead of IAM.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

# The bootstrap lives with the job's package (glue/), which defines the staging schema.
from flightline_glue.warehouse.bootstrap import (
    Principals,
    SetupResult,
    set_up_warehouse,
)
from flightline_glue.warehouse.sql import DataApiSession, WarehouseLoadError, stored_user_name

from tools.deploy.config import EnvConfig

__all__ = ["WarehouseLoadError", "WarehouseSetupError", "set_up_after_deploy"]


class WarehouseSetupError(RuntimeError):
    """The warehouse stack's outputs or secrets do not allow the bootstrap."""


def set_up_after_deploy(
    config: EnvConfig,
    outputs: dict[str, str],
    client: Callable[[str], Any],
    log: Callable[[str], None],
    poll_seconds: float = 2.0,
) -> SetupResult | None:
    """Apply the bootstrap and migrations to the deployed warehouse."""
    principals = Principals.for_env(config.project, config.parameters["EnvName"])
    secrets = client("secretsmanager")
    passwords = {"crawler": _login_password(secrets, outputs["JdbcSecretArn"], principals.crawler)}
    if outputs.get("DbtPasswordSecretArn"):  # WarehouseEngine=postgres only
        passwords["dbt"] = _login_password(secrets, outputs["DbtPasswordSecretArn"], principals.dbt)
    if "DashboardReaderSecretArn" in outputs:  # EnableDashboards: QuickSight logs in as it
        passwords["reader"] = _login_password(
            secrets, outputs["DashboardReaderSecretArn"], principals.reader
        )
    session = warehouse_session(outputs, client, poll_seconds)  # secrets checked first
    result = set_up_warehouse(
        session, principals, outputs["DatabaseName"], passwords, reset_passwords=True
    )
    log(f"warehouse: {result.describe()}")
    return result


def warehouse_session(
    outputs: dict[str, str], client: Callable[[str], Any], poll_seconds: float = 2.0,
    secret_arn: str | None = None,
) -> DataApiSession:  # fmt: skip
    """A Data API session on the deployed warehouse (the warehouse stack's `outputs`) as the
    namespace's admin, through its managed admin secret (found with GetNamespace); with
    `secret_arn`, as that secret's user instead."""
    if secret_arn is None:
        namespace = client("redshift-serverless").get_namespace(
            namespaceName=outputs["NamespaceName"]
        )["namespace"]
        secret_arn = namespace.get("adminPasswordSecretArn")
        if not secret_arn:
            raise WarehouseSetupError(
                f"namespace {outputs['NamespaceName']} has no managed admin secret "
                "(ManageAdminPassword must stay true in cloudformation/warehouse.yaml)"
            )
    return DataApiSession(
        client("redshift-data"),
        outputs["WorkgroupName"],
        outputs["DatabaseName"],
        secret_arn=secret_arn,
        poll_seconds=poll_seconds,
    )


def _login_password(secrets, secret_arn: str, user: str) -> str:
    """The password in a principal's login secret, checked to be that principal's (user names
    compared as Redshift stores them)."""
    value = json.loads(secrets.get_secret_value(SecretId=secret_arn)["SecretString"])
    if stored_user_name("redshift", str(value.get("username"))) != stored_user_name(
        "redshift", user
    ):
        raise WarehouseSetupError(
            f"the secret {secret_arn} is for the user {value.get('username')!r}, "
            f"the bootstrap's is {user!r}"
        )
    return value["password"]
