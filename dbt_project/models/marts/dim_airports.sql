{{
    config(
        materialized='table',
        dist='all',
        sort=['airport_id'],
    )
}}

-- One row per BTS airport id from the airports file, plus the unknown member (-1) that fact
-- rows with an id missing from the file point to.
with airports as (
    select
        airport_id,
        airport_name,
        city,
        state,
        false as is_unknown_member,
        loaded_at
    from {{ ref('stg_flightline__airports') }}
),

unknown_member as (
    select
        -1 as airport_id,
        cast('Unknown' as varchar(256)) as airport_name,
        cast('Unknown' as varchar(128)) as city,
        cast('Unknown' as varchar(8)) as state,
        true as is_unknown_member,
        cast(null as timestamp) as loaded_at
)

select * from airports
union all
select * from unknown_member
