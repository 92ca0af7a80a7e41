"""The Redshift loader's conversation with the Redshift Data API.

Redshift Serverless cannot run here, so this is the one place the warehouse is stubbed:
botocore's Stubber checks every request the loader sends (to the Data API and to S3, where
it writes the COPY manifests) and answers as the APIs do.
"""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from botocore.stub import ANY, Stubber
from flightline_glue.storage import S3Storage
from flightline_glue.warehouse import StagedAirports, StagedDay
from flightline_glue.warehouse.ddl import WarehouseNotReady, migrations, required_versions
from flightline_glue.warehouse.redshift import RedshiftLoader, WarehouseLoadError

ROLE = "arn:aws:iam::123456789012:role/flightline-dev-redshift-copy"
RUN = "s3://landing/staged/date=2024-01-03/run_id=exec-1"
# What the job staged (its list excludes Spark's _SUCCESS marker), with the objects' sizes.
FLIGHT_FILES = {f"{RUN}/flights/part-00000.snappy.parquet": 1200,
                f"{RUN}/flights/part-00001.snappy.parquet": 900}  # fmt: skip
AIRPORT_FILES = {f"{RUN}/airports/part-00000.snappy.parquet": 300}
DAY = StagedDay(
    flight_date=dt.date(2024, 1, 3),
    run_id="exec-1",
    flights_uri=f"{RUN}/flights",
    flight_files=tuple(FLIGHT_FILES),
    airports_uri=f"{RUN}/airports",
    airport_files=tuple(AIRPORT_FILES),
)


def _client(service: str):
    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


@pytest.fixture
def data_api():
    client = _client("redshift-data")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


class StagedBucket:
    """The landing bucket as the loader sees it: object sizes, and the manifests it writes."""

    def __init__(self) -> None:
        self.client = _client("s3")
        self.stubber = Stubber(self.client)
        self.written: dict[str, dict] = {}
        self.client.meta.events.register("provide-client-params.s3.PutObject", self._record)

    def _record(self, params, **_) -> None:
        self.written[f"s3://{params['Bucket']}/{params['Key']}"] = json.loads(params["Body"])

    def expect_manifest(self, folder: str, files: dict[str, int]) -> None:
        for uri, size in files.items():
            key = uri.removeprefix("s3://landing/")
            self.stubber.add_response(
                "head_object", {"ContentLength": size}, {"Bucket": "landing", "Key": key}
            )
        key = folder.removeprefix("s3://landing/") + ".manifest"
        self.stubber.add_response("put_object", {}, {"Bucket": "landing", "Key": key, "Body": ANY})


@pytest.fixture
def bucket():
    staged = StagedBucket()
    with staged.stubber:
        yield staged
        staged.stubber.assert_no_pending_responses()


def expect_batch(stubber, batch_id: str, sqls, status: str, rows=(), started: int = 0,
                 error: str = "", duration_ns: int | None = None) -> None:  # fmt: skip
    """One BatchExecuteStatement of `sqls` (ANY: not checked), `started` polls while it
    runs, then its end: `status`, each sub-statement's row count, Redshift's error."""
    stubber.add_response(
        "batch_execute_statement",
        {"Id": batch_id},
        {"WorkgroupName": "flightline-dev", "Database": "flightline", "Sqls": sqls},
    )
    for _ in range(started):
        stubber.add_response(
            "describe_statement", {"Id": batch_id, "Status": "STARTED"}, {"Id": batch_id}
        )
    ended = {"Id": batch_id, "Status": status} | ({"Error": error} if error else {})
    if duration_ns is not None:
        ended["Duration"] = duration_ns
    if rows:
        ended["SubStatements"] = [
            {"Id": f"{batch_id}:{i}", "ResultRows": n} for i, n in enumerate(rows, start=1)
        ]
    stubber.add_response("describe_statement", ended, {"Id": batch_id})


def expect_day_manifests(bucket: StagedBucket) -> None:
    bucket.expect_manifest(DAY.flights_uri, FLIGHT_FILES)
    bucket.expect_manifest(DAY.airports_uri, AIRPORT_FILES)


