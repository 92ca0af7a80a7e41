"""The deploy tool's warehouse step (tools/deploy/warehouse.py: bootstrap, then migrations)
through the emulated Redshift Data API, as on AWS: the admin secret's user runs it, a batch
is one transaction, user names fold to lower case. A first deploy and a redeploy must both
succeed (issue 18, findings 1 and 2). Only GetNamespace is stubbed: Redshift Serverless
itself is not emulated. Then the job's RedshiftLoader loads a day as its IAMR: user."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tempfile
import uuid
from pathlib import Path

import duckdb
import psycopg
import pytest
from flightline_glue.contract import EXTRA_COLUMNS_COLUMN, STAGED_FLIGHT_COLUMNS
from flightline_glue.storage import S3Storage
from flightline_glue.warehouse.base import StagedDay
from flightline_glue.warehouse.bootstrap import bootstrap_files
from flightline_glue.warehouse.ddl import required_versions
from flightline_glue.warehouse.redshift import RedshiftLoader

from tests.localstack.conftest import COPY_ROLE
from tools.deploy.config import load_env
from tools.deploy.warehouse import set_up_after_deploy
from tools.local import postgres as localpg


class Namespace:
    """Redshift Serverless GetNamespace (not emulated): the namespace's admin secret."""

    def __init__(self, admin_secret_arn: str) -> None:
        self.admin_secret_arn = admin_secret_arn

    def get_namespace(self, namespaceName: str) -> dict:
        return {"namespace": {"namespaceName": namespaceName,
                              "adminPasswordSecretArn": self.admin_secret_arn}}  # fmt: skip


@pytest.fixture
def deploy(warehouse, localstack_client):
    """set_up_after_deploy for an env of its own (database users belong to the whole
    cluster: a unique env name keeps tests apart); returns (run, config)."""
    env_name = "t" + uuid.uuid4().hex[:6]
    config = load_env("local")
    config = dataclasses.replace(config, parameters={**config.parameters, "EnvName": env_name})
    secrets = localstack_client("secretsmanager")
    # glue_crawler is one user for the whole local cluster: keep the password it has there.
    password = localpg.login_password("crawler")
    crawler = secrets.create_secret(
        Name=f"flightline/{env_name}/warehouse-crawler",
        SecretString=json.dumps({"username": "glue_crawler", "password": password}),
    )
    outputs = {
        "WarehouseEngine": "redshift",
        "NamespaceName": f"flightline-{env_name}",
        "WorkgroupName": warehouse.workgroup,
        "DatabaseName": warehouse.database,
        "JdbcSecretArn": crawler["ARN"],
    }
    clients = {
        "redshift-serverless": Namespace(warehouse.admin_secret_arn),
        "secretsmanager": secrets,
        "redshift-data": localstack_client("redshift-data"),
    }
    logs: list[str] = []

    def run():
        return set_up_after_deploy(config, outputs, clients.__getitem__, logs.append, 0.1)

    yield run, env_name
    with psycopg.connect(warehouse.admin_url, autocommit=True) as conn:
        for role in ("load-job", "dbt"):
            user = f"iamr:flightline-{env_name}-{role}"
            if conn.execute("select 1 from pg_roles where rolname = %s", (user,)).fetchone():
                conn.execute(f'drop owned by "{user}" cascade')
            conn.execute(f'drop role if exists "{user}"')


def test_a_first_deploy_and_a_redeploy_set_up_the_warehouse(deploy, warehouse):
    run, env_name = deploy
    loader = f"iamr:flightline-{env_name}-load-job"

    first = run()
    again = run()

    assert first is not None
    assert again is not None
    assert [u.lower() for u in first.users_created][:2] == [
        loader, f"iamr:flightline-{env_name}-dbt",
    ]  # fmt: skip
    assert first.bootstrap_applied == [f.version for f in bootstrap_files()]
    assert first.migrations_applied == required_versions()
    assert (again.users_created, again.bootstrap_applied, again.migrations_applied) == ([], [], [])
    with psycopg.connect(warehouse.admin_url) as conn:
        owner, width = conn.execute(
            "select tableowner, (select character_maximum_length from information_schema.columns"
            " where table_schema = 'staging' and table_name = 'flights'"
            " and column_name = 'run_id') from pg_tables"
            " where schemaname = 'staging' and tablename = 'flights'"
        ).fetchone()
    assert (owner, width) == (loader, 128)


