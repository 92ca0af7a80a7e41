-- Staging tables the Glue job lands into; dbt reads them as sources.
-- Portable across PostgreSQL 15 and Redshift: explicit varchar lengths, no arrays, no
-- serials. $flights_table_options / $airports_table_options carry the Redshift physical
-- design (empty on PostgreSQL); see flightline_glue/warehouse/ddl.py. The schema itself
-- belongs to the warehouse bootstrap (bootstrap/), which gives it to the loader.

create table if not exists staging.flights (
    flight_id varchar(32) not null,
    flight_date date not null,
    carrier_code varchar(3) not null,
    origin_airport_id integer not null,
    dest_airport_id integer not null,
    dep_delay_minutes integer,
    arr_delay_minutes integer,
    is_cancelled boolean not null,
    is_diverted boolean not null,
    origin_city varchar(128),
    origin_state varchar(8),
    origin_airport_name varchar(256),
    dest_city varchar(128),
    dest_state varchar(8),
    dest_airport_name varchar(256),
    is_origin_known boolean not null,
    is_dest_known boolean not null,
    source_file varchar(512) not null,
    source_line integer not null,
    run_id varchar(64) not null,
    loaded_at timestamp not null
) $flights_table_options;

create table if not exists staging.airports (
    airport_id integer not null,
    city varchar(128) not null,
    state varchar(8) not null,
    airport_name varchar(256) not null,
    source_file varchar(512) not null,
    run_id varchar(64) not null,
    loaded_at timestamp not null
) $airports_table_options;
