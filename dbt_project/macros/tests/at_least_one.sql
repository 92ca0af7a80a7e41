{#- Fails when the model has no row with a non-null column value (column test) or no row
    where the expression is true (model test with expression=...). -#}
{% test at_least_one(model, column_name=none, expression=none) %}
    {%- if expression is none and column_name is none -%}
        {{ exceptions.raise_compiler_error("at_least_one needs a column or an expression") }}
    {%- endif -%}
    {%- set condition = expression if expression is not none else column_name ~ ' is not null' -%}
select matching_rows
from (
    select count(*) as matching_rows
    from {{ model }}
    where {{ condition }}
) as counted
where matching_rows = 0
{% endtest %}
