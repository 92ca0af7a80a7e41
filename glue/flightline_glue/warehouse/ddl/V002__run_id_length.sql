-- flightline: no-transaction
-- run_id holds a Step Functions execution name (up to 80 characters) or a Glue job run id
-- (`jr_` and 64 hex digits): 64 was too short. Redshift widens a varchar in place but not
-- inside a transaction block ("ALTER TABLE", Amazon Redshift Database Developer Guide), so
-- this migration runs statement by statement (see ddl.py), on PostgreSQL too.

alter table staging.flights alter column run_id type varchar(128);

alter table staging.airports alter column run_id type varchar(128);
