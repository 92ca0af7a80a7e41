-- The airports file as the job landed it, with explicit types.
select
    cast(airport_id as integer) as airport_id,
    cast(airport_name as varchar(256)) as airport_name,
    cast(city as varchar(128)) as city,
    cast(state as varchar(8)) as state,
    cast(loaded_at as timestamp) as loaded_at
from {{ source('flightline', 'airports') }}
