"""The airports dimension keeps its history and never orphans a fact.

Tried as a user would: days are loaded and built with one airports file; a newer file drops
some ids those days use and renames an airport; a new day loads with it and `dbt build`
must still pass, with the old facts joined to the dropped ids (now retired members). Then
an upload of the airports file alone (the state machine's airports route: the job's
airports-only run, then a `dbt build` of the whole project) brings one id back.
"""

from __future__ import annotations

import shutil
from datetime import date
from typing import Any

import psycopg
import pytest

from tests.fixtures.dbt import MARTS, SAMPLE, UNJOINED_FACTS, Dbt, LoadStaging
from tools.local import postgres as localpg

DAY1, DAY2, DAY3 = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)
SNAPSHOTS = "analytics_snapshots"
RENAMED_TO = "Renamed Field"


def rows(info: localpg.ConnInfo, sql: str, *params: Any) -> list[tuple]:
    with psycopg.connect(info.url) as conn:
        return conn.execute(sql, params).fetchall()


def airports_without(text: str, dropped: set[int], renamed: int) -> str:
    """The sample airports file minus `dropped`, with `renamed`'s name changed (CRLF kept)."""
    lines = text.split("\r\n")
    kept = [lines[0]]
    for line in lines[1:]:
        if not line:
            continue
        airport_id = int(line.split(",", 1)[0])
        if airport_id in dropped:
            continue
        if airport_id == renamed:
            line = ",".join([*line.split(",")[:3], f" {RENAMED_TO}"])
        kept.append(line)
    return "\r\n".join(kept) + "\r\n"


def unjoined_facts(info: localpg.ConnInfo) -> int:
    return rows(info, UNJOINED_FACTS)[0][0]


def facts_on(info: localpg.ConnInfo, day: date, airports: set[int]) -> int:
    """The day's facts that start or end at one of the airports."""
    return rows(
        info,
        f"select count(*) from {MARTS}.fct_flights where flight_date = %s "
        "and (origin_airport_id = any(%s) or dest_airport_id = any(%s))",
        day, list(airports), list(airports),
    )[0][0]  # fmt: skip


def dim(info: localpg.ConnInfo, ids) -> dict[int, tuple]:
    found = rows(
        info,
        f"select airport_id, airport_name, is_retired, retired_at is not null "
        f"from {MARTS}.dim_airports where airport_id = any(%s)",
        list(ids),
    )
    return {r[0]: r[1:] for r in found}


