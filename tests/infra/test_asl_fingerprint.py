"""The day's fingerprint (the day fingerprint machine), run for real in LocalStack from the
listing to its end.

Two things AWS does that the fingerprint once ignored, both now refused locally too:
- States.Hash takes at most 10,000 characters ("Intrinsic functions", Step Functions
  Developer Guide): hashing every key and ETag at once failed uncatchably above ~115 files;
- an SSE-KMS object's ETag is not a digest of its data ("Object", S3 API Reference; the
  plugin's S3 hook gives such objects fresh ETags), so the same bytes uploaded again must be
  recognised by the checksum S3 keeps ("Checking object integrity in Amazon S3").
"""

from __future__ import annotations

from typing import Any

from .asl_fragment import fragment, reachable, run
from .conftest import machine_fixture

DAY = "2024-03-01"
asl = machine_fixture("day_fingerprint")
BODY = b"Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay\nDL,11433,13303,-3,1\n"


def _fingerprint(localstack_client, asl, bucket: str) -> dict[str, Any]:
    names = reachable(asl, "ListDayFiles", stop=("DayStateFailed",))
    payload = {
        "event": {"bucket": bucket, "key": f"daily_flights/date={DAY}/f.csv", "run_id": "r"},
        "date": {"flight_date": DAY, "trigger_key": f"daily_flights/date={DAY}/f.csv"},
    }
    ended = run(localstack_client("stepfunctions"), fragment(asl, names), payload, seconds=900)
    assert ended["status"] == "SUCCEEDED", (ended.get("error"), ended.get("cause"))
    # Through to the machine's end (back to the day machine), not to DayStateFailed.
    assert "left_to" not in ended["output"], ended["output"].get("error")
    return ended["output"]["fingerprint"]


def test_a_busy_day_is_fingerprinted(localstack_client, localstack_bucket, asl) -> None:
    s3 = localstack_client("s3")
    keys = [
        f"daily_flights/date={DAY}/flights-part-{n:05d}-of-producer-batch.csv" for n in range(250)
    ]
    for key in keys:
        s3.put_object(Bucket=localstack_bucket, Key=key, Body=BODY + key.encode())
    fingerprint = _fingerprint(localstack_client, asl, localstack_bucket)
    assert fingerprint["keys"] == keys
    assert len(fingerprint["value"]) == 64


def test_a_day_of_one_file_is_fingerprinted(localstack_client, localstack_bucket, asl) -> None:
    # `$.Contents[*].Key` of one object is a list of one on AWS ("Paths"): the plugin makes
    # LocalStack agree, or the Map over the keys would fail here only.
    key = f"daily_flights/date={DAY}/flights.csv"
    localstack_client("s3").put_object(Bucket=localstack_bucket, Key=key, Body=BODY)
    assert _fingerprint(localstack_client, asl, localstack_bucket)["keys"] == [key]


def test_the_same_bytes_again_under_sse_kms_keep_the_fingerprint(
    localstack_client, localstack_bucket, asl
) -> None:
    s3, kms = localstack_client("s3"), localstack_client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]

    def upload(body: bytes) -> None:
        for name in ("a.csv", "b.csv"):
            s3.put_object(
                Bucket=localstack_bucket,
                Key=f"daily_flights/date={DAY}/{name}",
                Body=body + name.encode(),
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=key_id,
            )

    upload(BODY)
    first = _fingerprint(localstack_client, asl, localstack_bucket)["value"]
    upload(BODY)  # a producer re-sends the day: new ETags, same bytes
    assert _fingerprint(localstack_client, asl, localstack_bucket)["value"] == first
    upload(BODY + b"AA,1,2,3,4\n")
    assert _fingerprint(localstack_client, asl, localstack_bucket)["value"] != first
