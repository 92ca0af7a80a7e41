"""DynamoDB for LocalStack community through moto's in-process backend.

LocalStack 2026.3.0's own DynamoDB provider downloads DynamoDB Local at first use, which
cannot be fetched here, and then answers every call with InternalError. The pipeline needs
only a small lock table (conditional PutItem / DeleteItem, GetItem), which moto implements,
condition expressions included. `tools/local/localstack.py` selects this provider with
PROVIDER_OVERRIDE_DYNAMODB=flightline.
"""

from __future__ import annotations

from localstack.services.plugins import Service, aws_provider

from flightline_localstack.dispatch import full_moto_dispatch_table


class DynamoDBMotoProvider:
    """No overrides: every operation of the service model goes to moto."""

    service = "dynamodb"


@aws_provider(api="dynamodb", name="flightline")
def dynamodb() -> Service:
    return Service.for_provider(
        DynamoDBMotoProvider(), dispatch_table_factory=full_moto_dispatch_table("dynamodb")
    )
