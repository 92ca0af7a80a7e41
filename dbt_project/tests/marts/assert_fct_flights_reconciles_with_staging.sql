-- Reconciliation: for every flight date, the fact holds exactly as many rows as the staging
-- table the job loaded. Returns the dates that disagree (missing on either side included).
-- A build for given dates (var flight_dates, the orchestrator's day build) checks those
-- dates: another day the job staged meanwhile is reconciled by that day's own build.
{%- set dates = var('flight_dates', []) %}
{%- if dates is string %}
    {%- set dates = dates.split(',') | map('trim') | reject('equalto', '') | list %}
{%- endif %}
with staged as (
    select
        flight_date,
        count(*) as staged_rows
    from {{ source('flightline', 'flights') }}
    group by flight_date
),

facts as (
    select
        flight_date,
        count(*) as fact_rows
    from {{ ref('fct_flights') }}
    group by flight_date
)

select
    coalesce(staged.flight_date, facts.flight_date) as flight_date,
    coalesce(staged.staged_rows, 0) as staged_rows,
    coalesce(facts.fact_rows, 0) as fact_rows
from staged
full outer join facts
    on staged.flight_date = facts.flight_date
where
    coalesce(staged.staged_rows, 0) <> coalesce(facts.fact_rows, 0)
    and {{ flightline_date_filter(
        'coalesce(staged.flight_date, facts.flight_date)',
        (dates | map('string') | list) if dates else none,
    ) }}
