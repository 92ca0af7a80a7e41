"""The local stack refuses what AWS refuses: limits of SNS, Step Functions and S3 that the
pipeline met on AWS first (issue 18). Each test names the AWS page it holds LocalStack to."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from botocore.exceptions import ClientError

from tests.helpers import unique, wait_for

ROLE = "arn:aws:iam::000000000000:role/states"


@pytest.fixture
def topic(localstack_client):
    sns = localstack_client("sns")
    arn = sns.create_topic(Name=unique("limits"))["TopicArn"]
    yield arn
    sns.delete_topic(TopicArn=arn)


def test_sns_refuses_a_subject_of_100_characters(localstack_client, topic) -> None:
    # "Publish" (SNS API Reference): a subject must be less than 100 characters long.
    sns = localstack_client("sns")
    sns.publish(TopicArn=topic, Subject="s" * 99, Message="fits")
    with pytest.raises(ClientError) as refused:
        sns.publish(TopicArn=topic, Subject="s" * 100, Message="one character too many")
    assert refused.value.response["Error"]["Code"] == "InvalidParameter"
    assert "Subject" in refused.value.response["Error"]["Message"]


def test_sns_refuses_a_subject_with_a_line_break(localstack_client, topic) -> None:
    # Same page: no line breaks or control characters.
    with pytest.raises(ClientError, match="Subject"):
        localstack_client("sns").publish(TopicArn=topic, Subject="a\nb", Message="m")


def test_sns_refuses_a_message_over_256_kib(localstack_client, topic) -> None:
    # Same page: at most 256 KB (262,144 bytes); LocalStack's own check, held here.
    sns = localstack_client("sns")
    sns.publish(TopicArn=topic, Message="m" * 262_144)
    with pytest.raises(ClientError, match="too long"):
        sns.publish(TopicArn=topic, Message="m" * 262_145)


def _run(localstack_client, definition: dict, payload: dict) -> dict:
    sfn = localstack_client("stepfunctions")
    machine = sfn.create_state_machine(
        name=unique("limits"), definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    try:
        execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload))
        return wait_for(
            lambda: sfn.describe_execution(executionArn=execution["executionArn"]),
            "the execution to end",
            until=lambda described: described["status"] != "RUNNING",
        )
    finally:
        sfn.delete_state_machine(stateMachineArn=machine)


def test_states_hash_refuses_input_over_10000_characters(localstack_client) -> None:
    # "Intrinsic functions" (Step Functions Developer Guide), States.Hash: the input is at most
    # 10,000 characters. LocalStack 2026.3.0 enforces it (HashFunc.MAX_INPUT_CHAR_LEN); this
    # keeps it so, since the pipeline's day fingerprint depends on that bound.
    hashing = {
        "StartAt": "Hash",
        "States": {
            "Hash": {
                "Type": "Pass",
                "Parameters": {"value.$": "States.Hash($.text, 'SHA-256')"},
                "End": True,
            }
        },
    }
    assert _run(localstack_client, hashing, {"text": "x" * 10_000})["status"] == "SUCCEEDED"
    refused = _run(localstack_client, hashing, {"text": "x" * 10_001})
    assert refused["status"] == "FAILED"


def test_a_wildcard_path_selects_a_list_even_of_one_value(localstack_client) -> None:
    # "Paths" (Step Functions Developer Guide): indefinite JsonPath expressions (a wildcard)
    # select an array, of one value too; a Map over the keys of a one-file day relies on it.
    keys = {
        "StartAt": "Keys",
        "States": {
            "Keys": {"Type": "Pass", "Parameters": {"keys.$": "$.Contents[*].Key"}, "End": True}
        },
    }
    for contents in ([{"Key": "a.csv"}], [{"Key": "a.csv"}, {"Key": "b.csv"}]):
        ended = _run(localstack_client, keys, {"Contents": contents})
        assert ended["status"] == "SUCCEEDED", ended
        assert json.loads(ended["output"]) == {"keys": [c["Key"] for c in contents]}


def test_sse_kms_etags_are_not_content_md5s_but_checksums_are_stable(
    localstack_client, localstack_bucket
) -> None:
    # "Object" (S3 API Reference): SSE-KMS objects have ETags that are not an MD5 digest of
    # their data. "Checking object integrity in Amazon S3": S3 keeps a CRC64NVME checksum of
    # every new object uploaded without one.
    s3, kms = localstack_client("s3"), localstack_client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    body = b"Carrier,OriginAirportID\nDL,1\n"

    def upload(key: str, **encryption) -> dict:
        s3.put_object(Bucket=localstack_bucket, Key=key, Body=body, **encryption)
        return s3.head_object(Bucket=localstack_bucket, Key=key, ChecksumMode="ENABLED")

    kms_args = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key_id}
    first, again = upload("kms.csv", **kms_args), upload("kms.csv", **kms_args)
    plain = upload("plain.csv")
    md5 = hashlib.md5(body, usedforsecurity=False).hexdigest()
    assert plain["ETag"] == f'"{md5}"'  # SSE-S3 ETags stay the MD5, as on AWS
    assert md5 not in (first["ETag"], again["ETag"])
    assert first["ETag"] != again["ETag"]  # nothing content-derived to compare
    checksums = {
        name: value for name, value in first.items() if name.startswith("Checksum") and value
    }
    assert checksums, "HeadObject with ChecksumMode=ENABLED returns the object's checksum"
    for name, value in checksums.items():
        assert again[name] == value, name
    base64.b64decode(next(iter(v for k, v in checksums.items() if k != "ChecksumType")))
