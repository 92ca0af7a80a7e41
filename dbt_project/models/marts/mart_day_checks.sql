-- The day-level checks of each loaded day, one row per day and check, with the day's worst
-- status, for the dashboard's pipeline-health page. Small (seven rows a day): rebuilt whole.
with checks as (
    select
        *,
        max(
            case status when 'failure' then 2 when 'warning' then 1 else 0 end
        ) over (partition by flight_date) as day_severity
    from {{ ref('stg_flightline__day_checks') }}
)

select
    flight_date,
    check_name,
    status,
    cast(measured_value as numeric(18, 4)) as measured_value,
    cast(expected_value as numeric(18, 4)) as expected_value,
    detail,
    cast(
        case day_severity when 2 then 'failure' when 1 then 'warning' else 'ok' end
        as varchar(16)
    ) as day_status,
    run_id,
    checked_at
from checks
