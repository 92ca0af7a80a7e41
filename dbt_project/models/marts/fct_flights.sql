{#- on_schema_change: a column adopted into the input contract (docs/schema-evolution.md) is
    appended to an existing table, NULL for the dates built before it; a rename or a type
    change still fails the build (the enforced contract). With a contract dbt allows only
    this or 'fail', which would stop every deployed warehouse at the adoption. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_dates',
        meta={'replace_date_column': 'flight_date'},
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['flight_date']},
            {'columns': ['loaded_at']},
        ],
        dist='even',
        sort=['flight_date'],
        sort_type='compound',
    )
}}

-- One row per flight. Incremental by flight date: a run rebuilds only the dates whose staging
-- rows are newer than what this table holds (see macros/incremental/), replacing each such
-- date whole, so a corrected reload of a day leaves exactly the new rows for that day.
{%- set dates = flightline_dates_to_reload(ref('int_flights__delay_classified')) %}

select
    flight_id,
    flight_date,
    carrier_code,
    origin_airport_id,
    dest_airport_id,
    reported_origin_airport_id,
    reported_dest_airport_id,
    dep_delay_minutes,
    arr_delay_minutes,
    is_cancelled,
    is_diverted,
    delay_class,
    is_departure_delayed,
    is_arrival_delayed,
    source_file,
    source_line,
    run_id,
    loaded_at,
    tail_number
from {{ ref('int_flights__delay_classified') }}
where {{ flightline_date_filter('flight_date', dates) }}
