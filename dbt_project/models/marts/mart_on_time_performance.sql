{{
    config(
        materialized='incremental',
        incremental_strategy='replace_dates',
        meta={'replace_date_column': 'flight_date'},
        on_schema_change='fail',
        indexes=[{'columns': ['flight_date']}],
        dist='even',
        sort=['flight_date'],
        sort_type='compound',
    )
}}

-- On-time performance per flight date, carrier and route. Incremental like fct_flights: the
-- dates whose fact rows are newer than this table's newest source stamp are rebuilt whole.
{%- set dates = flightline_dates_to_reload(
    ref('fct_flights'), target_loaded_at_column='source_loaded_at'
) %}

with flights as (
    select *
    from {{ ref('fct_flights') }}
    where {{ flightline_date_filter('flight_date', dates) }}
),

per_route as (
    select
        flight_date,
        carrier_code,
        origin_airport_id,
        dest_airport_id,
        count(*) as flights,
        sum(case when is_cancelled then 1 else 0 end) as cancelled_flights,
        sum(case when is_diverted then 1 else 0 end) as diverted_flights,
        sum(
            case when not is_cancelled and not is_diverted then 1 else 0 end
        ) as completed_flights,
        sum(case when delay_class = 'on_time' then 1 else 0 end) as on_time_flights,
        sum(case when is_arrival_delayed then 1 else 0 end) as delayed_flights,
        sum(case when is_departure_delayed then 1 else 0 end) as departure_delayed_flights,
        -- numeric before avg: Redshift's avg of an integer column is an integer
        avg(cast(dep_delay_minutes as numeric(12, 2))) as avg_dep_delay,
        avg(cast(arr_delay_minutes as numeric(12, 2))) as avg_arr_delay,
        max(loaded_at) as source_loaded_at
    from flights
    group by flight_date, carrier_code, origin_airport_id, dest_airport_id
)

select
    per_route.flight_date,
    per_route.carrier_code,
    per_route.origin_airport_id,
    origin.city as origin_city,
    per_route.dest_airport_id,
    dest.city as dest_city,
    per_route.flights,
    per_route.completed_flights,
    per_route.on_time_flights,
    per_route.delayed_flights,
    per_route.cancelled_flights,
    per_route.diverted_flights,
    per_route.departure_delayed_flights,
    cast(
        cast(per_route.delayed_flights as numeric(18, 6))
        / nullif(per_route.completed_flights, 0)
        as numeric(7, 4)
    ) as delayed_share,
    cast(
        cast(per_route.cancelled_flights as numeric(18, 6))
        / per_route.flights
        as numeric(7, 4)
    ) as cancelled_share,
    cast(per_route.avg_dep_delay as numeric(10, 2)) as avg_dep_delay_minutes,
    cast(per_route.avg_arr_delay as numeric(10, 2)) as avg_arr_delay_minutes,
    per_route.source_loaded_at
from per_route
inner join {{ ref('dim_airports') }} as origin
    on per_route.origin_airport_id = origin.airport_id
inner join {{ ref('dim_airports') }} as dest
    on per_route.dest_airport_id = dest.airport_id
