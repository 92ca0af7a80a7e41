"""Day-level checks after a load: does the day, as a whole, look like the days before it?

Per-row validation (rejects) and per-model tests (dbt) cannot see a day with a tenth of its
usual rows, a carrier that vanished or a delay distribution gone wild. These pure functions
compare one day's profile with its history (in the spirit of AWS Glue Data Quality's row
count, distinct values and anomaly rules) and say what they found; the job keeps the results
per day in `staging.day_checks` and in the run summary (so the notice carries them).

Only the row count can fail a day, and only when the environment says so
(`--row_count_outside_band fail`, cloudformation/glue.yaml's RowCountOutsideBand): the job
then checks it before the load, so a day outside the band leaves the loaded day as it was.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from .contract import InputContractError

OK, WARNING, FAILURE = "ok", "warning", "failure"
# How many earlier days of the same weekday the row count is compared with.
SAME_WEEKDAYS = 4
# How many earlier days (any weekday) define the carriers, airports and delays seen lately.
TRAILING_DAYS = 28
# --row_count_outside_band: what a row count outside the band does to the day.
ROW_COUNT_OUTSIDE_BAND = ("warn", "fail")


@dataclass(frozen=True)
class DayProfile:
    """What one loaded day looks like (from staging)."""

    flight_date: dt.date
    rows: int
    cancelled: int
    carriers: frozenset[str]
    airports: frozenset[int]
    dep_delay_median: float | None
    dep_delay_p90: float | None


@dataclass(frozen=True)
class Thresholds:
    row_count_band: float = 0.5  # allowed relative distance from the same-weekday median
    row_count_fails: bool = False  # outside the band: a failure instead of a warning
    cancelled_share: float = 0.2  # above: a warning
    rejected_share: float = 0.05  # above: a warning (most rejected already stops the day)
    delay_shift_minutes: float = 30.0  # median or p90 further than this from trailing: warning


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warning | failure
    detail: str
    value: float | None = None
    expected: float | None = None


@dataclass
class DayChecks:
    flight_date: dt.date
    checks: list[Check] = field(default_factory=list)

    @property
    def status(self) -> str:
        statuses = {c.status for c in self.checks}
        return FAILURE if FAILURE in statuses else WARNING if WARNING in statuses else OK

    def summary(self) -> dict:
        """For the run summary: the overall status and every check that is not ok."""
        return {
            "status": self.status,
            "checked": len(self.checks),
            "findings": [
                {"check": c.name, "status": c.status, "detail": c.detail}
                for c in self.checks
                if c.status != OK
            ],
        }


def row_count_check(
    flight_date: dt.date, rows: int, earlier: Sequence[tuple[dt.date, int]], t: Thresholds
) -> Check:
    """The day's rows against the median of the last SAME_WEEKDAYS days of its weekday among
    `earlier` (flight date, rows): outside the band a warning, or a failure when
    `t.row_count_fails`."""
    weekday = flight_date.strftime("%A")
    same = sorted(
        (day, n) for day, n in earlier
        if day < flight_date and day.weekday() == flight_date.weekday()
    )[-SAME_WEEKDAYS:]  # fmt: skip
    if not same:
        return Check("row_count", OK, f"{rows} rows; no earlier {weekday} to compare")
    median = statistics.median(n for _, n in same)
    low, high = median * (1 - t.row_count_band), median * (1 + t.row_count_band)
    status = OK if low <= rows <= high else (FAILURE if t.row_count_fails else WARNING)
    last = f"last {len(same)} {weekday}s" if len(same) > 1 else f"last {weekday}"
    detail = (
        f"{rows} rows, median of the {last} {median:.10g} "
        f"(band ±{t.row_count_band:.0%}: {low:.10g} to {high:.10g})"
    )
    return Check("row_count", status, detail, rows, median)


def parse_row_count_outside_band(value: str) -> bool:
    """`--row_count_outside_band`: `warn` (the default) or `fail`; True when it fails the day."""
    if value not in ROW_COUNT_OUTSIDE_BAND:
        raise InputContractError(
            f"--row_count_outside_band '{value}' is not one of {', '.join(ROW_COUNT_OUTSIDE_BAND)}"
        )
    return value == "fail"


def _members_check(name: str, today: frozenset, before: Sequence[frozenset]) -> Check:
    if not before:
        return Check(name, OK, f"{len(today)} {name}; no earlier day to compare")
    seen = frozenset().union(*before)
    latest = before[-1]
    appeared = sorted(today - seen)
    vanished = sorted(latest - today)
    if not appeared and not vanished:
        return Check(name, OK, f"{len(today)} {name}, as before", len(today))
    parts = []
    if appeared:
        parts.append(f"appeared: {', '.join(map(str, appeared[:10]))}")
    if vanished:
        parts.append(f"vanished since the day before: {', '.join(map(str, vanished[:10]))}")
    return Check(name, WARNING, "; ".join(parts), len(today), len(latest))


def share_check(name: str, part: int, whole: int, limit: float) -> Check:
    share = part / whole if whole else 0.0
    status = WARNING if share > limit else OK
    return Check(name, status, f"{part} of {whole} ({share:.1%}; warns above {limit:.0%})",
                 round(share, 4), limit)  # fmt: skip


def delay_shift_check(
    name: str, value: float | None, trailing: Sequence[float], limit: float
) -> Check:
    if value is None or not trailing:
        return Check(name, OK, "no delays to compare", value)
    expected = statistics.median(trailing)
    status = WARNING if abs(value - expected) > limit else OK
    detail = f"{value:g} min, trailing median {expected:g} min (warns beyond ±{limit:g} min)"
    return Check(name, status, detail, value, expected)


def check_day(
    day: DayProfile, history: Sequence[DayProfile], rows_read: int, rows_rejected: int,
    thresholds: Thresholds | None = None,
) -> DayChecks:  # fmt: skip
    """Every day-level check of `day` against the earlier days in `history`."""
    earlier = sorted(
        (h for h in history if h.flight_date < day.flight_date), key=lambda h: h.flight_date
    )[-TRAILING_DAYS * 2 :]
    recent = [h for h in earlier if (day.flight_date - h.flight_date).days <= TRAILING_DAYS]
    t = thresholds or Thresholds()
    delays = {
        "dep_delay_median": (day.dep_delay_median, [h.dep_delay_median for h in recent]),
        "dep_delay_p90": (day.dep_delay_p90, [h.dep_delay_p90 for h in recent]),
    }
    checks = [
        row_count_check(day.flight_date, day.rows, [(h.flight_date, h.rows) for h in earlier], t),
        _members_check("carriers", day.carriers, [h.carriers for h in recent]),
        _members_check("airports", day.airports, [h.airports for h in recent]),
        share_check("cancelled_share", day.cancelled, day.rows, t.cancelled_share),
        share_check("rejected_share", rows_rejected, rows_read, t.rejected_share),
    ]
    for name, (value, trailing) in delays.items():
        known = [v for v in trailing if v is not None]
        checks.append(delay_shift_check(name, value, known, t.delay_shift_minutes))
    return DayChecks(day.flight_date, checks)
