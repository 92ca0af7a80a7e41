"""Rotating a warehouse login's password: the JDBC crawlers' and the dashboards' reader's.

The steps of a Secrets Manager rotation function ("How rotation works", AWS Secrets Manager
User Guide), run by the deploy tool through the Redshift Data API as the namespace's admin,
as the bootstrap is (tools/deploy/warehouse.py). No rotation Lambda has to reach the
workgroup inside the VPC, and the same code runs against the local emulators:
- create: a new password (GetRandomPassword, Redshift's password rules: "ALTER USER",
  Amazon Redshift Database Developer Guide) as the secret's AWSPENDING version;
- set: ALTER USER ... PASSWORD, as the admin;
- finish: AWSCURRENT moves to the new version (the old one becomes AWSPREVIOUS);
- test: a statement through the Data API with the secret itself. The Data API reads the
  AWSCURRENT version only, so the test follows the move; when it fails, AWSCURRENT and the
  password go back and the login works as before.
A failure before the move leaves AWSCURRENT and the password as they were.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flightline_glue.warehouse.bootstrap import set_password
from flightline_glue.warehouse.sql import SqlSession, WarehouseLoadError

from tools.deploy.warehouse import warehouse_session

# The same rules as the secrets' GenerateSecretString (cloudformation/warehouse.yaml).
PASSWORD_RULES = {
    "PasswordLength": 32,
    "ExcludeCharacters": "\"'@/\\ ",
    "RequireEachIncludedType": True,
}


# The warehouse stack output that holds each password login's secret. On Redshift only the
# crawlers and the reader have passwords (the job and dbt log in through IAM); locally dbt
# has one too, and the crawlers' user is the local cluster's, shared by every local env.
LOGIN_SECRET_OUTPUTS = {
    "crawler": "JdbcSecretArn",
    "reader": "DashboardReaderSecretArn",
    "dbt": "DbtPasswordSecretArn",
}


class RotationError(RuntimeError):
    """The rotation did not take; the login is as it was."""


@dataclass(frozen=True)
class Rotation:
    secret_arn: str
    user: str
    previous_version: str
    current_version: str


def logins_of(outputs: dict[str, str]) -> list[str]:
    """The password logins a deployed environment has a secret for."""
    return [login for login, output in LOGIN_SECRET_OUTPUTS.items() if output in outputs]


def rotate_env_login(
    outputs: dict[str, str], client: Callable[[str], Any], login: str, poll_seconds: float = 2.0
) -> Rotation:
    """Rotate one login of a deployed environment (`outputs`: its warehouse stack's)."""
    output = LOGIN_SECRET_OUTPUTS[login]
    if output not in outputs:
        raise RotationError(f"this environment's warehouse stack has no {output}: no {login} login")
    secret_arn = outputs[output]
    return rotate_login(
        client("secretsmanager"),
        warehouse_session(outputs, client, poll_seconds),
        lambda: warehouse_session(outputs, client, poll_seconds, secret_arn=secret_arn),
        secret_arn,
    )


def rotate_login(
    secrets: Any, admin: SqlSession, login: Callable[[], SqlSession], secret_arn: str
) -> Rotation:
    """Rotate the password of the user whose login secret is `secret_arn`. `admin` runs
    as the namespace's admin; `login()` opens a session with the secret itself."""
    current = secrets.get_secret_value(SecretId=secret_arn, VersionStage="AWSCURRENT")
    value = json.loads(current["SecretString"])
    user, old_password, old_version = value["username"], value["password"], current["VersionId"]
    new_version = str(uuid.uuid4())
    password = secrets.get_random_password(**PASSWORD_RULES)["RandomPassword"]
    secrets.put_secret_value(
        SecretId=secret_arn,
        ClientRequestToken=new_version,
        SecretString=json.dumps({**value, "password": password}),
        VersionStages=["AWSPENDING"],
    )
    admin.run_alone(set_password(admin.dialect, user, password))
    try:
        _move_current(secrets, secret_arn, to=new_version, away_from=old_version)
    except Exception:
        admin.run_alone(set_password(admin.dialect, user, old_password))
        raise
    try:
        login().query("select current_user")
    except WarehouseLoadError as error:
        _move_current(secrets, secret_arn, to=old_version, away_from=new_version)
        admin.run_alone(set_password(admin.dialect, user, old_password))
        raise RotationError(
            f"the new password of {user} did not log in ({error}); "
            f"{secret_arn} and the user's password are back to the previous version"
        ) from error
    finally:  # the rotation is over either way
        secrets.update_secret_version_stage(
            SecretId=secret_arn, VersionStage="AWSPENDING", RemoveFromVersionId=new_version
        )
    return Rotation(secret_arn, user, old_version, new_version)


def _move_current(secrets: Any, secret_arn: str, *, to: str, away_from: str) -> None:
    secrets.update_secret_version_stage(
        SecretId=secret_arn,
        VersionStage="AWSCURRENT",
        MoveToVersionId=to,
        RemoveFromVersionId=away_from,
    )
