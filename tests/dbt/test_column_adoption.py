"""Adopting a column, end to end (docs/schema-evolution.md, "Adopting a column"): TailNumber,
declared once in the contract (OPTIONAL_FLIGHT_COLUMNS), added by migration V005 and carried
by dbt to fct_flights' enforced contract.

Two generated days (tools/datagen): one written before the adoption, without the column, and
one with it, some values empty and some malformed. The real job loads both into PostgreSQL,
then one `dbt build`: the generated registrations reach fct_flights row for row, the old
day and the empty values read NULL, and every malformed value is a reject with its reason
and physical line, counted exactly as the generator's manifest says."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import psycopg
import pytest
from flightline_glue.job import JobConfig, run_job
from flightline_glue.storage import LocalStorage
from flightline_glue.warehouse.postgres import PostgresLoader

from tests.fixtures.dbt import MARTS
from tools import datagen

DAY_BEFORE = dt.date(2024, 5, 6)  # written before the adoption: no TailNumber column
DAY_WITH = dt.date(2024, 5, 7)
SEED = 2405


def read_day(landing: Path, day: dt.date) -> dict[tuple[str, int], list[str]]:
    """Every data line of the day's files: (key, physical line) -> fields as written."""
    folder = landing / "daily_flights" / f"date={day}"
    rows = {}
    for path in sorted(folder.glob("*.csv")):
        key = str(path.relative_to(landing))
        lines = path.read_text().splitlines()
        for number, fields in enumerate(csv.reader(lines[1:]), start=2):
            rows[(key, number)] = fields
    return rows


def fact_tail_numbers(db, day: dt.date) -> dict[tuple[str, int], str | None]:
    with psycopg.connect(db.url) as conn:
        return {
            (file, line): tail
            for file, line, tail in conn.execute(
                f"select source_file, source_line, tail_number from {MARTS}.fct_flights "
                "where flight_date = %s",
                (day,),
            ).fetchall()
        }


@pytest.fixture(scope="module")
def adopted(spark, dbt_database, dbt, tmp_path_factory):
    """The two days generated, loaded by the real job and built by dbt (one build)."""
    landing = tmp_path_factory.mktemp("adoption") / "landing"
    datagen.generate(landing, 300, 1, DAY_BEFORE, SEED)
    (manifest,) = datagen.generate(
        landing, 600, 1, DAY_WITH, SEED, bad_rate=0.1, files_per_day=2, with_tail_number=True
    )
    output = LocalStorage(landing.parent / "output")
    loader = PostgresLoader(dbt_database.login("loader").url, output)
    summaries = {
        day: run_job(spark, JobConfig(day, f"adopt-{day}"), LocalStorage(landing), output, loader)
        for day in (DAY_BEFORE, DAY_WITH)
    }
    build = dbt("build")
    assert build.success, build.failed()
    return landing, manifest, summaries


def test_generated_tail_numbers_reach_fct_flights_and_the_day_before_reads_null(
    adopted, dbt_database
):
    landing, manifest, summaries = adopted
    assert {day: s.status for day, s in summaries.items()} == dict.fromkeys(
        (DAY_BEFORE, DAY_WITH), "succeeded"
    )
    # The adopted column is part of the contract now: not an extra column of the day.
    assert summaries[DAY_WITH].extra_columns == []
    assert {tuple(f["optional_columns"]) for f in summaries[DAY_WITH].input_files} == {
        ("TailNumber",)
    }

    before = fact_tail_numbers(dbt_database, DAY_BEFORE)
    assert len(before) == 300
    assert set(before.values()) == {None}

    written = read_day(landing, DAY_WITH)
    facts = fact_tail_numbers(dbt_database, DAY_WITH)
    assert len(facts) == manifest["valid_rows"]
    # Row for row, the registration as the generator wrote it; an empty one is NULL.
    assert facts == {key: (written[key][5] or None) for key in facts}
    assert sum(tail is None for tail in facts.values()) == manifest["tail_number_empty"] > 0
    assert len({tail for tail in facts.values() if tail}) > 50


def test_malformed_tail_numbers_are_rejects_with_their_reason_and_line(adopted):
    landing, manifest, summaries = adopted
    summary = summaries[DAY_WITH]
    expected = manifest["rejected_by_reason"]["malformed_tail_number"]
    assert summary.rejected_by_reason["malformed_tail_number"] == expected > 0
    written = read_day(landing, DAY_WITH)
    rejects = [
        row
        for path in sorted(Path(summary.outputs["rejects"]).glob("*.csv"))
        for row in csv.DictReader(io.StringIO(path.read_text()))
        if row["reject_reason"] == "malformed_tail_number"
    ]
    assert len(rejects) == expected
    for row in rejects:
        fields = written[(row["source_file"], int(row["source_line"]))]
        assert row["reject_detail"] == f"TailNumber '{fields[5]}'"
        assert row["raw_record"] == ",".join(fields)


def test_an_fct_flights_built_before_the_adoption_gains_the_column(adopted, dbt_database, dbt):
    """A deployed warehouse's fct_flights predates the column: the next run appends it
    (on_schema_change append_new_columns) instead of failing, dates not rebuilt read NULL,
    a rebuilt date gets its values."""
    landing, _, _ = adopted
    with psycopg.connect(dbt_database.url, autocommit=True) as conn:
        conn.execute(f"alter table {MARTS}.fct_flights drop column tail_number")

    result = dbt("run", "--select", "fct_flights", "--vars", f"{{flight_dates: ['{DAY_WITH}']}}")

    assert result.success, result.failed()
    assert set(fact_tail_numbers(dbt_database, DAY_BEFORE).values()) == {None}
    written = read_day(landing, DAY_WITH)
    facts = fact_tail_numbers(dbt_database, DAY_WITH)
    assert facts == {key: (written[key][5] or None) for key in facts}
    assert any(facts.values())
