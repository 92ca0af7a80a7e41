-- Reconciliation: every date the fact holds was built from one load of staging, and holds
-- exactly that load's rows. Returns the (date, run) pairs that disagree.
-- A date staging holds from a load the fact has not been built from yet (loaded while this
-- build ran, or by an execution still waiting for the dbt lock) is pending, not a failure:
-- that load's own dbt build, which comes after it, reconciles it.
with staged as (
    select
        flight_date,
        run_id,
        count(*) as staged_rows
    from {{ source('flightline', 'flights') }}
    group by flight_date, run_id
),

facts as (
    select
        flight_date,
        run_id,
        count(*) as fact_rows,
        count(*) over (partition by flight_date) as runs_of_date
    from {{ ref('fct_flights') }}
    group by flight_date, run_id
),

staged_dates as (
    select distinct flight_date
    from staged
)

select
    facts.flight_date,
    facts.run_id,
    facts.fact_rows,
    coalesce(staged.staged_rows, 0) as staged_rows
from facts
left join staged
    on
        facts.flight_date = staged.flight_date
        and facts.run_id = staged.run_id
left join staged_dates
    on facts.flight_date = staged_dates.flight_date
where
    -- a date built from two loads, or dropped from staging, or rows lost or duplicated
    facts.runs_of_date > 1
    or staged_dates.flight_date is null
    or (staged.run_id is not null and staged.staged_rows <> facts.fact_rows)
