"""Spark 4 turns ANSI SQL mode on (AWS Glue 6.0 runs Spark 4.1): a plain cast of a malformed
string raises instead of returning null. Through the real job and PostgreSQL, every reject
reason is still a quarantined row with its line, and the day still loads."""

from __future__ import annotations

from flightline_glue.contract import FLIGHT_REJECT_REASONS

from tests.glue.job_runs import GOOD, HEADER, day_folder, loaded, rejects, run

# One line per reject reason, with values a plain cast would choke on: under Spark 4's ANSI
# mode (on by default; AWS Glue 6.0 runs Spark 4.1) casting '99999999999' to int or 'NaN'
# to a decimal raises and would fail the whole day instead of quarantining one row.
EVERY_REASON = [
    (GOOD, None),
    ("DL,10397,12478,-3.00,+4", None),  # whole minutes written as decimals, a plus sign
    ("DL,10397,12478,1.,-0", None),
    ('DL,"10397,12478,1,1', "malformed_record"),
    ("DL,10397,12478,1", "wrong_column_count"),
    (",10397,12478,1,1", "empty_carrier"),
    ("D-L,10397,12478,1,1", "invalid_carrier"),
    ("DL,,12478,1,1", "missing_origin_airport_id"),
    ("DL,99999999999,12478,1,1", "invalid_origin_airport_id"),  # over the int range
    ("DL,1e3,12478,1,1", "invalid_origin_airport_id"),
    ("DL,10397,,1,1", "missing_dest_airport_id"),
    ("DL,10397,NaN,1,1", "invalid_dest_airport_id"),
    ("DL,10397,12478.0,1,1", "invalid_dest_airport_id"),
    ("DL,10397,12478,Infinity,1", "invalid_dep_delay"),
    ("DL,10397,12478,12345678901234567890,1", "invalid_dep_delay"),  # over any decimal
    ("DL,10397,12478,1e3,1", "invalid_dep_delay"),
    ("DL,10397,12478,\u22125,1", "invalid_dep_delay"),  # a Unicode minus sign
    ("DL,10397,12478,--1,1", "invalid_dep_delay"),
    ("DL,10397,12478,+,1", "invalid_dep_delay"),
    ("DL,10397,12478,999999,1", "dep_delay_out_of_range"),
    ("DL,10397,12478,1,NaN", "invalid_arr_delay"),
    ("DL,10397,12478,1,0x1F", "invalid_arr_delay"),
    ("DL,10397,12478,1,2881", "arr_delay_out_of_range"),
]


def test_every_reason_is_quarantined_under_the_engines_ansi_default(
    spark, landing, tmp_path, pg_database
):
    """The day succeeds: each malformed value is a reject with its reason and physical line,
    and no cast raises, with ANSI mode left as Spark 4 sets it (on)."""
    assert spark.conf.get("spark.sql.ansi.enabled") == "true"
    lines = [line for line, _ in EVERY_REASON]
    (day_folder(landing) / "flights.csv").write_text(HEADER + "\n" + "\n".join(lines) + "\n")
    # The optional columns' reasons, in a second file that has the column.
    (day_folder(landing) / "tails.csv").write_text(
        f"{HEADER},TailNumber\nDL,10397,12478,1,1,N0X\nDL,10397,12478,1,1,N301DL\n"
    )

    summary = run(spark, landing, tmp_path, pg_database, "ansi")

    assert summary.status == "succeeded"
    expected = {
        ("flights.csv", n): reason for n, (_, reason) in enumerate(EVERY_REASON, start=2) if reason
    } | {("tails.csv", 2): "malformed_tail_number"}
    got = {(r["source_file"].rsplit("/", 1)[-1], int(r["source_line"])): r["reject_reason"]
           for r in rejects(summary)}  # fmt: skip
    assert got == expected
    assert set(expected.values()) == set(FLIGHT_REJECT_REASONS)  # every reason, none missed
    assert summary.rows_rejected == len(expected)
    assert [row[:5] for row in loaded(pg_database)] == [
        (f"{day_folder(landing).relative_to(landing)}/flights.csv", 2, "DL", 5, 6),
        (f"{day_folder(landing).relative_to(landing)}/flights.csv", 3, "DL", -3, 4),
        (f"{day_folder(landing).relative_to(landing)}/flights.csv", 4, "DL", 1, 0),
        (f"{day_folder(landing).relative_to(landing)}/tails.csv", 3, "DL", 1, 1),
    ]
