{#
    The entries of a semi-structured object column ({key: number}), one row per key, as a
    FROM-clause item after `<relation> as <alias>`: yields columns `entry_key` and
    `entry_value` (bigint). Redshift unpivots a SUPER object ("Object unpivoting", Amazon
    Redshift Database Developer Guide); PostgreSQL expands a jsonb object with jsonb_each_text.
#}
{% macro object_entries(alias, column) %}
    {{ return(adapter.dispatch('object_entries', 'flightline')(alias, column)) }}
{% endmacro %}

{% macro default__object_entries(alias, column) %}
    cross join lateral jsonb_each_text({{ alias }}.{{ column }}) as entries (entry_key, entry_text)
{% endmacro %}

{% macro redshift__object_entries(alias, column) %}
    , unpivot {{ alias }}.{{ column }} as entry_text at entry_key
{% endmacro %}
