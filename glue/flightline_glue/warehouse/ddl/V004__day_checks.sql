-- Day-level checks after each load (flightline_glue/day_checks.py), one row per check and
-- flight date; a reload of the date replaces its rows. The dashboard's health page reads it.

create table if not exists staging.day_checks (
    flight_date date not null,
    run_id varchar(128) not null,
    check_name varchar(32) not null,
    status varchar(16) not null,
    value double precision,
    expected double precision,
    detail varchar(1024) not null,
    checked_at timestamp not null
);
