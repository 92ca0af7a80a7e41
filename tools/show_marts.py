"""Print a short on-time table from the dbt marts in the local warehouse (end of `make demo`)."""

from __future__ import annotations

import os
import sys

import psycopg

from tools import localpg

MART = f"{os.environ.get('DBT_SCHEMA', 'analytics')}_marts.mart_on_time_performance"
QUERY = f"""
select
    flight_date,
    carrier_code,
    sum(flights) as flights,
    cast(sum(delayed_flights) as numeric(18, 6)) / nullif(sum(completed_flights), 0)
        as delayed_share,
    sum(avg_arr_delay_minutes * completed_flights) / nullif(sum(completed_flights), 0)
        as avg_arr_delay_minutes
from {MART}
group by flight_date, carrier_code
order by flight_date, flights desc
"""


def main() -> int:
    with psycopg.connect(localpg.conninfo().url) as conn:
        rows = conn.execute(QUERY).fetchall()
    print(f"\nOn-time performance by day and carrier ({MART}, top 5 carriers a day)")
    print(f"{'date':<12}{'carrier':<9}{'flights':>8}{'delayed':>9}{'avg arr delay':>15}")
    shown: dict = {}
    for day, carrier, flights, share, avg_delay in rows:
        if shown.setdefault(day, 0) >= 5:
            continue
        shown[day] += 1
        avg = f"{avg_delay:.1f} min" if avg_delay is not None else "-"
        pct = f"{share:.1%}" if share is not None else "-"
        print(f"{day!s:<12}{carrier:<9}{flights:>8}{pct:>9}{avg:>15}")
    print("\nMore: `make psql`, the marts are in analytics_marts; docs site: `make docs` "
          "-> build/dbt-docs/index.html")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
