-- The dashboards' reader (docs/dashboards.md): Amazon QuickSight's data source on AWS and
-- `make dashboard` locally log in as $reader, which may read the marts and nothing else: no
-- staging, no other analytics schema, no writes. Applied after B001, once per database.
--
-- The marts schema is dbt's (target schema `analytics`, models/marts `+schema: marts`:
-- analytics_marts). It is created here, owned by dbt as if dbt had created it, so that the
-- grants below exist before dbt's first build: default privileges need the schema.
create schema if not exists analytics_marts authorization $dbt;

grant usage on schema analytics_marts to $reader;
grant select on all tables in schema analytics_marts to $reader;
-- Every table and view dbt (re)builds there later stays readable: dbt replaces a table by
-- creating a new one, which gets these privileges, not the old one's grants.
alter default privileges for user $dbt in schema analytics_marts
    grant select on tables to $reader;
