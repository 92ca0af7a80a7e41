"""The dashboard page in a real browser: the sample days through the real job (local Spark)
and a real dbt build on the local PostgreSQL, the page built from the definition as the
read-only dashboard reader, opened in headless Debian chromium through Playwright. Every
chart must have rendered the marks its data implies, and the filters must narrow them.

The screenshot goes to build/dashboard/screenshots/ (CI keeps it as an artifact).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest

from tests.fixtures.dbt import MARTS, Dbt
from tools.dashboard import build as build_mod
from tools.dashboard import definition as definition_mod
from tools.local import postgres as localpg

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "build" / "dashboard" / "screenshots"
SAMPLE = REPO_ROOT / "data" / "sample"
SAMPLE_DAYS = [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)]


def chromium_path() -> str:
    found = shutil.which("chromium")
    if not found:
        pytest.fail("chromium not found: `make chromium` installs Debian's package (apt-get)")
    return found


@pytest.fixture(scope="module")
def warehouse(dbt_database: localpg.ConnInfo, loaded_staging, dbt: Dbt):
    """The sample days loaded once by the real job (which records its runs in
    staging.load_runs), one dbt build."""
    loaded = loaded_staging(dbt_database, SAMPLE_DAYS)
    result = dbt("build")
    assert result.success, result.failed()
    return dbt_database, {str(day): rows for day, rows in loaded.items()}


@pytest.fixture(scope="module")
def built(warehouse, tmp_path_factory) -> build_mod.Built:
    database, _ = warehouse
    reader_url = database.login("reader").url
    return build_mod.build(
        definition_mod.load(),
        lambda: psycopg.connect(reader_url),
        tmp_path_factory.mktemp("dashboard") / "index.html",
        source_note="the test warehouse",
    )


@pytest.fixture(scope="module")
def browser_page(built: build_mod.Built) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Debian's chromium, never a browser Playwright downloads itself.
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.route("**/*", lambda route: route.abort() if not route.request.url.startswith(
            "file:") else route.continue_())  # fmt: skip
        page.goto(built.path.as_uri())
        page.evaluate("window.flightlineDashboard.ready.then(() => true)")
        page.errors = errors  # type: ignore[attr-defined]
        yield page
        browser.close()


def mart(database: localpg.ConnInfo, sql: str) -> list[tuple]:
    with psycopg.connect(database.url) as conn:  # the admin: independent of the page's reader
        return conn.execute(sql).fetchall()


def labels(page, visual_id: str, mark: str) -> list[str]:
    """The aria-labels Vega gives each mark: `field: value; ...` for every encoded field."""
    return page.eval_on_selector_all(
        f"#{visual_id} g.mark-{mark}.role-mark path",  # not the legend's symbols
        "paths => paths.map(p => p.getAttribute('aria-label'))",
    )


def label_value(label: str, title: str) -> str:
    match = re.search(rf"(?:^|; ){re.escape(title)}: ([^;]*)", label)
    assert match, (title, label)
    return match.group(1)


def set_filter(page, param: str, value: str) -> None:
    page.eval_on_selector(
        f"[data-filter-param={param}]",
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('change')); }",
        value,
    )
    page.evaluate("window.flightlineDashboard.apply()")


def test_every_chart_rendered_and_the_page_loads_nothing_from_outside(browser_page, built):
    definition = definition_mod.load()
    charts = [v.id for v in definition.visuals() if v.kind != "table"]
    rendered = browser_page.eval_on_selector_all(
        "[data-rendered=true]", "cards => cards.map(c => c.id)"
    )
    assert sorted(rendered) == sorted(charts)
    for chart in charts:
        marks = browser_page.eval_on_selector_all(f"#{chart} g.role-mark path", "p => p.length")
        assert marks > 0, chart
    assert browser_page.errors == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
    assert "<script src=" not in built.path.read_text()


def test_one_bar_per_carrier_with_its_on_time_share(browser_page, warehouse):
    database, _ = warehouse
    expected = {
        carrier: 100 * float(on_time) / float(completed)
        for carrier, on_time, completed in mart(
            database,
            f"select carrier_code, sum(on_time_flights), sum(completed_flights) "
            f"from {MARTS}.mart_on_time_performance group by carrier_code",
        )
    }
    bars = labels(browser_page, "on_time_share_by_carrier", "rect")
    shown = {label_value(b, "Carrier"): label_value(b, "On-time share") for b in bars}
    assert shown.keys() == expected.keys()
    for carrier, share in shown.items():  # shown as a whole percentage
        assert abs(float(share.rstrip("%")) - expected[carrier]) <= 0.5, carrier


def test_one_point_per_carrier_and_day(browser_page, warehouse):
    database, _ = warehouse
    (pairs,) = mart(
        database,
        f"select count(distinct (flight_date, carrier_code)) from {MARTS}.mart_on_time_performance",
    )[0]
    assert len(labels(browser_page, "on_time_share_by_day", "symbol")) == pairs


def test_cancellations_per_day_match_the_fact_table(browser_page, warehouse):
    database, _ = warehouse
    expected = {
        str(day): str(cancelled)
        for day, cancelled in mart(
            database,
            f"select flight_date, count(*) filter (where is_cancelled) "
            f"from {MARTS}.fct_flights group by flight_date",
        )
    }
    points = labels(browser_page, "cancellations_over_time", "symbol")
    cancelled = [p for p in points if label_value(p, "measure") == "Cancelled"]
    shown = {label_value(p, "Flight date"): label_value(p, "value") for p in cancelled}
    assert shown == expected


def test_top_n_charts_keep_n_bars(browser_page):
    assert len(labels(browser_page, "arr_delay_by_origin", "rect")) == 10
    assert len(labels(browser_page, "arr_delay_by_route", "rect")) == 15


def test_the_delayed_flights_table_and_the_carrier_filter(browser_page, warehouse):
    database, _ = warehouse
    (delayed,) = mart(database, f"select count(*) from {MARTS}.delayed_flights")[0]
    rows = browser_page.get_attribute("#delayed_flights_table", "data-rows")
    assert int(rows) == min(delayed, 200)
    try:
        set_filter(browser_page, "filter_carrier", "DL")
        carriers = browser_page.eval_on_selector_all(
            "#delayed_flights_table tbody tr td:nth-child(2)", "tds => tds.map(t => t.textContent)"
        )
        (dl_delayed,) = mart(
            database, f"select count(*) from {MARTS}.delayed_flights where carrier = 'DL'"
        )[0]
        assert carriers == ["DL"] * min(dl_delayed, 200)
        bars = labels(browser_page, "on_time_share_by_carrier", "rect")
        assert [label_value(b, "Carrier") for b in bars] == ["DL"]
    finally:
        set_filter(browser_page, "filter_carrier", "")


def test_the_health_page_shows_the_loaded_days_and_rows(browser_page, warehouse):
    _, loaded = warehouse
    bars = labels(browser_page, "rows_per_day", "rect")
    loaded_bars = [b for b in bars if label_value(b, "measure_title") == "Loaded"]
    shown = {
        label_value(b, "Flight date"): int(label_value(b, "value").replace(",", ""))
        for b in loaded_bars
    }
    assert shown == loaded
    try:
        day = SAMPLE_DAYS[1].isoformat()
        set_filter(browser_page, "filter_flight_dates_from", day)
        set_filter(browser_page, "filter_flight_dates_to", day)
        days = {label_value(b, "Flight date") for b in labels(browser_page, "rows_per_day", "rect")}
        assert days == {day}
    finally:
        set_filter(browser_page, "filter_flight_dates_from", "")
        set_filter(browser_page, "filter_flight_dates_to", "")


def test_the_health_page_shows_each_days_rejects_by_reason(browser_page):
    """The job's rejects per reason, through staging.load_runs' semi-structured column and
    mart_pipeline_rejects, are the sample's expected counts."""
    expected = {
        (str(day), reason): count
        for day in SAMPLE_DAYS
        for reason, count in json.loads(
            (SAMPLE / "_expected" / f"date={day}" / "counts.json").read_text()
        )["rejected_by_reason"].items()
        if count
    }
    assert expected  # the sample has rejects to show
    bars = labels(browser_page, "rejects_by_reason", "rect")
    shown = {
        (label_value(b, "Flight date"), label_value(b, "Reason")): int(
            label_value(b, "Rejected rows").replace(",", "")
        )
        for b in bars
    }
    assert shown == expected


