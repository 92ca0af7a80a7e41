-- The first column adopted from the extras (docs/schema-evolution.md): the aircraft's US
-- registration, declared in flightline_glue/contract.py (OPTIONAL_FLIGHT_COLUMNS). Rows loaded
-- before, and files without the column, read NULL; earlier rows keep a TailNumber they had in
-- extra_columns. Redshift adds a column inside a transaction block ("ALTER TABLE", Amazon
-- Redshift Database Developer Guide): no statement here needs to run on its own.

alter table staging.flights add column tail_number varchar(10);
