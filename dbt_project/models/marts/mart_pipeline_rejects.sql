-- Rejected rows per run and reason (the input contract's reasons), one row each, for the
-- dashboard's pipeline-health page.
with runs as (
    select
        *,
        row_number() over (
            partition by flight_date order by started_at desc, run_id desc
        ) as recency
    from {{ ref('stg_flightline__load_runs') }}
)

select
    runs.flight_date,
    runs.run_id,
    cast(entry_key as varchar(64)) as reason,
    cast(entry_text as bigint) as rows_rejected,
    runs.recency = 1 as is_latest_of_day
from runs as runs
{{ object_entries('runs', 'rejected_by_reason') }}
