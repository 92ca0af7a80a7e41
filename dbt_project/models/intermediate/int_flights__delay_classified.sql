-- Every flight with its delay class and delay flags: the one place the thresholds live.
-- Unknown airports map to the dimension's unknown member so every fact row joins.
select
    flight_id,
    flight_date,
    carrier_code,
    case when is_origin_known then origin_airport_id else -1 end as origin_airport_id,
    case when is_dest_known then dest_airport_id else -1 end as dest_airport_id,
    origin_airport_id as reported_origin_airport_id,
    dest_airport_id as reported_dest_airport_id,
    dep_delay_minutes,
    arr_delay_minutes,
    is_cancelled,
    is_diverted,
    cast(
        case
            when is_cancelled then 'cancelled'
            when is_diverted then 'diverted'
            when arr_delay_minutes is null then 'unknown'
            when arr_delay_minutes < {{ var('on_time_threshold_minutes') }} then 'on_time'
            when arr_delay_minutes < {{ var('major_delay_threshold_minutes') }} then 'minor_delay'
            else 'major_delay'
        end as varchar(16)
    ) as delay_class,
    coalesce(
        dep_delay_minutes >= {{ var('delay_threshold_minutes') }}, false
    ) as is_departure_delayed,
    coalesce(
        arr_delay_minutes >= {{ var('on_time_threshold_minutes') }}, false
    ) as is_arrival_delayed,
    source_file,
    source_line,
    run_id,
    loaded_at,
    tail_number
from {{ ref('stg_flightline__flights') }}
