"""DynamoDB in LocalStack through moto (flightline_localstack/services/dynamodb/): the
conditional writes the pipeline's dbt lock and day records rely on."""

from __future__ import annotations

import pytest

from tests.helpers import unique


@pytest.fixture
def table(localstack_client):
    ddb = localstack_client("dynamodb")
    name = unique("locks")
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield ddb, name
    ddb.delete_table(TableName=name)


def _take(ddb, name: str, holder: str) -> None:
    ddb.put_item(
        TableName=name,
        Item={"pk": {"S": "lock#dbt"}, "holder": {"S": holder}},
        ConditionExpression="attribute_not_exists(pk) OR holder = :me",
        ExpressionAttributeValues={":me": {"S": holder}},
    )


def test_a_held_lock_refuses_another_holder_and_only_its_holder_releases_it(table) -> None:
    ddb, name = table
    _take(ddb, name, "execution-a")
    _take(ddb, name, "execution-a")  # re-entrant for its holder (a retried write)
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        _take(ddb, name, "execution-b")
    release = {
        "TableName": name,
        "Key": {"pk": {"S": "lock#dbt"}},
        "ConditionExpression": "holder = :me",
    }
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.delete_item(**release, ExpressionAttributeValues={":me": {"S": "execution-b"}})
    ddb.delete_item(**release, ExpressionAttributeValues={":me": {"S": "execution-a"}})
    _take(ddb, name, "execution-b")
    item = ddb.get_item(TableName=name, Key={"pk": {"S": "lock#dbt"}}, ConsistentRead=True)
    assert item["Item"]["holder"] == {"S": "execution-b"}
