-- Columns a day's file has beyond the contract are kept, one semi-structured value per row
-- ({header name: text as written}; NULL when the row's file has none): SUPER on Redshift,
-- jsonb on PostgreSQL ($semi_structured, see ddl.py). Rows loaded before read NULL.
-- Redshift adds a column inside a transaction block (only ALTER COLUMN ... TYPE may not run
-- in one: "ALTER TABLE", Amazon Redshift Database Developer Guide).

alter table staging.flights add column extra_columns $semi_structured;
