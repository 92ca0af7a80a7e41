"""The contract's limits against the staging DDL and the two id parsers against each other."""

from __future__ import annotations

import psycopg
import pytest
from flightline_glue.contract import STAGED_TEXT_BYTES, parse_airport_id


def test_the_contracts_byte_limits_are_the_staging_ddls(pg_database):
    """The real migrations (applied to every test database, as a deploy applies them): every
    varchar column of the staging tables has its limit in the contract, and no limit in the
    contract is missing from the DDL: a change to either alone fails here."""
    with psycopg.connect(pg_database.url) as conn:
        rows = conn.execute(
            "select table_name, column_name, character_maximum_length "
            "from information_schema.columns where table_schema = 'staging' "
            "and table_name in ('flights', 'airports') "
            "and data_type in ('character varying', 'character')"
        ).fetchall()
    in_ddl: dict[str, dict[str, int]] = {}
    for table, column, length in rows:
        in_ddl.setdefault(table, {})[column] = length
    assert in_ddl == STAGED_TEXT_BYTES


IDS = {
    "10397": 10397, "1": 1, "000000001": 1, "999999999": 999_999_999,
    "1234567890": None, "99999999999": None, "-1": None, "+5": None, "1.0": None,
    "10_397": None, "\u0661\u0662\u0663": None, "\uff11\uff12": None, "": None, "1e3": None,
    " 1": None, "0x1F": None,
}  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), IDS.items())
def test_the_one_id_parser_reads_ascii_digits_in_range(text, expected):
    assert parse_airport_id(text) == expected


def test_spark_and_python_read_airport_ids_alike(spark):
    """Flights are checked in Spark, airports in Python: both use the contract's pattern."""
    from flightline_glue.transform import _airport_id
    from pyspark.sql import functions as F

    frame = spark.createDataFrame([(t,) for t in IDS], "text string")
    got = {
        r.text: r.id for r in frame.select("text", _airport_id(F.col("text")).alias("id")).collect()
    }
    assert got == {text: parse_airport_id(text) for text in IDS}
