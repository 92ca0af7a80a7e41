"""Reading day profiles from staging and keeping day checks: portable SQL over a SqlSession
(PostgreSQL locally, the Redshift Data API on AWS), so both warehouses run the same text."""

from __future__ import annotations

import datetime as dt

from ..day_checks import TRAILING_DAYS, DayChecks, DayProfile
from .ddl import NOW
from .sql import SqlSession, literal

DAY_CHECKS_TABLE = "staging.day_checks"
_DETAIL_BYTES = 1024


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _number(value) -> float | None:
    return None if value is None else float(value)


def read_profiles(session: SqlSession, flight_date: dt.date) -> list[DayProfile]:
    """The day and the earlier days within twice the trailing window, from staging.flights."""
    first = flight_date - dt.timedelta(days=TRAILING_DAYS * 2)
    window = (
        f"flight_date between cast({literal(first.isoformat())} as date) "
        f"and cast({literal(flight_date.isoformat())} as date)"
    )
    totals = session.query(
        "select flight_date, count(*), sum(case when is_cancelled then 1 else 0 end), "
        "percentile_cont(0.5) within group (order by dep_delay_minutes), "
        "percentile_cont(0.9) within group (order by dep_delay_minutes) "
        f"from staging.flights where {window} group by flight_date"
    )
    carriers: dict[dt.date, set[str]] = {}
    for day, carrier in session.query(
        f"select distinct flight_date, carrier_code from staging.flights where {window}"
    ):
        carriers.setdefault(_date(day), set()).add(carrier)
    airports: dict[dt.date, set[int]] = {}
    for day, airport in session.query(
        f"select distinct flight_date, origin_airport_id from staging.flights where {window} "
        f"union select distinct flight_date, dest_airport_id from staging.flights where {window}"
    ):
        airports.setdefault(_date(day), set()).add(int(airport))
    return [
        DayProfile(
            _date(day),
            int(rows),
            int(cancelled or 0),
            frozenset(carriers.get(_date(day), ())),
            frozenset(airports.get(_date(day), ())),
            _number(median),
            _number(p90),
        )
        for day, rows, cancelled, median, p90 in totals
    ]


def read_row_counts(session: SqlSession, flight_date: dt.date) -> list[tuple[dt.date, int]]:
    """Rows per earlier day of the same weekday within twice the trailing window (what the row
    count check compares with), from staging.flights: one query, for the check before a load."""
    weeks = TRAILING_DAYS * 2 // 7
    days = [flight_date - dt.timedelta(weeks=k) for k in range(1, weeks + 1)]
    listed = ", ".join(f"cast({literal(day.isoformat())} as date)" for day in days)
    return [
        (_date(day), int(rows))
        for day, rows in session.query(
            "select flight_date, count(*) from staging.flights "
            f"where flight_date in ({listed}) group by flight_date"
        )
    ]


def _value(number: float | None) -> str:
    return "null" if number is None else repr(float(number))


def record_checks(session: SqlSession, result: DayChecks, run_id: str) -> None:
    """Replace the date's checks with these, in one transaction."""
    day = f"cast({literal(result.flight_date.isoformat())} as date)"
    rows = [
        f"({day}, {literal(run_id)}, {literal(c.name)}, {literal(c.status)}, "
        f"{_value(c.value)}, {_value(c.expected)}, "
        f"{literal(c.detail.encode()[:_DETAIL_BYTES].decode(errors='ignore'))}, "
        f"{NOW[session.dialect]})"
        for c in result.checks
    ]
    statements = [f"delete from {DAY_CHECKS_TABLE} where flight_date = {day}"]
    if rows:
        statements.append(
            f"insert into {DAY_CHECKS_TABLE} (flight_date, run_id, check_name, status, value, "
            f"expected, detail, checked_at) values {', '.join(rows)}"
        )
    session.run(statements)
