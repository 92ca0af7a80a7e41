"""Day-level checks: pure comparisons of a day's profile with earlier days, and the job
keeping them per day in staging.day_checks and in the run summary."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import psycopg
import pytest
from flightline_glue import layout
from flightline_glue.contract import InputContractError
from flightline_glue.day_checks import FAILURE, OK, WARNING, DayProfile, Thresholds, check_day
from flightline_glue.entry import job_config
from flightline_glue.job import JobConfig, run_job
from flightline_glue.storage import LocalStorage
from flightline_glue.warehouse.postgres import PostgresLoader

from tests.glue.job_runs import failure_of

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
    assert row_count.detail == (
        "200 rows, median of the last 4 Mondays 2000 (band ±50%: 1000 to 3000)"
    )
    failed = check_day(short, history, 200, 0, Thresholds(row_count_fails=True))
    assert failed.status == FAILURE


@pytest.mark.parametrize(("value", "fails"), [("fail", True), ("warn", False), (None, False)])
def test_the_environment_says_whether_a_day_outside_the_band_fails(value, fails):
    args = {"flight_date": "2024-01-08"}
    if value is not None:
        args["row_count_outside_band"] = value
    config = job_config(args, "run-1", None)
    assert config.day_check_thresholds.row_count_fails is fails


def test_an_unknown_row_count_outside_band_is_refused():
    args = {"flight_date": "2024-01-08", "row_count_outside_band": "true"}
    with pytest.raises(InputContractError, match="'true' is not one of warn, fail"):
        job_config(args, "run-1", None)


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


def sample_monday() -> list[str]:
    return (SAMPLE / "daily_flights" / f"date={MONDAY}" / "flights.csv").read_text().splitlines()


def short_monday(source: Path, later: dt.date) -> list[str]:
    """`later`'s file: a tenth of the sample Monday's rows, without UA; returns its lines."""
    lines = sample_monday()
    kept = [lines[0]] + [line for line in lines[1:201] if not line.startswith("UA,")]
    folder = source / "daily_flights" / f"date={later}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "flights.csv").write_text("\n".join(kept) + "\n")
    return kept


def test_the_job_keeps_the_checks_of_a_short_day(spark, tmp_path, pg_database):
    """Real rows: the sample Monday loads; a week later a tenth of it arrives, without UA."""
    source = tmp_path / "landing"
    shutil.copytree(SAMPLE, source, ignore=shutil.ignore_patterns("_expected"))
    later = MONDAY + dt.timedelta(weeks=1)
    kept = short_monday(source, later)
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


def test_a_day_outside_the_band_fails_before_its_load_when_configured(spark, tmp_path, pg_database):
    """RowCountOutsideBand fail: the sample Monday loads, a week later a full Monday loads;
    then that later Monday is re-sent with a tenth of its rows. Its run fails with one line
    naming the day, the check, the count and the band, and leaves the loaded day as it was:
    its rows, its checks; the failed run is recorded, its summary holds the failed check."""
    source = tmp_path / "landing"
    shutil.copytree(SAMPLE, source, ignore=shutil.ignore_patterns("_expected"))
    later = MONDAY + dt.timedelta(weeks=1)
    (source / "daily_flights" / f"date={later}").mkdir(parents=True)
    full = source / "daily_flights" / f"date={later}" / "flights.csv"
    full.write_text("\n".join(sample_monday()) + "\n")
    output = LocalStorage(tmp_path / "output")
    loader = PostgresLoader(pg_database.login("loader").url, output)
    failing = Thresholds(row_count_fails=True)

    def job(day: dt.date, run_id: str):
        config = JobConfig(day, run_id, day_check_thresholds=failing)
        return run_job(spark, config, LocalStorage(source), output, loader)

    assert job(MONDAY, "r1").status == "succeeded"  # nothing to compare with: ok
    loaded = job(later, "r2")
    assert (loaded.status, loaded.day_checks["status"]) == ("succeeded", OK)

    def later_day() -> tuple[list[tuple], list[tuple]]:
        with psycopg.connect(pg_database.url) as conn:
            flights = conn.execute(
                "select run_id, count(*) from staging.flights where flight_date = %s "
                "group by run_id", (later,),
            ).fetchall()  # fmt: skip
            checks = conn.execute(
                "select run_id, check_name, status from staging.day_checks "
                "where flight_date = %s order by check_name", (later,),
            ).fetchall()  # fmt: skip
        return flights, checks

    before = later_day()
    assert before[0] == [("r2", loaded.rows_loaded)]
    short = len(short_monday(source, later)) - 1
    median = loaded.rows_loaded  # the one earlier Monday: the sample's

    message = failure_of(lambda: job(later, "r3"))

    assert message == (
        f"check row count failed: daily_flights/date={later}/: day check row_count: {short} "
        f"rows, median of the last Monday {median} (band ±50%: {median * 0.5:.10g} to "
        f"{median * 1.5:.10g}): outside the band (RowCountOutsideBand fail). Nothing was "
        "loaded; the loaded day is left as it was"
    )
    assert later_day() == before
    summary = json.loads((output.root / layout.summary_key("r3", later)).read_text())
    assert (summary["status"], summary["error"], summary["rows_loaded"]) == ("failed", message, 0)
    assert summary["day_checks"]["status"] == FAILURE
    (finding,) = summary["day_checks"]["findings"]
    assert (finding["check"], finding["status"]) == ("row_count", FAILURE)
    with psycopg.connect(pg_database.url) as conn:
        run = conn.execute(
            "select status, rows_loaded, error from staging.load_runs where run_id = 'r3'"
        ).fetchone()
    assert run == ("failed", 0, message)
