{{
    config(
        materialized='table',
        dist='all',
        sort=['airport_id'],
    )
}}

-- One row per BTS airport id the airports file has ever held, with its latest attributes,
-- plus the unknown member (-1) that fact rows with an id missing from the file point to.
-- Ids a newer file dropped stay as retired members: facts loaded while they existed still
-- join. Their history is in the airports_snapshot.
with versions as (
    select
        airport_id,
        airport_name,
        city,
        state,
        loaded_at,
        dbt_valid_from,
        dbt_valid_to,
        row_number() over (
            partition by airport_id order by dbt_valid_from desc
        ) as recency
    from {{ ref('airports_snapshot') }}
),

airports as (
    select
        airport_id,
        airport_name,
        city,
        state,
        false as is_unknown_member,
        dbt_valid_to is not null as is_retired,
        cast(dbt_valid_to as timestamp) as retired_at,
        loaded_at
    from versions
    where recency = 1
),

unknown_member as (
    select
        -1 as airport_id,
        cast('Unknown' as varchar(256)) as airport_name,
        cast('Unknown' as varchar(128)) as city,
        cast('Unknown' as varchar(8)) as state,
        true as is_unknown_member,
        false as is_retired,
        cast(null as timestamp) as retired_at,
        cast(null as timestamp) as loaded_at
)

select * from airports
union all
select * from unknown_member
