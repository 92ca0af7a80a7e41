{#
    Prints, one per line, the project's models and snapshots that have no relation in the
    warehouse yet (nothing when all exist). The dbt build of a day selects only what the day
    changed; it needs the rest of the project (the airports snapshot and dimension the day's
    facts are tested against) to exist, so build_runner builds the whole project while this
    prints anything: a fresh warehouse, or a day that arrives before any airports build.
    `print` writes to stdout even under --quiet.
#}
{% macro flightline_unbuilt_relations() %}
    {%- if execute %}
        {%- for node in graph.nodes.values()
            if node.resource_type in ('model', 'snapshot')
            and node.config.materialized != 'ephemeral' %}
            {%- set relation = adapter.get_relation(
                database=node.database, schema=node.schema, identifier=node.alias
            ) %}
            {%- if relation is none %}
                {{- print(node.name) }}
            {%- endif %}
        {%- endfor %}
    {%- endif %}
{% endmacro %}
