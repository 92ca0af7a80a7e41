"""Clients of the running LocalStack that most tests here use."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from tests.fixtures.postgres import throwaway_database
from tests.helpers import unique
from tools.local import redshift_data


@pytest.fixture
def glue(localstack_client):
    return localstack_client("glue")


@pytest.fixture
def s3(localstack_client):
    return localstack_client("s3")


@pytest.fixture
def codebuild(localstack_client):
    return localstack_client("codebuild")


# --- the Redshift Data API emulator (services/redshiftdata) ------------------------------

COPY_ROLE = "arn:aws:iam::000000000000:role/flightline-test-redshift-copy"


@dataclass(frozen=True)
class Warehouse:
    """A registered workgroup whose database is a throwaway PostgreSQL database."""

    workgroup: str
    database: str
    admin_url: str  # the cluster owner on that database: checks only, never the code under test
    admin_secret_arn: str  # what the deploy tool's bootstrap passes (the namespace's admin)


@pytest.fixture
def warehouse(pg_info, localstack_client) -> Iterator[Warehouse]:
    """A workgroup registered with the emulator (namespace roles: COPY_ROLE), on a fresh
    database that has no bootstrap: tests create the users and grants they need."""
    with throwaway_database(pg_info, "rsdata", set_up=False) as database:
        name = unique("wg")
        path = redshift_data.register_workgroup(name, f"ns-{name}", [COPY_ROLE])
        secret = localstack_client("secretsmanager").create_secret(
            Name=unique("flightline-test-admin"), SecretString=redshift_data.admin_secret_value()
        )
        yield Warehouse(name, database.dbname, database.url, secret["ARN"])
        path.unlink(missing_ok=True)


@pytest.fixture
def caller(localstack_client) -> Callable[[str], Any]:
    """Factory: caller("role-name") -> a redshift-data client acting as that IAM role
    (the role is created and assumed through LocalStack's IAM and STS)."""
    iam, sts = localstack_client("iam"), localstack_client("sts")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }

    def factory(role_name: str) -> Any:
        try:
            arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))
            arn = arn["Role"]["Arn"]
        except iam.exceptions.EntityAlreadyExistsException:
            arn = iam.get_role(RoleName=role_name)["Role"]["Arn"]
        credentials = sts.assume_role(RoleArn=arn, RoleSessionName="test")["Credentials"]
        return boto3.client(
            "redshift-data", endpoint_url=localstack_client("s3").meta.endpoint_url,
            region_name="us-east-1", aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )  # fmt: skip

    return factory