@pytest.fixture(scope="module")
def history(
    spark, dbt: Dbt, dbt_database: localpg.ConnInfo, loaded_staging: LoadStaging,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:  # fmt: skip
    steps: dict[str, Any] = {}
    sample = (SAMPLE / "dim" / "airports.csv").read_bytes().decode()
    loaded_staging(dbt_database, [DAY1])
    steps["first"] = dbt("build")
    # The most used origin ids of DAY1 (all known to the sample file).
    used = [
        r[0]
        for r in rows(
            dbt_database,
            "select origin_airport_id from staging.flights where flight_date = %s "
            "and is_origin_known group by 1 order by count(*) desc, 1 limit 3",
            DAY1,
        )
    ]
    dropped, renamed = set(used[:2]), used[2]
    steps |= {"dropped": dropped, "renamed": renamed}
    steps["day1_facts_on_dropped"] = facts_on(dbt_database, DAY1, dropped)

    newer = airports_without(sample, dropped, renamed)
    steps["loaded_day2"] = loaded_staging(dbt_database, [DAY2], airports=newer)
    steps["second"] = dbt("build")
    steps["unjoined_after_second"] = unjoined_facts(dbt_database)
    steps["dim_after_second"] = dim(dbt_database, [*dropped, renamed])
    steps["staged_airports_after_second"] = {
        r[0] for r in rows(dbt_database, "select airport_id from staging.airports")
    }
    steps["versions_of_renamed"] = rows(
        dbt_database,
        f"select airport_name, dbt_valid_to is null from {SNAPSHOTS}.airports_snapshot "
        "where airport_id = %s order by dbt_valid_from",
        renamed,
    )
    steps["day1_facts_on_dropped_after"] = facts_on(dbt_database, DAY1, dropped)

    # An upload of dim/airports.csv alone: one dropped id comes back.
    from flightline_glue.airports_job import run_airports
    from flightline_glue.storage import LocalStorage
    from flightline_glue.warehouse.postgres import PostgresLoader

    back = min(dropped)
    work = tmp_path_factory.mktemp("airports-upload")
    shutil.copytree(SAMPLE / "dim", work / "source" / "dim")
    (work / "source" / "dim" / "airports.csv").write_text(
        airports_without(sample, dropped - {back}, renamed), newline=""
    )
    output = LocalStorage(work / "output")
    steps["airports_run"] = run_airports(
        spark, "airports-upload-1", LocalStorage(work / "source"), output,
        PostgresLoader(dbt_database.login("loader").url, output),
    )  # fmt: skip
    steps["staged_flights_before_route"] = rows(
        dbt_database, "select count(*) from staging.flights"
    )
    steps["route"] = dbt("build")  # what the route's CodeBuild runs (DBT_SCOPE=airports)
    steps["back"] = back
    steps["dim_after_route"] = dim(dbt_database, dropped)
    steps["unjoined_after_route"] = unjoined_facts(dbt_database)
    steps["staged_flights_after_route"] = rows(dbt_database, "select count(*) from staging.flights")
    return steps


def test_builds_pass_before_and_after_a_file_that_drops_used_ids(history: dict) -> None:
    assert history["first"].success, history["first"].failed()
    assert history["loaded_day2"][DAY2] > 0
    assert history["second"].success, history["second"].failed()
    assert history["second"].statuses["snapshot.flightline.airports_snapshot"] == "success"


def test_dropped_ids_stay_as_retired_members_and_old_facts_keep_joining(history: dict) -> None:
    dropped = history["dropped"]
    # the newer file really lacks them, and the daily job landed it
    assert not dropped & history["staged_airports_after_second"]
    assert history["day1_facts_on_dropped"] > 0
    assert history["day1_facts_on_dropped_after"] == history["day1_facts_on_dropped"]
    assert history["unjoined_after_second"] == 0
    for airport_id in dropped:
        name, is_retired, has_retired_at = history["dim_after_second"][airport_id]
        assert (is_retired, has_retired_at) == (True, True), airport_id
        assert name != "Unknown"


def test_an_airports_attribute_change_is_kept_as_history(history: dict) -> None:
    versions = history["versions_of_renamed"]
    assert len(versions) == 2
    (old_name, old_current), (new_name, new_current) = versions
    assert (old_current, new_current) == (False, True)
    assert old_name != RENAMED_TO
    assert new_name == RENAMED_TO
    name, is_retired, _ = history["dim_after_second"][history["renamed"]]
    assert (name, is_retired) == (RENAMED_TO, False)


def test_an_airports_upload_alone_updates_the_dimension(history: dict) -> None:
    run = history["airports_run"]
    assert run.status == "succeeded"
    assert run.airports_loaded > 0
    # the airports-only run leaves the flights alone
    assert history["staged_flights_after_route"] == history["staged_flights_before_route"]
    assert history["route"].success, history["route"].failed()
    assert history["route"].statuses["snapshot.flightline.airports_snapshot"] == "success"
    back = history["back"]
    for airport_id in history["dropped"]:
        _, is_retired, has_retired_at = history["dim_after_route"][airport_id]
        assert (is_retired, has_retired_at) == (
            (False, False) if airport_id == back else (True, True)
        )
    assert history["unjoined_after_route"] == 0


def test_the_sample_airports_file_round_trips_through_the_helper() -> None:
    sample = (SAMPLE / "dim" / "airports.csv").read_bytes().decode()
    assert airports_without(sample, set(), renamed=-1) == sample


@pytest.fixture(scope="module")
def queued_day(history: dict, dbt: Dbt, dbt_database, loaded_staging: LoadStaging) -> dict:
    """After the steps above: a day the job staged whose own build has not run yet, while a
    build for another date runs (what back-to-back uploads do, dbt builds being serial)."""
    loaded = loaded_staging(dbt_database, [DAY3])
    return {
        "loaded": loaded,
        "other_day_build": dbt("build", "--vars", "{flight_dates: ['2024-01-01']}"),
        "all_dates_check": dbt("test", "--select", "assert_fct_flights_reconciles_with_staging"),
        "own_build": dbt("build", "--vars", "{flight_dates: ['2024-01-03']}"),
    }


def test_a_build_for_one_date_does_not_fail_on_a_day_still_queued(queued_day: dict) -> None:
    assert queued_day["loaded"][DAY3] > 0
    build = queued_day["other_day_build"]
    assert build.success, build.failed()
    # Checked over every date, the queued day is pending, not drift: its staging rows come
    # from a load the fact has not been built from yet.
    check = queued_day["all_dates_check"]
    assert check.success, check.failed()
    # The day's own build then reconciles it.
    assert queued_day["own_build"].success, queued_day["own_build"].failed()
