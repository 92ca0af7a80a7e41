"""Day-level checks: pure comparisons of a day's profile with earlier days, and the job
keeping them per day in staging.day_checks and in the run summary."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import psycopg
from flightline_glue.day_checks import FAILURE, OK, WARNING, DayProfile, Thresholds, check_day
from flightline_glue.job import JobConfig, run_job
from flightline_glue.storage import LocalStorage
from flightline_glue.warehouse.postgres import PostgresLoader

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
MONDAY = dt.date(2024, 1, 1)


def profile(day: dt.date, rows: int = 2000, carriers=("DL", "UA"), median=5.0, p90=40.0):
    return DayProfile(day, rows, rows // 50, frozenset(carriers), frozenset({10397, 12478}),
                      median, p90)  # fmt: skip


def statuses(result) -> dict[str, str]:
    return {c.name: c.status for c in result.checks}


def weeks_before(day: dt.date, n: int) -> list[dt.date]:
    return [day - dt.timedelta(weeks=k) for k in range(1, n + 1)]


def test_a_day_like_its_weekdays_is_ok():
    day = MONDAY + dt.timedelta(weeks=4)
    history = [
        profile(d, rows)
        for d, rows in zip(weeks_before(day, 4), (1900, 2100, 2000, 1950), strict=True)
    ]
    result = check_day(profile(day), history, rows_read=2000, rows_rejected=0)
    assert set(statuses(result).values()) == {OK}
    assert result.summary() == {"status": OK, "checked": 7, "findings": []}


def test_a_short_day_warns_or_fails_when_configured():
    day = MONDAY + dt.timedelta(weeks=4)
    # Other weekdays with few rows do not count: only Mondays are the baseline.
    history = [profile(d) for d in weeks_before(day, 4)] + [profile(day - dt.timedelta(days=1), 10)]
    short = profile(day, rows=200)
    warned = check_day(short, history, 200, 0)
    assert statuses(warned)["row_count"] == WARNING
    (row_count,) = [c for c in warned.checks if c.name == "row_count"]
    assert (row_count.value, row_count.expected) == (200, 2000)
    assert "median of the last 4 Mondays 2000" in row_count.detail
    failed = check_day(short, history, 200, 0, Thresholds(row_count_fails=True))
    assert failed.status == FAILURE


def test_carriers_that_appear_or_vanish_are_named():
    day = MONDAY + dt.timedelta(days=1)
    result = check_day(profile(day, carriers=("DL", "ZZ")), [profile(MONDAY)], 2000, 0)
    (carriers,) = [c for c in result.checks if c.name == "carriers"]
    assert carriers.status == WARNING
    assert carriers.detail == "appeared: ZZ; vanished since the day before: UA"


def test_a_delay_distribution_shift_and_high_shares_warn():
    day = MONDAY + dt.timedelta(days=3)
    history = [profile(MONDAY + dt.timedelta(days=k)) for k in range(3)]
    wild = profile(day, median=55.0, p90=200.0)
    result = check_day(wild, history, rows_read=2000, rows_rejected=400)
    got = statuses(result)
    assert (got["dep_delay_median"], got["dep_delay_p90"], got["rejected_share"]) == (
        WARNING, WARNING, WARNING,
    )  # fmt: skip
    assert got["cancelled_share"] == OK


def test_the_first_day_has_nothing_to_compare_and_is_ok():
    result = check_day(profile(MONDAY), [], 2000, 0)
    assert result.status == OK


def test_the_job_keeps_the_checks_of_a_short_day(spark, tmp_path, pg_database):
    """Real rows: the sample Monday loads; a week later a tenth of it arrives, without UA."""
    source = tmp_path / "landing"
    shutil.copytree(SAMPLE, source, ignore=shutil.ignore_patterns("_expected"))
    lines = (SAMPLE / "daily_flights" / f"date={MONDAY}" / "flights.csv").read_text().splitlines()
    later = MONDAY + dt.timedelta(weeks=1)
    kept = [lines[0]] + [line for line in lines[1:201] if not line.startswith("UA,")]
    folder = source / "daily_flights" / f"date={later}"
    folder.mkdir(parents=True)
    (folder / "flights.csv").write_text("\n".join(kept) + "\n")
    output = LocalStorage(tmp_path / "output")
    loader = PostgresLoader(pg_database.login("loader").url, output)

    first = run_job(spark, JobConfig(MONDAY, "r1"), LocalStorage(source), output, loader)
    assert first.day_checks["status"] == OK
    second = run_job(spark, JobConfig(later, "r2"), LocalStorage(source), output, loader)

    assert second.status == "succeeded"
    findings = {f["check"]: f["status"] for f in second.day_checks["findings"]}
    assert findings["row_count"] == WARNING
    assert findings["carriers"] == WARNING
    with psycopg.connect(pg_database.login("dbt").url) as conn:  # readable by dbt
        kept_rows = conn.execute(
            "select flight_date, check_name, status, value, run_id from staging.day_checks "
            "where check_name = 'row_count' order by flight_date"
        ).fetchall()
    assert kept_rows == [(MONDAY, "row_count", OK, None, "r1"),
                         (later, "row_count", WARNING, float(len(kept) - 1), "r2")]  # fmt: skip
