"""Credentials of the IAM role a job or build runs as, from LocalStack's STS.

AWS Glue runs a job's script with the job's IAM role ("Setting up IAM permissions for AWS
Glue", AWS Glue Developer Guide: the role Glue assumes to call other services on the job's
behalf), so every AWS call of the script is that role's, e.g. the Redshift Data API maps it
to the `IAMR:<role>` database user. Locally the run gets that role's temporary credentials
from LocalStack's STS instead of the account's root ones.
"""

from __future__ import annotations

from flightline_localstack import settings


class RoleError(RuntimeError):
    """The role cannot be assumed; the message says why."""


def role_arn(role: str, account_id: str) -> str:
    """A job's `Role` may be a name or an ARN ("Job", AWS Glue API: Role)."""
    if role.startswith("arn:"):
        return role
    return f"arn:aws:iam::{account_id}:role/{role}"


def credentials_env(role: str, account_id: str, region: str, session_name: str) -> dict[str, str]:
    """AWS_* variables for a process acting as `role` (an assumed-role session)."""
    if not role:
        raise RoleError("the job has no Role")
    sts = settings.clients(account_id, region).sts
    try:
        credentials = sts.assume_role(
            RoleArn=role_arn(role, account_id), RoleSessionName=session_name[:64]
        )["Credentials"]
    except Exception as error:  # any STS refusal: the run cannot start as its role
        raise RoleError(f"cannot assume the role {role}: {error}") from error
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }
