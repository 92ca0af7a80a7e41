-- One row per flight as the job landed it: names and types made explicit, nothing derived.
select
    cast(flight_id as varchar(32)) as flight_id,
    cast(flight_date as date) as flight_date,
    cast(carrier_code as varchar(3)) as carrier_code,
    cast(origin_airport_id as integer) as origin_airport_id,
    cast(dest_airport_id as integer) as dest_airport_id,
    cast(dep_delay_minutes as integer) as dep_delay_minutes,
    cast(arr_delay_minutes as integer) as arr_delay_minutes,
    is_cancelled,
    is_diverted,
    is_origin_known,
    is_dest_known,
    cast(source_file as varchar(512)) as source_file,
    cast(source_line as integer) as source_line,
    cast(run_id as varchar(128)) as run_id,
    cast(loaded_at as timestamp) as loaded_at,
    -- Columns the files had beyond the contract, as loaded (SUPER on Redshift, jsonb here).
    extra_columns,
    -- Adopted optional columns (contract.OPTIONAL_FLIGHT_COLUMNS): null before their migration.
    cast(tail_number as varchar(10)) as tail_number
from {{ source('flightline', 'flights') }}