FLIGHTS = """
select 'f' || i as flight_id, date '2024-01-15' as flight_date, 'DL' as carrier_code,
       10397 as origin_airport_id, 12892 as dest_airport_id, 60 + i as dep_delay_minutes,
       55 + i as arr_delay_minutes, false as is_cancelled, false as is_diverted,
       'Atlanta, GA' as origin_city, 'GA' as origin_state,
       'Hartsfield-Jackson Atlanta International' as origin_airport_name,
       'Los Angeles, CA' as dest_city, 'CA' as dest_state,
       'Los Angeles International' as dest_airport_name, true as is_origin_known,
       true as is_dest_known, 'daily_flights/date=2024-01-15/flights.csv' as source_file,
       i + 1 as source_line, 'jr_' || repeat('a', 64) as run_id,
       timestamp '2024-01-16 02:00:00' as loaded_at{later}
from range(?) t(i)
"""
# Columns later migrations added after loaded_at, NULL here: the extra columns as the job
# stages them (a struct, loaded into SUPER with SERIALIZETOJSON), any other as text.
LATER_COLUMNS = STAGED_FLIGHT_COLUMNS[STAGED_FLIGHT_COLUMNS.index("loaded_at") + 1 :]
FLIGHTS = FLIGHTS.format(
    later="".join(
        f",\n       cast(null as {'struct(k varchar)' if c == EXTRA_COLUMNS_COLUMN else 'varchar'})"
        f" as {c}"
        for c in LATER_COLUMNS
    )
)
AIRPORTS = """
select * from (values
    (10397, 'Atlanta, GA', 'GA', 'Hartsfield-Jackson Atlanta International'),
    (12892, 'Los Angeles, CA', 'CA', 'Los Angeles International'))
    v(airport_id, city, state, airport_name),
    (select 'dim/airports.csv' as source_file, 'jr_' || repeat('a', 64) as run_id,
            timestamp '2024-01-16 02:00:00' as loaded_at)
"""


def stage(s3, bucket: str, folder: str, query: str, *params) -> tuple[str, tuple[str, ...]]:
    """A folder of Parquet files in LocalStack S3, as the job stages them (duckdb writes
    them here: the job's Spark is covered by its own tests)."""
    with tempfile.TemporaryDirectory() as directory, duckdb.connect() as db:
        path = Path(directory) / "part-00000.parquet"
        db.execute(f"copy ({query}) to '{path}' (format parquet)", list(params))
        s3.put_object(Bucket=bucket, Key=f"{folder}/part-00000.parquet", Body=path.read_bytes())
    s3.put_object(Bucket=bucket, Key=f"{folder}/_SUCCESS", Body=b"")
    return f"s3://{bucket}/{folder}", (f"s3://{bucket}/{folder}/part-00000.parquet",)


def test_the_job_loader_loads_a_day_as_its_iamr_user(
    deploy, warehouse, caller, s3, localstack_bucket
):
    run, env_name = deploy
    run()
    flights_uri, flight_files = stage(s3, localstack_bucket, "staged/flights", FLIGHTS, 5)
    airports_uri, airport_files = stage(s3, localstack_bucket, "staged/airports", AIRPORTS)
    day = StagedDay(
        dt.date(2024, 1, 15), "jr_test", flights_uri, flight_files, airports_uri, airport_files
    )
    loader = RedshiftLoader(
        caller(f"flightline-{env_name}-load-job"), warehouse.workgroup, warehouse.database,
        COPY_ROLE, S3Storage(f"s3://{localstack_bucket}", s3, spark_native=True),
        poll_seconds=0.1,
    )  # fmt: skip

    loader.check_schema()
    first = loader.load_day(day)
    again = loader.load_day(day)  # a re-run replaces the day's rows

    assert (first.flights_deleted, first.flights_loaded, first.airports_loaded) == (0, 5, 2)
    assert (again.flights_deleted, again.flights_loaded, again.airports_loaded) == (5, 5, 2)
    with psycopg.connect(warehouse.admin_url) as conn:
        counts = conn.execute(
            "select (select count(*) from staging.flights), (select count(*) from staging.airports)"
        ).fetchone()
    assert counts == (5, 2)
