"""The on-time mart as a short table: the end of `make demo` and `make demo-local`."""

from __future__ import annotations

import sys

import psycopg

from tools.local import postgres as localpg

MART = "analytics_marts.mart_on_time_performance"
MART_QUERY = f"""
with per_carrier as (
    select
        flight_date,
        carrier_code,
        sum(flights) as flights,
        sum(completed_flights) as completed,
        sum(on_time_flights) as on_time,
        sum(cancelled_flights) as cancelled,
        sum(avg_arr_delay_minutes * completed_flights) / nullif(sum(completed_flights), 0)
            as avg_arr_delay
    from {MART}
    group by flight_date, carrier_code
)
select * from (
    select
        per_carrier.*,
        row_number() over (partition by flight_date order by flights desc, carrier_code) as rank
    from per_carrier
) ranked
where rank <= %s
order by flight_date, rank
"""


def mart_table(info: localpg.ConnInfo, per_day: int = 5) -> str:
    try:
        with psycopg.connect(info.url, connect_timeout=5) as conn:
            rows = conn.execute(MART_QUERY, (per_day,)).fetchall()
    except psycopg.errors.UndefinedTable:
        return f"  {MART} does not exist yet (no dbt build has succeeded)"
    header = f"  {'date':<12}{'carrier':<9}{'flights':>8}{'on time':>9}{'cancelled':>11}"
    header += f"{'avg arr delay':>15}"
    lines = [header, "  " + "-" * (len(header) - 2)]
    for day, carrier, flights, completed, on_time, cancelled, avg_delay, _ in rows:
        share = f"{on_time / completed:.1%}" if completed else "-"
        delay = f"{avg_delay:.1f} min" if avg_delay is not None else "-"
        lines.append(f"  {day!s:<12}{carrier:<9}{flights:>8}{share:>9}{cancelled:>11}{delay:>15}")
    return "\n".join(lines)


def main() -> int:
    print(mart_table(localpg.conninfo()))
    print("\nMore: `make psql` (marts in analytics_marts); docs site: `make docs` "
          "-> build/dbt-docs/index.html")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
