-- One row per run of the job (flightline_glue/warehouse/load_runs.py): what it read, loaded
-- and rejected, how long it took. The dashboard's pipeline-health page reads it through the
-- dbt mart mart_pipeline_health (docs/dashboards.md). A successful load writes its row in the
-- load's own transaction (status `loaded`, rows_loaded counted there), and the run's end
-- completes it; a run that failed before its load commits records a `failed` row on a best
-- effort. rejected_by_reason is {reason: rows}: SUPER on Redshift, jsonb on PostgreSQL
-- ($semi_structured, see ddl.py).

create table if not exists staging.load_runs (
    flight_date date not null,
    run_id varchar(128) not null,
    status varchar(16) not null,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_rejected bigint not null,
    rejected_by_reason $semi_structured,
    unknown_airport_rows bigint not null,
    unknown_airport_id_count integer not null,
    duration_seconds double precision,
    warehouse_seconds double precision,
    started_at timestamp not null,
    finished_at timestamp,
    error varchar(1024)
);
