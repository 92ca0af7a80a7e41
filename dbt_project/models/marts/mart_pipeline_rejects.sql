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

-- entry_key and entry_text come from object_entries, which cannot give them a table alias
-- on both warehouses (Redshift's UNPIVOT ... AT names bare columns).
select
    runs.flight_date,
    runs.run_id,
    cast(entry_key as varchar(64)) as reason,  -- noqa: RF02
    cast(entry_text as bigint) as rows_rejected,  -- noqa: RF02
    runs.recency = 1 as is_latest_of_day
from runs as runs
{{ object_entries('runs', 'rejected_by_reason') }}
