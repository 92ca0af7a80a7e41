{{ config(materialized='view', bind=false) }}

-- The seed's output, column for column: flights whose departure delay reaches
-- var('delay_threshold_minutes') (60), with both airports' name, city and state.
-- A view over the fact, so it is always in step with it and costs nothing to load.
select
    f.carrier_code as carrier,
    origin.airport_name as dep_airport,
    origin.city as dep_city,
    origin.state as dep_state,
    dest.airport_name as arr_airport,
    dest.city as arr_city,
    dest.state as arr_state,
    f.dep_delay_minutes as dep_delay,
    f.arr_delay_minutes as arr_delay
from {{ ref('fct_flights') }} as f
inner join {{ ref('dim_airports') }} as origin
    on f.origin_airport_id = origin.airport_id
inner join {{ ref('dim_airports') }} as dest
    on f.dest_airport_id = dest.airport_id
where f.dep_delay_minutes >= {{ var('delay_threshold_minutes') }}
