"""After the warehouse stack: the warehouse bootstrap and the staging migrations.

On Redshift Serverless they run through the Data API as the namespace's admin (its managed
admin secret, found with GetNamespace), so the job's and dbt's `IAMR:` users and the
crawlers' login exist with their grants before the first load (docs/warehouse.md). With
WarehouseEngine=postgres (LocalStack) the local PostgreSQL was set up by tools/local/postgres
(`make pg-up`), which runs the same files; there is nothing to do here.
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
from flightline_glue.warehouse.sql import DataApiSession, WarehouseLoadError

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
    """Apply the bootstrap and migrations to the deployed warehouse (Redshift only)."""
    if outputs.get("WarehouseEngine") != "redshift":
        log("warehouse: local PostgreSQL, bootstrapped by tools/local/postgres (make pg-up)")
        return None
    namespace = client("redshift-serverless").get_namespace(namespaceName=outputs["NamespaceName"])[
        "namespace"
    ]
    admin_secret = namespace.get("adminPasswordSecretArn")
    if not admin_secret:
        raise WarehouseSetupError(
            f"namespace {outputs['NamespaceName']} has no managed admin secret "
            "(ManageAdminPassword must stay true in cloudformation/warehouse.yaml)"
        )
    crawler = json.loads(
        client("secretsmanager").get_secret_value(SecretId=outputs["JdbcSecretArn"])["SecretString"]
    )
    principals = Principals.for_env(config.project, config.parameters["EnvName"])
    if crawler.get("username") != principals.crawler:
        raise WarehouseSetupError(
            f"the crawler secret's user is {crawler.get('username')!r}, the bootstrap's "
            f"{principals.crawler!r}"
        )
    session = DataApiSession(
        client("redshift-data"),
        outputs["WorkgroupName"],
        outputs["DatabaseName"],
        secret_arn=admin_secret,
        poll_seconds=poll_seconds,
    )
    passwords = {"crawler": crawler["password"]}
    if "DashboardReaderSecretArn" in outputs:  # EnableDashboards: QuickSight logs in as it
        reader = json.loads(
            client("secretsmanager").get_secret_value(SecretId=outputs["DashboardReaderSecretArn"])[
                "SecretString"
            ]
        )
        if reader.get("username") != principals.reader:
            raise WarehouseSetupError(
                f"the dashboard reader secret's user is {reader.get('username')!r}, the "
                f"bootstrap's {principals.reader!r}"
            )
        passwords["reader"] = reader["password"]
    result = set_up_warehouse(
        session, principals, outputs["DatabaseName"], passwords, reset_passwords=True
    )
    log(f"warehouse: {result.describe()}")
    return result
