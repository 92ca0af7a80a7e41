{#-
  Incremental strategy `replace_dates`: delete the target's rows for the dates present in the
  new batch, then insert the batch, in the materialization's transaction. The dates are read
  from the (small) temp relation and written into the delete as literals, so the delete is
  restricted to those dates on the table's sort key (Redshift zone maps) or index
  (PostgreSQL) instead of a semi-join against the whole table.

  Config: `meta: {replace_date_column: ...}` (default flight_date).
-#}
{% macro get_incremental_replace_dates_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set date_column = (config.get('meta') or {}).get('replace_date_column', 'flight_date') -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set dates_query -%}
        select distinct cast({{ date_column }} as varchar(10)) from {{ source }} order by 1
    {%- endset -%}
    {%- set dates = run_query(dates_query).columns[0].values() | map('string') | list -%}
    {%- if dates | length > 0 %}
delete from {{ target }}
where {{ flightline_date_filter(date_column, dates) }}
{%- for predicate in arg_dict['incremental_predicates'] or [] %}
    and {{ predicate }}
{%- endfor %};
    {%- endif %}
insert into {{ target }} ({{ dest_cols_csv }})
select {{ dest_cols_csv }}
from {{ source }}
{% endmacro %}
