"""The Redshift Data API emulator (localstack/flightline_localstack/services/redshiftdata):
statements run on the local PostgreSQL, asynchronously, with Redshift's rules. Each test
names the AWS page whose behaviour it checks (the parity table in localstack/README.md)."""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg
import pytest

from tests.helpers import unique, wait_for
from tests.localstack.conftest import COPY_ROLE


def wait(client, statement_id: str) -> dict:
    """DescribeStatement until the statement has ended (FINISHED, FAILED or ABORTED)."""
    return wait_for(
        lambda: client.describe_statement(Id=statement_id),
        f"statement {statement_id}",
        lambda d: d["Status"] in ("FINISHED", "FAILED", "ABORTED"),
    )


def run(client, warehouse, sql: str, **target) -> dict:
    started = client.execute_statement(
        WorkgroupName=warehouse.workgroup, Database=warehouse.database, Sql=sql, **target
    )
    return wait(client, started["Id"])


def batch(client, warehouse, sqls: list[str], **target) -> dict:
    started = client.batch_execute_statement(
        WorkgroupName=warehouse.workgroup, Database=warehouse.database, Sqls=sqls, **target
    )
    return wait(client, started["Id"])


def admin_sql(warehouse, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(warehouse.admin_url, autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def admin(localstack_client, warehouse):
    """The Data API as the namespace's admin (SecretArn), as the deploy tool's bootstrap."""
    client = localstack_client("redshift-data")
    return lambda: {"SecretArn": warehouse.admin_secret_arn}, client


@pytest.fixture
def iam_user(warehouse, caller) -> Iterator[tuple[str, object]]:
    """An IAM role, its `iamr:<role>` database user (no grants) and a client acting as it."""
    role = unique("rsdata-role")
    user = f"iamr:{role}"
    admin_sql(warehouse, f'create role "{user}" login nosuperuser')
    # Redshift gives every user CREATE on schema public ("Schemas"); PostgreSQL 15 does not.
    admin_sql(warehouse, f'grant create on schema public to "{user}"')
    yield user, caller(role)
    admin_sql(warehouse, f'drop owned by "{user}" cascade')
    admin_sql(warehouse, f'drop role if exists "{user}"')


# --- asynchronous statements ("ExecuteStatement", "DescribeStatement", "GetStatementResult")


def test_a_statement_runs_in_the_background_and_returns_typed_fields(warehouse, iam_user):
    _, client = iam_user
    started = client.execute_statement(
        WorkgroupName=warehouse.workgroup, Database=warehouse.database,
        Sql="select 42 as answer, 'Zürich' as city, 1.5::float8 as ratio, true as ok, "
        "null as nothing, date '2024-03-01' as day",
    )  # fmt: skip
    assert client.describe_statement(Id=started["Id"])["Status"] in (
        "SUBMITTED",
        "STARTED",
        "FINISHED",
    )
    described = wait(client, started["Id"])

    assert described["Status"] == "FINISHED", described.get("Error")
    assert (described["HasResultSet"], described["ResultRows"]) == (True, 1)
    result = client.get_statement_result(Id=started["Id"])
    assert [c["name"] for c in result["ColumnMetadata"]] == [
        "answer", "city", "ratio", "ok", "nothing", "day",
    ]  # fmt: skip
    assert result["Records"] == [
        [
            {"longValue": 42},
            {"stringValue": "Zürich"},
            {"doubleValue": 1.5},
            {"booleanValue": True},
            {"isNull": True},
            {"stringValue": "2024-03-01"},
        ]
    ]


def test_a_failing_statement_reports_redshift_error_text(warehouse, iam_user):
    _, client = iam_user
    described = run(client, warehouse, "select * from no_such_table")
    assert described["Status"] == "FAILED"
    assert described["Error"] == 'ERROR: relation "no_such_table" does not exist'


def test_an_unregistered_workgroup_is_refused(iam_user):
    _, client = iam_user
    with pytest.raises(client.exceptions.ValidationException, match="not found"):
        client.execute_statement(WorkgroupName="no-such-wg", Database="x", Sql="select 1")


# --- a batch is one transaction ("BatchExecuteStatement", Data API reference) -----------


def test_a_failing_statement_in_a_batch_rolls_back_the_whole_batch(warehouse, iam_user):
    _, client = iam_user
    assert run(client, warehouse, "create table t (n integer)")["Status"] == "FINISHED"

    described = batch(
        client, warehouse,
        ["insert into t values (1)", "insert into t values (2)", "insert into t values ('x')",
         "insert into t values (4)"],
    )  # fmt: skip

    assert described["Status"] == "FAILED"
    assert "invalid input syntax for type integer" in described["Error"]
    assert [s["Status"] for s in described["SubStatements"]] == [
        "FINISHED", "FINISHED", "FAILED", "ABORTED",
    ]  # fmt: skip
    assert described["SubStatements"][0]["Id"] == f"{described['Id']}:1"
    assert admin_sql(warehouse, "select count(*) from t") == [(0,)]


def test_a_batch_commits_together_and_reports_rows_per_statement(warehouse, iam_user):
    _, client = iam_user
    described = batch(
        client, warehouse,
        ["create table t (n integer)", "insert into t values (1), (2), (3)",
         "delete from t where n > 1", "select n from t"],
    )  # fmt: skip

    assert described["Status"] == "FINISHED", described.get("Error")
    assert [s["ResultRows"] for s in described["SubStatements"]][1:] == [3, 2, 1]
    last = client.get_statement_result(Id=described["SubStatements"][3]["Id"])
    assert last["Records"] == [[{"longValue": 1}]]


# --- commands Redshift refuses in a transaction block ("ALTER TABLE",
# "SVL_MULTI_STATEMENT_VIOLATIONS", Developer Guide) ---------------------------------------


def test_alter_column_type_fails_in_a_batch_and_runs_alone(warehouse, iam_user):
    _, client = iam_user
    run(client, warehouse, "create table t (s varchar(4))")
    alter = "alter table t alter column s type varchar(8)"

    described = batch(client, warehouse, [alter])
    assert described["Status"] == "FAILED"
    assert described["Error"] == (
        "ERROR: ALTER TABLE ALTER COLUMN cannot run inside a transaction block"
    )
    assert run(client, warehouse, alter)["Status"] == "FINISHED"
    assert admin_sql(
        warehouse,
        "select character_maximum_length from information_schema.columns "
        "where table_name = 't' and column_name = 's'",
    ) == [(8,)]


@pytest.mark.parametrize(
    ("sql", "command"),
    [("vacuum t", "VACUUM"), ("create database other_db", "CREATE DATABASE")],
)
def test_other_commands_redshift_refuses_in_a_transaction_block(warehouse, iam_user, sql, command):
    _, client = iam_user
    run(client, warehouse, "create table t (n integer)")
    described = batch(client, warehouse, ["select 1", sql])
    assert described["Error"] == f"ERROR: {command} cannot run inside a transaction block"


# --- identifiers fold to lower case ("Names and identifiers") ----------------------------


def test_delimited_identifiers_and_user_names_fold_to_lower_case(warehouse, admin):
    target, client = admin
    user = unique("IAMR:Fold-Test")
    described = batch(
        client, warehouse,
        [f'create user "{user}" password disable', 'create table "Mixed" ("Name" varchar(8))',
         "insert into mixed (name) values ('kept')"],
        **target(),
    )  # fmt: skip
    try:
        assert described["Status"] == "FINISHED", described.get("Error")
        assert admin_sql(warehouse, "select rolname from pg_roles where rolname ilike %s", (user,))
        [(stored,)] = admin_sql(
            warehouse, "select rolname from pg_roles where rolname ilike %s", (user,)
        )
        assert stored == user.lower()
        # A literal is not an identifier: comparing with the upper-case name finds nothing.
        found = run(
            client, warehouse, f"select count(*) from pg_user where usename = '{user}'", **target()
        )
        assert client.get_statement_result(Id=found["Id"])["Records"] == [[{"longValue": 0}]]
        assert admin_sql(warehouse, 'select "name" from mixed') == [("kept",)]
    finally:
        admin_sql(warehouse, f'drop role if exists "{user.lower()}"')


# --- the caller is its IAMR: user with only its grants ("ExecuteStatement", Data API
# reference; "Defining database roles to grant to federated users in Amazon Redshift
# Serverless", Management Guide) -------------------------------------------------------------


def test_an_iam_role_acts_as_its_iamr_user_with_only_its_grants(warehouse, iam_user):
    user, client = iam_user
    admin_sql(warehouse, "create table secret_table (n integer)")

    who = run(client, warehouse, "select current_user, session_user")
    assert client.get_statement_result(Id=who["Id"])["Records"] == [
        [{"stringValue": user}, {"stringValue": user}]
    ]
    assert who["DbUser"] == "IAMR:" + user.removeprefix("iamr:")
    denied = run(client, warehouse, "select * from secret_table")
    assert denied["Error"] == "ERROR: permission denied for table secret_table"


def test_an_iam_role_without_a_database_user_is_refused(warehouse, caller):
    client = caller(unique("rsdata-nouser"))
    described = run(client, warehouse, "select 1")
    assert described["Status"] == "FAILED"
    assert "does not exist" in described["Error"]


def test_an_iam_role_cannot_take_another_identity(warehouse, iam_user):
    _, client = iam_user
    for sql in ("set session authorization default", "reset session authorization",
                "set role flightline"):  # fmt: skip
        described = run(client, warehouse, sql)
        assert described["Error"] == "ERROR: permission denied to set session authorization"


def test_the_admin_secret_logs_in_as_its_user(warehouse, admin):
    target, client = admin
    who = run(client, warehouse, "select current_user", **target())
    [[field]] = client.get_statement_result(Id=who["Id"])["Records"]
    assert field["stringValue"] == admin_sql(warehouse, "select current_user")[0][0]


# --- COPY FROM S3 with a manifest ("COPY from columnar data formats", "Using a manifest
# to specify data files", "Character types") ------------------------------------------------


def parquet_bytes(rows: list[tuple[int, str]]) -> bytes:
    with tempfile.TemporaryDirectory() as directory, duckdb.connect() as db:
        path = Path(directory) / "rows.parquet"
        db.execute("create table r (id integer, city varchar)")
        db.executemany("insert into r values (?, ?)", rows)
        db.execute(f"copy r to '{path}' (format parquet)")
        return path.read_bytes()


@pytest.fixture
def staged(s3, localstack_bucket):
    """Factory: staged({"a.parquet": rows}, meta=True) -> manifest URI in LocalStack S3."""

    def stage(files: dict[str, list[tuple[int, str]]], with_length: bool = True) -> str:
        entries = []
        for name, rows in files.items():
            data = parquet_bytes(rows)
            s3.put_object(Bucket=localstack_bucket, Key=f"staged/{name}", Body=data)
            entry = {"url": f"s3://{localstack_bucket}/staged/{name}", "mandatory": True}
            if with_length:
                entry["meta"] = {"content_length": len(data)}
            entries.append(entry)
        # A file beside them that the manifest does not list is never loaded.
        s3.put_object(
            Bucket=localstack_bucket, Key="staged/stray.parquet", Body=parquet_bytes([(9, "x")])
        )
        s3.upload_fileobj(
            io.BytesIO(json.dumps({"entries": entries}).encode()),
            localstack_bucket,
            "staged.manifest",
        )
        return f"s3://{localstack_bucket}/staged.manifest"

    return stage


def copy_sql(manifest: str, role: str = COPY_ROLE) -> str:
    return f"copy cities from '{manifest}' iam_role '{role}' format as parquet manifest"


@pytest.fixture
def cities(warehouse, iam_user):
    _, client = iam_user
    assert (
        run(client, warehouse, "create table cities (id integer, city varchar(6))")["Status"]
        == "FINISHED"
    )
    return client


def test_copy_loads_the_manifest_files_in_the_batch_transaction(warehouse, cities, staged):
    manifest = staged({"a.parquet": [(1, "Paris"), (2, "Oslo")], "b.parquet": [(3, "Rome")]})

    described = batch(cities, warehouse, ["delete from cities", copy_sql(manifest)])

    assert described["Status"] == "FINISHED", described.get("Error")
    assert described["SubStatements"][1]["ResultRows"] == 3
    assert admin_sql(warehouse, "select id, city from cities order by id") == [
        (1, "Paris"), (2, "Oslo"), (3, "Rome"),
    ]  # fmt: skip
    rolled_back = batch(cities, warehouse, [copy_sql(manifest), "select 1/0"])
    assert rolled_back["Status"] == "FAILED"
    assert admin_sql(warehouse, "select count(*) from cities") == [(3,)]


def test_copy_refuses_a_role_the_namespace_does_not_have(warehouse, cities, staged):
    manifest = staged({"a.parquet": [(1, "Paris")]})
    other = "arn:aws:iam::000000000000:role/not-associated"
    described = batch(cities, warehouse, [copy_sql(manifest, other)])
    assert described["Status"] == "FAILED"
    assert f"is not authorized to assume IAM Role {other}" in described["Error"]


def test_copy_refuses_a_parquet_manifest_entry_without_content_length(warehouse, cities, staged):
    manifest = staged({"a.parquet": [(1, "Paris")]}, with_length=False)
    described = batch(cities, warehouse, [copy_sql(manifest)])
    assert "content_length" in described["Error"]
    assert admin_sql(warehouse, "select count(*) from cities") == [(0,)]


def test_varchar_lengths_count_bytes_not_characters(warehouse, cities, staged):
    # "Zürich" is 6 characters and 7 bytes: PostgreSQL's varchar(6) takes it, Redshift's not.
    manifest = staged({"a.parquet": [(1, "Paris"), (2, "Zürich")]})
    described = batch(cities, warehouse, [copy_sql(manifest)])
    assert described["Status"] == "FAILED"
    assert described["Error"].startswith("ERROR: Load into table 'cities' failed.")
    assert "String length exceeds DDL length" in described["Error"]
    assert "row 2, column city, 7 bytes > 6" in described["Error"]
    assert admin_sql(warehouse, "select count(*) from cities") == [(0,)]


def test_other_copy_forms_are_refused(warehouse, cities):
    described = run(cities, warehouse, "copy cities from stdin")
    assert described["Status"] == "FAILED"
    assert "runs only COPY" in described["Error"]


# --- SUPER ("SUPER type"; "Using COPY to load data into SUPER columns": Parquet and ORC) ---


def nested_parquet_bytes() -> bytes:
    """Rows whose second column is a struct, as the job stages a day's extra columns."""
    with tempfile.TemporaryDirectory() as directory, duckdb.connect() as db:
        path = Path(directory) / "nested.parquet"
        db.execute(
            f"copy (select 1 as id, {{'TailNumber': 'N123', 'Gate': 'B7'}} as extras) "
            f"to '{path}' (format parquet)"
        )
        return path.read_bytes()


def stage_one(s3, bucket: str, data: bytes) -> str:
    s3.put_object(Bucket=bucket, Key="nested/a.parquet", Body=data)
    entry = {"url": f"s3://{bucket}/nested/a.parquet", "mandatory": True,
             "meta": {"content_length": len(data)}}  # fmt: skip
    s3.put_object(Bucket=bucket, Key="nested.manifest",
                  Body=json.dumps({"entries": [entry]}).encode())  # fmt: skip
    return f"s3://{bucket}/nested.manifest"


def test_nested_parquet_loads_into_super_only_with_serializetojson(
    warehouse, iam_user, s3, localstack_bucket
):
    _, client = iam_user
    created = run(client, warehouse, "create table flights_x (id integer, extras super)")
    assert created["Status"] == "FINISHED", created.get("Error")
    manifest = stage_one(s3, localstack_bucket, nested_parquet_bytes())
    plain = f"copy flights_x from '{manifest}' iam_role '{COPY_ROLE}' format as parquet manifest"

    refused = batch(client, warehouse, [plain])
    assert refused["Status"] == "FAILED"
    assert "SERIALIZETOJSON" in refused["Error"]

    loaded = batch(client, warehouse, [plain.replace(" manifest", " serializetojson manifest")])
    assert loaded["Status"] == "FINISHED", loaded.get("Error")
    assert admin_sql(warehouse, "select id, extras ->> 'TailNumber' from flights_x") == [
        (1, "N123")
    ]


def test_json_parse_makes_a_super_value_and_refuses_text_that_is_not_json(warehouse, iam_user):
    _, client = iam_user
    created = run(client, warehouse, "create table runs_x (id integer, reasons super)")
    assert created["Status"] == "FINISHED", created.get("Error")

    ok = batch(client, warehouse, ["""insert into runs_x values (1, json_parse('{"a": 2}'))"""])
    assert ok["Status"] == "FINISHED", ok.get("Error")
    assert admin_sql(warehouse, "select reasons ->> 'a' from runs_x") == [("2",)]

    bad = batch(client, warehouse, ["insert into runs_x values (2, json_parse('not json'))"])
    assert bad["Status"] == "FAILED"
    assert admin_sql(warehouse, "select count(*) from runs_x") == [(1,)]
