-- The day-level checks as the job kept them (staging.day_checks, migration V004), explicit
-- types; its `value` and `expected` named for what they hold.
select
    cast(flight_date as date) as flight_date,
    cast(check_name as varchar(32)) as check_name,
    cast(status as varchar(16)) as status,
    cast(value as double precision) as measured_value,
    cast(expected as double precision) as expected_value,
    cast(detail as varchar(1024)) as detail,
    cast(run_id as varchar(128)) as run_id,
    cast(checked_at as timestamp) as checked_at
from {{ source('flightline', 'day_checks') }}