def loader(client, bucket: StagedBucket | None = None) -> RedshiftLoader:
    storage = S3Storage("s3://landing", bucket.client if bucket else None, spark_native=True)
    return RedshiftLoader(client, "flightline-dev", "flightline", ROLE, storage, poll_seconds=0)


def test_a_day_is_deleted_and_copied_in_one_batch_transaction(data_api, bucket):
    client, stubber = data_api
    expect_day_manifests(bucket)
    sqls = [
        "lock staging.flights, staging.airports",
        "delete from staging.flights where flight_date = '2024-01-03'",
        f"copy staging.flights from '{RUN}/flights.manifest' iam_role '{ROLE}' "
        "format as parquet serializetojson manifest",
        "delete from staging.airports",
        f"copy staging.airports from '{RUN}/airports.manifest' iam_role '{ROLE}' "
        "format as parquet serializetojson manifest",
    ]
    expect_batch(
        stubber, "b-1", sqls, "FINISHED", rows=(0, 1971, 1971, 76, 76), started=1,
        duration_ns=4_250_000_000,
    )  # fmt: skip

    result = loader(client, bucket).load_day(DAY)

    assert (result.flights_deleted, result.flights_loaded, result.airports_loaded) == (
        1971,
        1971,
        76,
    )
    # The warehouse's busy time for the load: the batch's Duration (nanoseconds).
    assert result.warehouse_seconds == 4.25


def test_a_failed_batch_raises_with_redshifts_error(data_api, bucket):
    client, stubber = data_api
    expect_day_manifests(bucket)
    expect_batch(stubber, "b-2", ANY, "FAILED", error="Spectrum Scan Error: column count mismatch")
    with pytest.raises(WarehouseLoadError, match="FAILED: Spectrum Scan Error"):
        loader(client, bucket).load_day(DAY)


def _select_versions(stubber, status: str, records: list[str], error: str = "") -> None:
    """The loader's schema check: one query of the recorded migrations."""
    stubber.add_response(
        "execute_statement",
        {"Id": "sel"},
        {
            "WorkgroupName": "flightline-dev",
            "Database": "flightline",
            "Sql": "select version from staging.schema_migrations",
        },
    )
    described = {"Id": "sel", "Status": status} | ({"Error": error} if error else {})
    stubber.add_response("describe_statement", described, {"Id": "sel"})
    if status == "FINISHED":
        rows = [[{"stringValue": v}] for v in records]
        stubber.add_response(
            "get_statement_result", {"Records": rows, "TotalNumRows": len(rows)}, {"Id": "sel"}
        )


def test_the_schema_check_passes_when_every_migration_is_recorded(data_api):
    client, stubber = data_api
    _select_versions(stubber, "FINISHED", required_versions())
    loader(client).check_schema()  # no DDL: the loader's user may not run any


def test_a_warehouse_behind_fails_naming_the_migrations_and_what_to_run(data_api):
    client, stubber = data_api
    _select_versions(stubber, "FINISHED", [])
    with pytest.raises(WarehouseNotReady, match=r"needs migration\(s\) V001.*STACKS=warehouse"):
        loader(client).check_schema()


def test_an_unbootstrapped_warehouse_fails_with_redshifts_error_and_the_fix(data_api):
    client, stubber = data_api
    # What an IAMR: user without grants gets from Redshift.
    _select_versions(stubber, "FAILED", [], "ERROR: permission denied for schema staging")
    with pytest.raises(WarehouseNotReady, match=r"permission denied for schema staging.*pg-setup"):
        loader(client).check_schema()


def test_staging_ddl_carries_redshifts_physical_design():
    flights_ddl = migrations("redshift")[0].statements[0]
    assert flights_ddl.startswith("create table if not exists staging.flights")
    assert flights_ddl.endswith("diststyle even compound sortkey (flight_date)")
    assert "varchar(32)" in flights_ddl


