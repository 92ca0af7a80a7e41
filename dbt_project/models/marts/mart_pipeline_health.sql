-- One row per run of the Glue job, for the dashboard's pipeline-health page: what it read,
-- loaded and rejected, how long it took and what that run would cost on AWS Glue. Small
-- (a row per run): rebuilt whole.
with runs as (
    select
        *,
        row_number() over (
            partition by flight_date order by started_at desc, run_id desc
        ) as recency
    from {{ ref('stg_flightline__load_runs') }}
)

select
    flight_date,
    run_id,
    status,
    rows_read,
    rows_loaded,
    rows_rejected,
    unknown_airport_rows,
    unknown_airport_id_count,
    cast(duration_seconds as numeric(12, 3)) as duration_seconds,
    cast(warehouse_seconds as numeric(12, 3)) as warehouse_seconds,
    -- Glue bills DPU-seconds with a one-minute minimum (tools/cost prices the same way; a
    -- test keeps these vars equal to its price of the dev environment's job).
    cast(
        case
            when duration_seconds is not null
                then
                    greatest(duration_seconds, {{ var('glue_job_minimum_seconds') }})
                    * {{ var('glue_job_dpus') }} * {{ var('glue_job_usd_per_dpu_hour') }} / 3600.0
        end as numeric(12, 4)
    ) as modelled_cost_usd,
    recency = 1 as is_latest_of_day,
    started_at,
    finished_at
from runs
