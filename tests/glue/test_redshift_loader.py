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


def test_ddl_applies_only_the_migrations_not_yet_recorded(data_api):
    client, stubber = data_api
    stubber.add_response("batch_execute_statement", {"Id": "boot"}, {"WorkgroupName": ANY,
                         "Database": ANY, "Sqls": ANY})  # fmt: skip
    stubber.add_response("describe_statement", {"Id": "boot", "Status": "FINISHED"}, {"Id": "boot"})
    stubber.add_response(
        "execute_statement",
        {"Id": "sel"},
        {
            "WorkgroupName": ANY,
            "Database": ANY,
            "Sql": "select version from staging.schema_migrations",
        },
    )
    stubber.add_response("describe_statement", {"Id": "sel", "Status": "FINISHED"}, {"Id": "sel"})
    stubber.add_response("get_statement_result", {"Records": [], "TotalNumRows": 0}, {"Id": "sel"})
    stubber.add_response(
        "batch_execute_statement",
        {"Id": "v001"},
        {
            "WorkgroupName": ANY,
            "Database": ANY,
            "Sqls": [
                "create schema if not exists staging",
                ANY,  # staging.flights, checked below
                ANY,  # staging.airports
                "insert into staging.schema_migrations (version, applied_at) "
                "values ('V001', getdate())",
            ],
        },
    )
    stubber.add_response("describe_statement", {"Id": "v001", "Status": "FINISHED"}, {"Id": "v001"})

    loader(client).apply_ddl()

    from flightline_glue.warehouse.ddl import migrations

    flights_ddl = migrations("redshift")[0].statements[1]
    assert flights_ddl.endswith("diststyle even compound sortkey (flight_date)")
    assert "varchar(32)" in flights_ddl