def test_the_health_page_shows_every_check_the_job_kept(browser_page, warehouse):
    """The day-level checks the job kept in the warehouse (staging.day_checks, through
    mart_day_checks): one table row each, with its status, value and detail (the band or
    limit); the chart counts each day's checks by status."""
    database, _ = warehouse
    kept = {
        (day, check): (status, value, detail)
        for day, check, status, value, detail in mart(
            database,
            "select flight_date::text, check_name, status, value, detail from staging.day_checks",
        )
    }
    assert len(kept) == 7 * len(SAMPLE_DAYS)
    rows = browser_page.eval_on_selector_all(
        "#day_checks_table tbody tr",
        "trs => trs.map(tr => Array.from(tr.children, td => td.textContent))",
    )
    assert int(browser_page.get_attribute("#day_checks_table", "data-rows")) == len(rows)
    # columns: flight_date, check_name, status, measured_value, expected_value, detail
    shown = {(r[0], r[1]): (r[2], float(r[3]) if r[3] else None, r[5]) for r in rows}
    assert shown.keys() == kept.keys()
    for key, (status, value, detail) in shown.items():
        want_status, want_value, want_detail = kept[key]
        assert (status, detail) == (want_status, want_detail), key
        assert (value is None) == (want_value is None), key
        if value is not None:  # the mart keeps 4 decimals
            assert abs(value - want_value) <= 5e-5, key
    counts = mart(
        database,
        "select flight_date::text, status, count(*) from staging.day_checks group by 1, 2",
    )
    bars = labels(browser_page, "day_checks_by_status", "rect")
    per_status = {
        (label_value(b, "Flight date"), label_value(b, "Status")): int(label_value(b, "Checks"))
        for b in bars
    }
    assert per_status == {(day, status): n for day, status, n in counts}
