"""Who a Data API call is in the database, and how the emulator logs in for it.

- With `SecretArn`: the secret's `username` and `password` (what a Redshift admin secret
  holds), a real PostgreSQL login as that user ("ExecuteStatement", Redshift Data API
  reference: Secrets Manager authentication). The deploy tool's bootstrap calls this way with
  the namespace's admin secret; locally that secret holds the cluster owner's login.
- Without it, against a workgroup: the database user derived from the caller's IAM identity,
  `IAM:<user>` for an IAM user, `IAMR:<role>` for an assumed role ("ExecuteStatement", Data
  API reference; "Defining database roles to grant to federated users in Amazon Redshift
  Serverless", Management Guide), which GetCredentials logs in. Stored folded to lower case
  ("Names and identifiers"). The emulator logs in with the workgroup's service login and
  switches the session to that user before any SQL runs; the user must already exist
  (undocumented: fail closed) and must not be a superuser.
- `DbUser` is for provisioned clusters only: refused with a workgroup.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flightline_localstack import settings
from flightline_localstack.services.redshiftdata.workgroups import Workgroup


class IdentityError(ValueError):
    """The call cannot be mapped to a database user; the message says why."""


@dataclass(frozen=True)
class DatabaseLogin:
    user: str  # the PostgreSQL login
    password: str
    act_as: str | None = None  # the IAM caller's database user (folded), taken after login
    shown_as: str | None = None  # DbUser as DescribeStatement reports it


def database_user_of(arn: str) -> str:
    """`IAMR:<role>` / `IAM:<user>` for an assumed role's or an IAM user's ARN."""
    resource = arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    if kind == "assumed-role" and rest:
        return "IAMR:" + rest.split("/", 1)[0]
    if kind == "user" and rest:
        return "IAM:" + rest.rsplit("/", 1)[-1]
    raise IdentityError(f"no database user for the IAM identity {arn} (not a role or user)")


def _caller_arn(access_key_id: str, region: str) -> str:
    from localstack.aws.connect import connect_to

    sts = connect_to(
        aws_access_key_id=access_key_id,
        aws_secret_access_key=settings.DUMMY_SECRET,
        region_name=region,
    ).sts
    return sts.get_caller_identity()["Arn"]


def login_for(request: dict, workgroup: Workgroup, access_key_id: str | None) -> DatabaseLogin:
    if request.get("DbUser"):
        raise IdentityError("DbUser is for provisioned clusters; a workgroup takes no DbUser")
    secret_arn = request.get("SecretArn")
    if secret_arn:
        secrets = settings.clients(workgroup.account, workgroup.region).secretsmanager
        try:
            value = json.loads(secrets.get_secret_value(SecretId=secret_arn)["SecretString"])
            return DatabaseLogin(value["username"], value["password"])
        except Exception as error:  # any failure: the secret is unusable
            raise IdentityError(f"secret {secret_arn} gives no username and password") from error
    if not access_key_id:
        raise IdentityError("the request carries no IAM credentials")
    user = database_user_of(_caller_arn(access_key_id, workgroup.region))
    login = workgroup.login
    return DatabaseLogin(login.user, login.password, act_as=user.lower(), shown_as=user)
