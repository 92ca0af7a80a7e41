-- Who may do what in the warehouse, for the three principals (README, "Warehouse
-- bootstrap"). Rendered with quoted identifiers: $loader (the Glue job), $dbt (the dbt
-- build), $crawler (the Glue JDBC crawlers), $database. Portable across Redshift and
-- PostgreSQL 15; run by an admin; the principals themselves are created beforehand by
-- flightline_glue/warehouse/bootstrap.py.

-- The loader owns staging: it creates the staging tables (migrations run as the loader),
-- replaces a day's rows and locks the tables while it loads.
create schema if not exists staging authorization $loader;
alter schema staging owner to $loader;

-- dbt and the crawlers read staging and nothing else of it.
grant usage on schema staging to $dbt, $crawler;
grant select on all tables in schema staging to $dbt, $crawler;
-- Tables the loader creates later stay readable without another grant.
alter default privileges for user $loader in schema staging
    grant select on tables to $dbt, $crawler;

-- dbt creates and therefore owns its analytics schemas (analytics_stg, analytics_marts,
-- ...), as dbt's own guidance for Redshift has it.
grant create on database $database to $dbt;
