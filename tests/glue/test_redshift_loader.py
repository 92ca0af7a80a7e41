"""The Redshift loader's conversation with the Redshift Data API.

Redshift Serverless cannot run here, so this is the one place the warehouse is stubbed:
botocore's Stubber checks every request the loader sends and answers as the API does.
"""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.stub import ANY, Stubber
from flightline_glue.warehouse import StagedDay
from flightline_glue.warehouse.ddl import WarehouseNotReady, migrations, required_versions
from flightline_glue.warehouse.redshift import RedshiftLoader, WarehouseLoadError

ROLE = "arn:aws:iam::123456789012:role/flightline-dev-redshift-copy"
DAY = StagedDay(
    flight_date=dt.date(2024, 1, 3),
    run_id="exec-1",
    flights_uri="s3://landing/staged/date=2024-01-03/run_id=exec-1/flights",
    flight_files=(),
    airports_uri="s3://landing/staged/date=2024-01-03/run_id=exec-1/airports",
    airport_files=(),
)


@pytest.fixture
def data_api():
    client = boto3.client(
        "redshift-data", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def loader(client) -> RedshiftLoader:
    return RedshiftLoader(client, "flightline-dev", "flightline", ROLE, poll_seconds=0)


def test_a_day_is_deleted_and_copied_in_one_batch_transaction(data_api):
    client, stubber = data_api
    sqls = [
        "lock staging.flights, staging.airports",
        "delete from staging.flights where flight_date = '2024-01-03'",
        "copy staging.flights from 's3://landing/staged/date=2024-01-03/run_id=exec-1/flights/' "
        f"iam_role '{ROLE}' format as parquet",
        "delete from staging.airports",
        "copy staging.airports from 's3://landing/staged/date=2024-01-03/run_id=exec-1/airports/' "
        f"iam_role '{ROLE}' format as parquet",
    ]
    stubber.add_response(
        "batch_execute_statement",
        {"Id": "b-1"},
        {"WorkgroupName": "flightline-dev", "Database": "flightline", "Sqls": sqls},
    )
    stubber.add_response("describe_statement", {"Id": "b-1", "Status": "STARTED"}, {"Id": "b-1"})
    stubber.add_response(
        "describe_statement",
        {
            "Id": "b-1",
            "Status": "FINISHED",
            "SubStatements": [
                {"Id": f"b-1:{i}", "ResultRows": rows}
                for i, rows in enumerate((0, 1971, 1971, 76, 76), start=1)
            ],
        },
        {"Id": "b-1"},
    )

    result = loader(client).load_day(DAY)

    assert (result.flights_deleted, result.flights_loaded, result.airports_loaded) == (
        1971,
        1971,
        76,
    )


def test_a_failed_batch_raises_with_redshifts_error(data_api):
    client, stubber = data_api
    stubber.add_response("batch_execute_statement", {"Id": "b-2"}, {"WorkgroupName": ANY,
                         "Database": ANY, "Sqls": ANY})  # fmt: skip
    stubber.add_response(
        "describe_statement",
        {"Id": "b-2", "Status": "FAILED", "Error": "Spectrum Scan Error: column count mismatch"},
        {"Id": "b-2"},
    )
    with pytest.raises(WarehouseLoadError, match="FAILED: Spectrum Scan Error"):
        loader(client).load_day(DAY)


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
    with pytest.raises(WarehouseNotReady, match=r"permission denied for schema staging.*pg-up"):
        loader(client).check_schema()


def test_staging_ddl_carries_redshifts_physical_design():
    flights_ddl = migrations("redshift")[0].statements[0]
    assert flights_ddl.startswith("create table if not exists staging.flights")
    assert flights_ddl.endswith("diststyle even compound sortkey (flight_date)")
    assert "varchar(32)" in flights_ddl