def test_the_manifests_list_exactly_the_staged_files_with_their_lengths(data_api, bucket):
    client, stubber = data_api
    expect_day_manifests(bucket)
    expect_batch(stubber, "b-3", ANY, "FINISHED")

    loader(client, bucket).load_day(DAY)

    # For Parquet, Redshift needs each entry's content_length ("COPY examples").
    assert bucket.written[f"{RUN}/flights.manifest"] == {
        "entries": [
            {"url": uri, "mandatory": True, "meta": {"content_length": size}}
            for uri, size in FLIGHT_FILES.items()
        ]
    }
    assert [e["url"] for e in bucket.written[f"{RUN}/airports.manifest"]["entries"]] == list(
        AIRPORT_FILES
    )


def test_nothing_staged_is_refused_before_any_statement(data_api, bucket):
    client, _ = data_api
    empty = StagedDay(DAY.flight_date, "exec-1", DAY.flights_uri, (), DAY.airports_uri, ())
    with pytest.raises(ValueError, match="nothing staged under s3://landing/staged/"):
        loader(client, bucket).load_day(empty)


def test_an_airports_upload_replaces_the_airports_table_alone_in_one_batch(data_api, bucket):
    client, stubber = data_api
    uri = "s3://landing/staged/airports/run_id=exec-2/airports"
    files = {f"{uri}/part-00000.snappy.parquet": 310}
    bucket.expect_manifest(uri, files)
    sqls = [
        "lock staging.airports",
        "delete from staging.airports",
        f"copy staging.airports from '{uri}.manifest' iam_role '{ROLE}' "
        "format as parquet serializetojson manifest",
    ]
    expect_batch(stubber, "a-1", sqls, "FINISHED", rows=(0, 76, 74))
    staged = StagedAirports("exec-2", uri, tuple(files))
    assert loader(client, bucket).load_airports(staged) == 74


def test_the_runs_row_is_written_in_the_same_batch_transaction(data_api, bucket):
    """staging.load_runs (V006): the run's row is part of the load's batch, so it commits
    with the day's rows or not at all; rows_loaded is counted inside that transaction."""
    from dataclasses import replace

    from flightline_glue.warehouse.load_runs import RunRecord

    client, stubber = data_api
    expect_day_manifests(bucket)
    run = RunRecord(
        dt.date(2024, 1, 3), "exec-1", dt.datetime(2024, 1, 4, 6, 0, 1), rows_read=2000,
        rows_rejected=29, rejected_by_reason={"unknown_carrier": 4, "bad_delay": 25},
        unknown_airport_rows=3, unknown_airport_id_count=2,
    )  # fmt: skip
    day = "cast('2024-01-03' as date)"
    sqls = [
        "lock staging.flights, staging.airports",
        "delete from staging.flights where flight_date = '2024-01-03'",
        f"copy staging.flights from '{RUN}/flights.manifest' iam_role '{ROLE}' "
        "format as parquet serializetojson manifest",
        "delete from staging.airports",
        f"copy staging.airports from '{RUN}/airports.manifest' iam_role '{ROLE}' "
        "format as parquet serializetojson manifest",
        "delete from staging.load_runs where run_id = 'exec-1'",
        "insert into staging.load_runs (flight_date, run_id, rows_read, rows_rejected, "
        "rejected_by_reason, unknown_airport_rows, unknown_airport_id_count, started_at, "
        f"status, rows_loaded) select {day}, 'exec-1', 2000, 29, "
        """json_parse('{"bad_delay": 25, "unknown_carrier": 4}'), 3, 2, """
        "cast('2024-01-04 06:00:01' as timestamp), 'loaded', "
        f"(select count(*) from staging.flights where flight_date = {day})",
    ]
    expect_batch(stubber, "b-9", sqls, "FINISHED", rows=(0, 1971, 1971, 76, 76, 0, 1))

    result = loader(client, bucket).load_day(replace(DAY, run=run))

    assert (result.flights_deleted, result.flights_loaded, result.airports_loaded) == (
        1971,
        1971,
        76,
    )
