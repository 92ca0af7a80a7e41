"""Days that must not load: a required column missing or renamed (stops before any write)
and a day whose rows are mostly rejected (stops before the load; the rejects are kept)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flightline_glue.contract import InputContractError, parse_reject_share
from flightline_glue.job import reject_share_failure

from tests.glue.job_runs import DAY, GOOD, HEADER, day_folder, fail, loaded, rejects, run


def test_a_renamed_required_column_fails_before_any_write(spark, landing, tmp_path, pg_database):
    day = day_folder(landing)
    (day / "a.csv").write_text(f"{HEADER}\n{GOOD}\n")
    run(spark, landing, tmp_path, pg_database, "run-good")
    before = loaded(pg_database)

    (day / "a.csv").write_text(
        "Carrier,OriginAirportID,DestAirportID,Dep_Delay,ArrDelay\nDL,10397,12478,5,6\n"
    )
    output = tmp_path / "renamed"
    message, summary = fail(spark, landing, tmp_path, pg_database, "run-renamed", output)

    assert message == (
        "check flight files failed: daily_flights/date=2024-02-01/a.csv: missing required "
        "column(s) DepDelay (nearest header name: 'Dep_Delay') (header is: Carrier,"
        "OriginAirportID,DestAirportID,Dep_Delay,ArrDelay)"
    )
    assert loaded(pg_database) == before
    # Nothing but the failed run summary was written.
    written = sorted(p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file())
    assert written == [f"runs/date={DAY}/run_id=run-renamed/summary.json"]
    assert summary["rows_read"] == 0


def day_of_mostly_bad_rows(landing) -> None:
    """A day whose DepDelay became text in most rows (a type change upstream)."""
    rows = [GOOD, "DL,10397,12478,late,6", "UA,10397,12478,late,1", "AA,12478,10397,x,2",
            "WN,10397,99,5,soon"]  # fmt: skip
    (day_folder(landing) / "a.csv").write_text("\n".join([HEADER, *rows]) + "\n")


def test_a_day_of_mostly_rejected_rows_fails_and_keeps_its_rejects(
    spark, landing, tmp_path, pg_database
):
    (day_folder(landing) / "a.csv").write_text(f"{HEADER}\n{GOOD}\n{GOOD}\n")
    run(spark, landing, tmp_path, pg_database, "run-good")
    before = loaded(pg_database)
    day_of_mostly_bad_rows(landing)

    message, summary = fail(spark, landing, tmp_path, pg_database, "run-bad", max_reject_share=0.5)

    rejects_uri = summary["outputs"]["rejects"]
    assert message == (
        f"check reject share failed: daily_flights/date={DAY}/: 4 of 5 rows rejected (80.0%), "
        "above the max reject share 50.0%; top reasons: invalid_dep_delay 3, "
        f"invalid_arr_delay 1. Nothing was loaded; the rejects are kept in {rejects_uri}"
    )
    assert loaded(pg_database) == before
    assert (summary["rows_read"], summary["rows_rejected"]) == (5, 4)
    written = rejects(SimpleNamespace(outputs=summary["outputs"]))
    assert sorted(int(r["source_line"]) for r in written) == [3, 4, 5, 6]


def test_a_higher_threshold_loads_the_same_day(spark, landing, tmp_path, pg_database):
    day_of_mostly_bad_rows(landing)
    summary = run(spark, landing, tmp_path, pg_database, "run-lenient", max_reject_share=0.8)
    assert (summary.status, summary.rows_loaded, summary.rows_rejected) == ("succeeded", 1, 4)


@pytest.mark.parametrize(
    ("read", "rejected", "threshold", "fails"),
    [(10, {"a": 5}, 0.5, False), (10, {"a": 6}, 0.5, True), (10, {"a": 10}, 1.0, False),
     (0, {}, 0.0, False), (10, {"a": 1}, 0.0, True)],
)  # fmt: skip
def test_the_reject_share_gate_is_strictly_above_the_threshold(read, rejected, threshold, fails):
    assert (reject_share_failure(read, rejected, threshold) is not None) is fails


def test_the_reject_share_failure_names_the_top_three_reasons():
    text = reject_share_failure(100, {"b": 30, "a": 30, "c": 5, "d": 20}, 0.5)
    assert text is not None
    assert "85 of 100 rows rejected (85.0%)" in text
    assert "top reasons: a 30, b 30, d 20." in text


@pytest.mark.parametrize("text", ["0.5", "0", "1", "1.0"])
def test_the_max_reject_share_argument_is_a_fraction(text):
    assert parse_reject_share(text) == float(text)


@pytest.mark.parametrize("text", ["50%", "-0.1", "1.5", "half", "nan"])
def test_a_max_reject_share_outside_0_to_1_is_refused(text):
    with pytest.raises(InputContractError, match="is not a number from 0 to 1"):
        parse_reject_share(text)
