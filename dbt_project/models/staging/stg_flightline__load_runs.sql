-- The job's runs as it recorded them (staging.load_runs, migration V006), explicit types.
select
    cast(flight_date as date) as flight_date,
    cast(run_id as varchar(128)) as run_id,
    cast(status as varchar(16)) as status,
    cast(rows_read as bigint) as rows_read,
    cast(rows_loaded as bigint) as rows_loaded,
    cast(rows_rejected as bigint) as rows_rejected,
    rejected_by_reason,
    cast(unknown_airport_rows as bigint) as unknown_airport_rows,
    cast(unknown_airport_id_count as integer) as unknown_airport_id_count,
    cast(duration_seconds as double precision) as duration_seconds,
    cast(warehouse_seconds as double precision) as warehouse_seconds,
    cast(started_at as timestamp) as started_at,
    cast(finished_at as timestamp) as finished_at,
    cast(error as varchar(1024)) as error
from {{ source('flightline', 'load_runs') }}
